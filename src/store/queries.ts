// Read queries shared by the daemon's Store and the CLI's read-only handle.
import type { Database, Statement } from 'better-sqlite3';
import { PARTITIONS, partitionTable } from './partitions.js';
import {
  DEFAULT_LIMIT, toAlertEventRecord, toAlertRecord, toDiagnosisRecord, toSensorRecord,
  type AlertEventRecord, type AlertEventRow, type AlertFilter, type AlertRecord, type AlertRow,
  type DiagnosisRecord, type DiagnosisRow, type HistoryFilter, type SensorRecord, type SensorRow,
} from './rows.js';

export class Queries {
  /** One prepared statement per combination of filters used, so SQLite picks the right index each time. */
  private readonly historyStatements = new Map<string, Statement>();
  private readonly alertStatements = new Map<string, Statement>();
  private readonly alertById: Statement;
  private readonly eventsByAlert: Statement;
  private readonly allSensors: Statement;

  constructor(private readonly db: Database) {
    this.alertById = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.eventsByAlert = db.prepare('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY at, id');
    this.allSensors = db.prepare('SELECT * FROM sensors ORDER BY id');
  }

  /** Diagnoses matching every given filter, newest first. */
  history(filter: HistoryFilter = {}): DiagnosisRecord[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.sensor !== undefined) { clauses.push('sensor = @sensor'); params.sensor = filter.sensor; }
    if (filter.asset !== undefined) { clauses.push('asset = @asset'); params.asset = filter.asset; }
    if (filter.className !== undefined) { clauses.push('class_name = @className'); params.className = filter.className; }
    if (filter.component !== undefined) { clauses.push('component = @component'); params.component = filter.component; }
    if (filter.minZone !== undefined) { clauses.push('iso_zone >= @minZone'); params.minZone = filter.minZone; }
    if (filter.since !== undefined) { clauses.push('window_end >= @since'); params.since = filter.since; }
    if (filter.until !== undefined) { clauses.push('window_end <= @until'); params.until = filter.until; }
    if (filter.before !== undefined) {
      // A row value compares lexicographically and still walks the (…, window_end) indexes: the rowid ends every index.
      clauses.push('(window_end, id) < (@beforeEnd, @beforeId)');
      params.beforeEnd = filter.before.windowEnd;
      params.beforeId = filter.before.id;
    }
    params.limit = filter.limit ?? DEFAULT_LIMIT;
    const key = clauses.join(' AND ');
    let stmt = this.historyStatements.get(key);
    if (!stmt) {
      const where = clauses.length ? `WHERE ${key}` : '';
      // One arm per table of the ring rather than the `diagnoses` view: SQLite merges arms that each come
      // in index order and stops at the limit, where ORDER BY over the view sorts every matching row.
      const arms = Array.from({ length: PARTITIONS }, (_, k) => `SELECT * FROM ${partitionTable(k)} ${where}`);
      stmt = this.db.prepare(`${arms.join(' UNION ALL ')} ORDER BY window_end DESC, id DESC LIMIT @limit`);
      this.historyStatements.set(key, stmt);
    }
    return (stmt.all(params) as DiagnosisRow[]).map(toDiagnosisRecord);
  }

  alerts(filter: AlertFilter = {}): AlertRecord[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = { limit: filter.limit ?? DEFAULT_LIMIT };
    if (filter.active !== undefined) clauses.push(filter.active ? `state = 'active'` : `state = 'cleared'`);
    if (filter.sensor !== undefined) { clauses.push('sensor = @sensor'); params.sensor = filter.sensor; }
    if (filter.before !== undefined) {
      clauses.push('(raised_at, id) < (@beforeAt, @beforeId)');
      params.beforeAt = filter.before.raisedAt;
      params.beforeId = filter.before.id;
    }
    const key = clauses.join(' AND ');
    let stmt = this.alertStatements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT * FROM alerts ${clauses.length ? `WHERE ${key}` : ''} ORDER BY raised_at DESC, id DESC LIMIT @limit`);
      this.alertStatements.set(key, stmt);
    }
    return (stmt.all(params) as AlertRow[]).map(toAlertRecord);
  }

  alert(id: number): AlertRecord | undefined {
    const row = this.alertById.get(id) as AlertRow | undefined;
    return row && toAlertRecord(row);
  }

  alertEvents(alertId: number): AlertEventRecord[] {
    return (this.eventsByAlert.all(alertId) as AlertEventRow[]).map(toAlertEventRecord);
  }

  sensors(): SensorRecord[] {
    return (this.allSensors.all() as SensorRow[]).map(toSensorRecord);
  }
}

// Short-lived handles on the daemon's database for the CLI: read-only for queries (safe while the
// daemon writes, thanks to WAL), read-write only for the rare operator action (acknowledging an alert).
import type { Database } from 'better-sqlite3';
import { AlertWriter } from './alert-writer.js';
import { openDatabase, openDatabaseReadOnly, storeError, type Synchronous } from './db.js';
import { Queries } from './queries.js';
import { SnapshotQueries, type Snapshot, type SnapshotMeta } from './snapshots.js';
import type {
  AlertEventRecord, AlertFilter, AlertRecord, DiagnosisRecord, HistoryFilter, SensorRecord,
} from './rows.js';

export class StoreReader {
  private readonly queries: Queries;
  private writer: AlertWriter | undefined;
  private readonly snaps: SnapshotQueries;

  constructor(private readonly db: Database, readonly path: string) {
    this.queries = new Queries(db);
    this.snaps = new SnapshotQueries(db);
  }

  /** The snapshots kept for an alert (without samples), oldest first. */
  snapshots(alertId: number): SnapshotMeta[] {
    return this.wrap('snapshots query failed', () => this.snaps.ofAlert(alertId));
  }

  snapshot(id: number): Snapshot | undefined {
    return this.wrap('snapshot query failed', () => this.snaps.get(id));
  }

  history(filter: HistoryFilter = {}): DiagnosisRecord[] {
    return this.wrap('history query failed', () => this.queries.history(filter));
  }

  alerts(filter: AlertFilter = {}): AlertRecord[] {
    return this.wrap('alerts query failed', () => this.queries.alerts(filter));
  }

  alert(id: number): AlertRecord | undefined {
    return this.wrap('alert query failed', () => this.queries.alert(id));
  }

  alertEvents(alertId: number): AlertEventRecord[] {
    return this.wrap('alert events query failed', () => this.queries.alertEvents(alertId));
  }

  sensors(): SensorRecord[] {
    return this.wrap('sensors query failed', () => this.queries.sensors());
  }

  /** Needs a handle from openReadWrite(). Throws DRSND_NOT_FOUND for an unknown id. */
  ackAlert(id: number, by?: string, now: number = Date.now()): AlertRecord {
    if (this.db.readonly) throw storeError(this.path, 'cannot acknowledge', new Error('database opened read-only'));
    this.writer ??= new AlertWriter(this.db);
    return this.writer.acknowledge(id, by ?? null, now).alert;
  }

  close(): void {
    this.db.close();
  }

  private wrap<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storeError(this.path, what, e);
    }
  }
}

/** Opens an existing database for queries only; never creates or migrates it. */
export function openReadOnly(dbPath: string): StoreReader {
  return new StoreReader(openDatabaseReadOnly(dbPath), dbPath);
}

/**
 * Opens an existing database for a short write (the CLI's `alerts ack`). The daemon may be writing at
 * the same time; the busy timeout makes us wait for its batch instead of failing with "database is locked".
 */
export function openReadWrite(dbPath: string, opts: { synchronous?: Synchronous } = {}): StoreReader {
  // openDatabaseReadOnly first: it refuses a missing file instead of creating an empty database.
  openDatabaseReadOnly(dbPath).close();
  return new StoreReader(openDatabase(dbPath, { synchronous: opts.synchronous }), dbPath);
}

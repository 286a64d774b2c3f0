// The store's side of the outbox (schema step 3): what the broker has not acknowledged yet is read back
// from SQLite in id order, and the relay (src/publish/outbox-relay.ts) moves each stream's cursor once
// PUBACKs arrive. Diagnoses are read from the ring's tables directly (one arm per table, each an id range
// on its primary key), so the cursor is just an id and survives the ring moving on.
import type { Database, Statement } from 'better-sqlite3';
import { PARTITIONS, partitionTable } from './partitions.js';
import { toDiagnosisRecord, type AlertEventRow, type DiagnosisRecord, type DiagnosisRow } from './rows.js';
import type { AlertEvent, AlertEventKind } from '../types.js';

export type OutboxStream = 'diagnoses' | 'alert_events';

/** An alert event as stored (the transition the store recorded, or an acknowledgement), with its row id and its alert's. */
export interface PendingAlertEvent extends Omit<AlertEvent, 'transition'> {
  id: number;
  alertId: number;
  transition: AlertEventKind;
  /** Who acknowledged; null for transitions. */
  by: string | null;
}

export interface OutboxCursor {
  /** Every row with id <= acked was acknowledged by the broker, or deleted before it was. */
  acked: number;
  lastId: number;
  /** Rows retention deleted before the broker acknowledged them. */
  lost: number;
}

export class OutboxTables {
  readonly storeId: string;
  private readonly diagnosesAfter: Statement;
  private readonly eventsAfter: Statement;
  private readonly cursorOf: Statement;
  private readonly setAcked: Statement;
  private readonly setRetainedAcked: Statement;
  private readonly unackedRetained: Statement;

  constructor(db: Database) {
    this.storeId = (db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value;
    // SQLite merges the arms, each already in id order, and stops at the limit.
    const arms = Array.from({ length: PARTITIONS }, (_, k) => `SELECT * FROM ${partitionTable(k)} WHERE id > @after`);
    this.diagnosesAfter = db.prepare(`${arms.join(' UNION ALL ')} ORDER BY id LIMIT @limit`);
    this.eventsAfter = db.prepare(`
      SELECT e.*, a.sensor, a.asset FROM alert_events e JOIN alerts a ON a.id = e.alert_id
      WHERE e.id > ? ORDER BY e.id LIMIT ?`);
    this.cursorOf = db.prepare('SELECT acked, last_id AS lastId, lost FROM outbox WHERE stream = ?');
    this.setAcked = db.prepare('UPDATE outbox SET acked = max(acked, ?) WHERE stream = ?');
    this.setRetainedAcked = db.prepare('UPDATE alerts SET retained_acked = ? WHERE id = ?');
    this.unackedRetained = db.prepare(`
      SELECT id, sensor, asset, state FROM alerts WHERE retained_acked IS NOT state AND state = 'cleared' ORDER BY id`);
  }

  cursor(stream: OutboxStream): OutboxCursor {
    return this.cursorOf.get(stream) as OutboxCursor;
  }

  /** Records that every row of the stream up to `id` is acknowledged (never moves back). */
  ack(stream: OutboxStream, id: number): void {
    this.setAcked.run(id, stream);
  }

  diagnoses(afterId: number, limit: number): DiagnosisRecord[] {
    return (this.diagnosesAfter.all({ after: afterId, limit }) as DiagnosisRow[]).map(toDiagnosisRecord);
  }

  alertEvents(afterId: number, limit: number): PendingAlertEvent[] {
    return (this.eventsAfter.all(afterId, limit) as Array<AlertEventRow & { sensor: string; asset: string }>).map((r) => ({
      id: r.id, alertId: r.alert_id, sensorId: r.sensor, asset: r.asset, transition: r.transition,
      className: r.class_name, previousClassName: r.previous_class_name, confidence: r.confidence, at: r.at, by: r.by,
    }));
  }

  /** The broker acknowledged the retained alert message for this state of the alert. */
  retainedAcked(alertId: number, state: 'active' | 'cleared'): void {
    this.setRetainedAcked.run(state, alertId);
  }

  /** Cleared alerts whose empty retained message the broker never acknowledged (a crash cut it short). */
  unackedClears(): Array<{ id: number; sensorId: string; asset: string }> {
    return (this.unackedRetained.all() as Array<{ id: number; sensor: string; asset: string }>).map((r) => ({ id: r.id, sensorId: r.sensor, asset: r.asset }));
  }
}

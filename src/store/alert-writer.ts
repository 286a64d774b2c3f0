// Alert lifecycle in SQL: one `alerts` row per episode, one `alert_events` row per transition.
import type { Database, Statement } from 'better-sqlite3';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { AlertEvent } from '../types.js';
import { toAlertRecord, type AlertRecord, type AlertRow } from './rows.js';

export class AlertWriter {
  private readonly activeBySensor: Statement;
  private readonly insertAlert: Statement;
  private readonly changeAlert: Statement;
  private readonly clearAlert: Statement;
  private readonly insertEvent: Statement;
  private readonly nextEventId: Statement;
  private readonly setLastEventId: Statement;
  private readonly ack: Statement;
  private readonly byId: Statement;
  private readonly recordTx: (e: AlertEvent) => { alertId: number; eventId: number };
  private readonly ackTx: (id: number, by: string | null, at: number) => { alert: AlertRecord; eventId: number };
  private readonly insertAckEvent: Statement;

  constructor(db: Database) {
    this.activeBySensor = db.prepare(`SELECT id, class_name FROM alerts WHERE sensor = ? AND state = 'active'`);
    this.insertAlert = db.prepare(`
      INSERT INTO alerts (sensor, asset, class_name, state, raised_at, last_changed_at, peak_confidence)
      VALUES (@sensorId, @asset, @className, 'active', @at, @at, @confidence)`);
    this.changeAlert = db.prepare(`
      UPDATE alerts SET class_name = @className, last_changed_at = @at,
        peak_confidence = max(peak_confidence, @confidence)
      WHERE id = @id`);
    this.clearAlert = db.prepare(`
      UPDATE alerts SET state = 'cleared', cleared_at = @at, last_changed_at = @at WHERE id = @id`);
    this.insertEvent = db.prepare(`
      INSERT INTO alert_events (id, alert_id, transition, class_name, previous_class_name, confidence, at)
      VALUES (@id, @alertId, @transition, @className, @previousClassName, @confidence, @at)`);
    // Event ids are never reused, even after retention removed the newest ones: subscribers
    // de-duplicate QoS 1 redeliveries by id (outbox.last_id, schema step 3).
    this.nextEventId = db.prepare(`
      SELECT 1 + max(last_id, coalesce((SELECT max(id) FROM alert_events), 0)) AS id FROM outbox WHERE stream = 'alert_events'`);
    this.setLastEventId = db.prepare(`UPDATE outbox SET last_id = ? WHERE stream = 'alert_events'`);
    this.ack = db.prepare('UPDATE alerts SET acknowledged_at = @at, acknowledged_by = @by WHERE id = @id');
    this.byId = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.insertAckEvent = db.prepare(`
      INSERT INTO alert_events (id, alert_id, transition, class_name, previous_class_name, confidence, at, by)
      VALUES (@id, @alertId, 'acknowledged', @className, NULL, @confidence, @at, @by)`);
    this.recordTx = db.transaction((e: AlertEvent) => this.apply(e));
    this.ackTx = db.transaction((id: number, by: string | null, at: number) => {
      const { changes } = this.ack.run({ id, by, at });
      if (changes === 0) throw new DrsndError(ErrorCodes.NOT_FOUND, `no alert with id ${id}`);
      const alert = toAlertRecord(this.byId.get(id) as AlertRow);
      const eventId = (this.nextEventId.get() as { id: number }).id;
      this.insertAckEvent.run({ id: eventId, alertId: id, className: alert.className, confidence: alert.peakConfidence, at, by });
      this.setLastEventId.run(eventId);
      return { alert, eventId };
    });
  }

  /**
   * Records one transition. The state machine upstream is the authority, but after a restart or a
   * wiped database the store may disagree with it, so: a raise while one is active becomes a change
   * of that alert, a change without an active alert becomes a raise, and a clear without an active
   * alert records nothing and returns alertId 0 (and eventId 0).
   */
  record(e: AlertEvent): { alertId: number; eventId: number } {
    // Times are INTEGER epoch ms in a STRICT table; window times carry sub-millisecond fractions.
    return this.recordTx({ ...e, at: Math.round(e.at) });
  }

  private apply(e: AlertEvent): { alertId: number; eventId: number } {
    const active = this.activeBySensor.get(e.sensorId) as { id: number; class_name: string } | undefined;
    let alertId: number;
    let transition = e.transition;
    let previousClassName = e.previousClassName;
    if (e.transition === 'cleared') {
      if (!active) return { alertId: 0, eventId: 0 };
      alertId = active.id;
      this.clearAlert.run({ id: alertId, at: e.at });
    } else if (active) {
      alertId = active.id;
      transition = 'changed';
      previousClassName = e.transition === 'raised' ? active.class_name : e.previousClassName;
      this.changeAlert.run({ id: alertId, className: e.className, at: e.at, confidence: e.confidence });
    } else {
      transition = 'raised';
      previousClassName = e.transition === 'raised' ? e.previousClassName : null;
      alertId = Number(this.insertAlert.run({
        sensorId: e.sensorId, asset: e.asset, className: e.className, at: e.at, confidence: e.confidence,
      }).lastInsertRowid);
    }
    const eventId = (this.nextEventId.get() as { id: number }).id;
    this.insertEvent.run({
      id: eventId, alertId, transition, className: e.className, previousClassName, confidence: e.confidence, at: e.at,
    });
    this.setLastEventId.run(eventId);
    return { alertId, eventId };
  }

  /**
   * Marks an alert acknowledged (again, if it already was: the latest ack wins) and records an
   * 'acknowledged' event in the same transaction, which the outbox publishes like any transition
   * (also when another process, the CLI, acknowledged: the daemon notices the new event id).
   */
  acknowledge(id: number, by: string | null, at: number): { alert: AlertRecord; eventId: number } {
    return this.ackTx(id, by, Math.round(at));
  }
}

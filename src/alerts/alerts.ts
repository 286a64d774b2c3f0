// Alerts and health, one component (issue 22): fed by committed diagnoses, it owns the alert state
// (the AlertTracker of src/pipeline/alert-state.ts), writes alert transitions to SQLite, has the outbox
// relay publish their events, keeps the retained alert topic right (also across a crash: a clear whose
// empty retained message was never acknowledged is sent again at start), and keeps each sensor's
// retained health, marked degraded while the store cannot write.
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AlertTracker } from '../pipeline/alert-state.js';
import { alertPayload, type ActiveAlert, type HealthPayload } from '../publish/payloads.js';
import type { Store, StoreHealth } from '../store/store.js';
import type { AlertRecord } from '../store/rows.js';
import type { AlertEvent, AlertEventKind, Diagnosis, SensorMeta } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { HealthReporter, type RetainedPublisher } from './health.js';

/** What the interfaces see of alerts (the HTTP live stream, metrics, Home Assistant). */
export type AlertsUpdate =
  | { type: 'alert'; alertId: number; eventId: number; transition: AlertEventKind; sensorId: string; asset: string; className: string; confidence: number; at: number; by: string | null }
  | { type: 'health'; health: HealthPayload };

/** Keeps the window that raised or changed an alert (snapshots.ts). */
export interface SnapshotTaker {
  capture(alertId: number, eventId: number, d: Diagnosis): void;
}

/** How often the database is checked for acknowledgements another process (`drsnd alerts ack`) wrote. */
const EXTERNAL_ACK_POLL_MS = 2_000;

export interface AlertsOptions {
  settings: Readonly<Pick<Settings, 'alerts' | 'mqtt' | 'gateway'>>;
  sensors: readonly SensorMeta[];
  store: Pick<Store, 'alerts' | 'history' | 'recordAlertEvent' | 'onCommitted' | 'onHealth' | 'outbox' | 'acknowledgeAlert' | 'alert'>;
  publisher: RetainedPublisher;
  /** Told when an alert event was committed, so it is published (the outbox relay). */
  relay: { alertEventsCommitted(): void };
  log: Logger;
  now?: () => number;
  clock?: Clock;
  snapshots?: SnapshotTaker;
}

export class AlertsComponent {
  private readonly opts: AlertsOptions;
  private readonly log: Logger;
  private readonly health: HealthReporter;
  private tracker: AlertTracker | undefined;
  private readonly active = new Map<string, ActiveAlert>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly listeners = new Set<(u: AlertsUpdate) => void>();
  private readonly clock: Clock;
  /** Alert events up to this id have been looked at by the poll for other processes' acknowledgements. */
  private polledEventId = 0;
  /** Events this process wrote since the last poll (the poll skips them). */
  private readonly ownEvents = new Set<number>();
  private pollTimer: TimerHandle | undefined;

  constructor(opts: AlertsOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'alerts' });
    const { healthIntervalMs, healthExpirySec } = opts.settings.mqtt;
    this.health = new HealthReporter({
      publisher: opts.publisher, gatewayId: opts.settings.gateway.id, intervalMs: healthIntervalMs, expirySec: healthExpirySec,
      now: opts.now, clock: opts.clock,
      onSent: (health) => this.emit({ type: 'health', health }),
    });
    this.clock = opts.clock ?? systemClock;
  }

  /** Every alert event and every health message sent, as they happen. Returns the unsubscribe function. */
  onUpdate(fn: (u: AlertsUpdate) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Each sensor's health now (what its retained health topic says). */
  sensorStates(): HealthPayload[] {
    return this.health.current();
  }

  /**
   * An operator acknowledged alert `id` (HTTP, MQTT): recorded with an 'acknowledged' event, which
   * the outbox publishes on events/alert; an active alert's retained message says so too. Throws
   * DRSND_NOT_FOUND for an unknown id.
   */
  acknowledge(id: number, by: string | null): AlertRecord {
    const { alert, eventId } = this.opts.store.acknowledgeAlert(id, by);
    this.acknowledged(alert, eventId, by);
    return alert;
  }

  /** The newest committed diagnosis of each sensor (the app's summary line). */
  lastDiagnoses(): ReadonlyMap<string, Diagnosis> {
    return this.health.lastDiagnoses();
  }

  start(): void {
    const { store, publisher } = this.opts;
    for (const s of this.opts.sensors) this.health.addSensor(s.id, s.asset);
    // Alerts still open from the last run carry on: the state machine resumes them (so recovery clears
    // them) and their retained topics are asserted again.
    const open = store.alerts({ active: true });
    this.tracker = new AlertTracker(this.opts.settings.alerts, new Map(open.map((a) => [a.sensorId, a.className])));
    for (const r of open) this.restore(r);
    if (open.length > 0) this.log.info({ alerts: open.map((a) => ({ id: a.id, sensor: a.sensorId, class: a.className })) }, 'open alerts resumed');
    for (const c of store.outbox.unackedClears()) {
      publisher.retain(publisher.topics.alert(c.asset, c.sensorId), '', { onAck: () => this.retainedAcked(c.id, 'cleared') });
    }
    // Health from the history, so the retained state after a restart is the last known one.
    for (const s of this.opts.sensors) {
      const [last] = store.history({ sensor: s.id, limit: 1 });
      if (last) this.health.diagnosis(last, this.tracker.active(s.id));
    }
    this.polledEventId = store.outbox.cursor('alert_events').lastId;
    this.armPoll();
    this.unsubscribe.push(store.onCommitted((batch) => this.committed(batch)));
    this.unsubscribe.push(store.onHealth((h: StoreHealth) => this.health.setProblem(h.ok ? null : `storage: ${h.reason}`)));
  }

  /** Stops listening; the newest health of every sensor goes out now (call before the publisher stops). */
  stop(): void {
    this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
    this.health.stop();
    this.listeners.clear();
  }

  private emit(u: AlertsUpdate): void {
    for (const fn of this.listeners) {
      try {
        fn(u);
      } catch (err) {
        this.log.error({ err }, 'alerts listener failed');
      }
    }
  }

  private acknowledged(alert: AlertRecord, eventId: number, by: string | null, external = false): void {
    if (!external) this.ownEvents.add(eventId);
    this.opts.relay.alertEventsCommitted();
    this.log.info({ alertId: alert.id, sensor: alert.sensorId, by }, 'alert acknowledged');
    const a = this.active.get(alert.sensorId);
    if (a && a.alertId === alert.id) {
      a.acknowledgedAt = alert.acknowledgedAt;
      a.acknowledgedBy = alert.acknowledgedBy;
      this.retainAlert(a);
    }
    this.emit({
      type: 'alert', alertId: alert.id, eventId, transition: 'acknowledged', sensorId: alert.sensorId, asset: alert.asset,
      className: alert.className, confidence: alert.peakConfidence, at: alert.acknowledgedAt ?? Date.now(), by,
    });
  }

  /**
   * `drsnd alerts ack` runs in another process and writes the database (with its event); every few
   * seconds the newest event id is compared with this process's, and such acknowledgements are
   * published and put on the retained alert as if made here. (One indexed single-row read.)
   */
  private armPoll(): void {
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollExternal();
      if (this.pollTimer !== undefined) this.armPoll();
    }, EXTERNAL_ACK_POLL_MS);
    (this.pollTimer as { unref?: () => void }).unref?.();
  }

  private pollExternal(): void {
    const { store } = this.opts;
    try {
      const lastId = store.outbox.cursor('alert_events').lastId;
      if (lastId <= this.polledEventId) return;
      const events = store.outbox.alertEvents(this.polledEventId, lastId - this.polledEventId);
      this.polledEventId = lastId;
      for (const e of events) {
        if (this.ownEvents.delete(e.id) || e.transition !== 'acknowledged') continue;
        const alert = store.alert(e.alertId);
        if (alert) this.acknowledged(alert, e.id, e.by, true);
      }
      this.ownEvents.clear();
    } catch (err) {
      this.log.warn({ err }, 'cannot check for acknowledgements made by the CLI');
    }
  }

  private committed(batch: readonly Diagnosis[]): void {
    const tracker = this.tracker!;
    for (const d of batch) {
      // One failing alert write must not keep the rest of the batch from being tracked.
      try {
        const event = tracker.update(d);
        if (event) this.transition(event, d);
      } catch (err) {
        this.log.error({ err, sensor: d.sensorId }, 'alert update failed');
      }
      this.health.diagnosis(d, tracker.active(d.sensorId));
    }
  }

  private transition(e: AlertEvent, d: Diagnosis): void {
    const { alertId, eventId } = this.opts.store.recordAlertEvent(e);
    if (alertId !== 0) {
      this.ownEvents.add(eventId);
      this.opts.relay.alertEventsCommitted();
      this.emit({
        type: 'alert', alertId, eventId, transition: e.transition, sensorId: e.sensorId, asset: e.asset,
        className: e.className, confidence: e.confidence, at: e.at, by: null,
      });
      if (e.transition !== 'cleared') this.opts.snapshots?.capture(alertId, eventId, d);
    }
    this.log.info({ sensor: e.sensorId, transition: e.transition, class: e.className, alertId }, 'alert');
    const { publisher } = this.opts;
    const topic = publisher.topics.alert(e.asset, e.sensorId);
    if (e.transition === 'cleared') {
      this.active.delete(e.sensorId);
      // An empty retained message deletes the retained alert at the broker (MQTT 3.1.1 §3.3.1.3).
      publisher.retain(topic, '', alertId === 0 ? {} : { onAck: () => this.retainedAcked(alertId, 'cleared') });
      this.health.alert(e.sensorId, e.asset, undefined);
      return;
    }
    const prev = this.active.get(e.sensorId);
    const a: ActiveAlert = {
      alertId, sensorId: e.sensorId, asset: e.asset, className: e.className,
      previousClassName: e.previousClassName, confidence: e.confidence,
      peakConfidence: Math.max(e.confidence, prev?.peakConfidence ?? 0),
      raisedAt: prev && prev.alertId === alertId ? prev.raisedAt : e.at, changedAt: e.at,
      acknowledgedAt: prev && prev.alertId === alertId ? prev.acknowledgedAt : null,
      acknowledgedBy: prev && prev.alertId === alertId ? prev.acknowledgedBy : null,
    };
    this.active.set(e.sensorId, a);
    this.retainAlert(a);
    this.health.alert(e.sensorId, e.asset, a);
  }

  private retainAlert(a: ActiveAlert): void {
    const { publisher } = this.opts;
    publisher.retain(publisher.topics.alert(a.asset, a.sensorId), JSON.stringify(alertPayload(this.opts.settings.gateway.id, a)),
      { onAck: () => this.retainedAcked(a.alertId, 'active') });
  }

  private restore(r: AlertRecord): void {
    const a: ActiveAlert = {
      alertId: r.id, sensorId: r.sensorId, asset: r.asset, className: r.className, previousClassName: null,
      confidence: r.peakConfidence, peakConfidence: r.peakConfidence, raisedAt: r.raisedAt, changedAt: r.lastChangedAt,
      acknowledgedAt: r.acknowledgedAt, acknowledgedBy: r.acknowledgedBy,
    };
    this.active.set(r.sensorId, a);
    this.retainAlert(a);
    this.health.alert(r.sensorId, r.asset, a);
  }

  private retainedAcked(alertId: number, state: 'active' | 'cleared'): void {
    try {
      this.opts.store.outbox.retainedAcked(alertId, state);
    } catch (err) {
      this.log.warn({ err, alertId }, 'cannot record the acknowledged retained alert (it may be sent again)');
    }
  }
}

// Alerts and health, one component (issue 22): fed by committed diagnoses, it owns the alert state
// (the AlertTracker of src/pipeline/alert-state.ts), writes alert transitions to SQLite, has the outbox
// relay publish their events, keeps the retained alert topic right (also across a crash: a clear whose
// empty retained message was never acknowledged is sent again at start), and keeps each sensor's
// retained health, marked degraded while the store cannot write.
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AlertTracker } from '../pipeline/alert-state.js';
import { alertPayload, type ActiveAlert } from '../publish/payloads.js';
import type { Store, StoreHealth } from '../store/store.js';
import type { AlertRecord } from '../store/rows.js';
import type { AlertEvent, Diagnosis, SensorMeta } from '../types.js';
import type { Clock } from '../util/clock.js';
import { HealthReporter, type RetainedPublisher } from './health.js';

export interface AlertsOptions {
  settings: Readonly<Pick<Settings, 'alerts' | 'mqtt' | 'gateway'>>;
  sensors: readonly SensorMeta[];
  store: Pick<Store, 'alerts' | 'history' | 'recordAlertEvent' | 'onCommitted' | 'onHealth' | 'outbox'>;
  publisher: RetainedPublisher;
  /** Told when an alert event was committed, so it is published (the outbox relay). */
  relay: { alertEventsCommitted(): void };
  log: Logger;
  now?: () => number;
  clock?: Clock;
}

export class AlertsComponent {
  private readonly opts: AlertsOptions;
  private readonly log: Logger;
  private readonly health: HealthReporter;
  private tracker: AlertTracker | undefined;
  private readonly active = new Map<string, ActiveAlert>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(opts: AlertsOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'alerts' });
    const { healthIntervalMs, healthExpirySec } = opts.settings.mqtt;
    this.health = new HealthReporter({
      publisher: opts.publisher, gatewayId: opts.settings.gateway.id, intervalMs: healthIntervalMs, expirySec: healthExpirySec,
      now: opts.now, clock: opts.clock,
    });
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
    this.unsubscribe.push(store.onCommitted((batch) => this.committed(batch)));
    this.unsubscribe.push(store.onHealth((h: StoreHealth) => this.health.setProblem(h.ok ? null : `storage: ${h.reason}`)));
  }

  /** Stops listening; the newest health of every sensor goes out now (call before the publisher stops). */
  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.health.stop();
  }

  private committed(batch: readonly Diagnosis[]): void {
    const tracker = this.tracker!;
    for (const d of batch) {
      // One failing alert write must not keep the rest of the batch from being tracked.
      try {
        const event = tracker.update(d);
        if (event) this.transition(event);
      } catch (err) {
        this.log.error({ err, sensor: d.sensorId }, 'alert update failed');
      }
      this.health.diagnosis(d, tracker.active(d.sensorId));
    }
  }

  private transition(e: AlertEvent): void {
    const { alertId } = this.opts.store.recordAlertEvent(e);
    if (alertId !== 0) this.opts.relay.alertEventsCommitted();
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
    };
    this.active.set(e.sensorId, a);
    publisher.retain(topic, JSON.stringify(alertPayload(this.opts.settings.gateway.id, a)), { onAck: () => this.retainedAcked(alertId, 'active') });
    this.health.alert(e.sensorId, e.asset, a);
  }

  private restore(r: AlertRecord): void {
    const a: ActiveAlert = {
      alertId: r.id, sensorId: r.sensorId, asset: r.asset, className: r.className, previousClassName: null,
      confidence: r.peakConfidence, peakConfidence: r.peakConfidence, raisedAt: r.raisedAt, changedAt: r.lastChangedAt,
    };
    this.active.set(r.sensorId, a);
    const { publisher } = this.opts;
    publisher.retain(publisher.topics.alert(r.asset, r.sensorId), JSON.stringify(alertPayload(this.opts.settings.gateway.id, a)),
      { onAck: () => this.retainedAcked(r.id, 'active') });
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

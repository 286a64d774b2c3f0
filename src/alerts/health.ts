// The retained per-sensor health topic (docs/topics.md): the latest state of each sensor, sent at once
// when it says something new (status, class, alert, a storage problem) and otherwise at most every
// mqtt.healthIntervalMs, so at 12 windows/s per sensor health does not double the MQTT traffic.
import type { Diagnosis } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { healthPayload, type ActiveAlert, type HealthPayload } from '../publish/payloads.js';
import type { Topics } from '../publish/topics.js';

/** What health needs of the MQTT connection (the Publisher). */
export interface RetainedPublisher {
  readonly topics: Topics;
  retain(topic: string, payload: string, opts?: { expirySec?: number; onAck?: () => void }): void;
}

export interface HealthOptions {
  publisher: RetainedPublisher;
  gatewayId: string;
  intervalMs: number;
  expirySec: number;
  /** Wall clock (epoch ms) for updatedAt. */
  now?: () => number;
  clock?: Clock;
  /** Told every health message sent (the HTTP live stream). */
  onSent?: (h: HealthPayload) => void;
}

export class HealthReporter {
  private readonly lastDiagnosis = new Map<string, Diagnosis>();
  private readonly alerts = new Map<string, ActiveAlert>();
  /** The alert tracker's active class, for an alert open since before a restart that no event has named yet. */
  private readonly hints = new Map<string, string>();
  private readonly assets = new Map<string, string>();
  private problem: string | null = null;
  private readonly due = new Set<string>();
  private scheduled = false;
  /** Per sensor: when its health was last sent and what it said. */
  private readonly sent = new Map<string, { at: number; key: string }>();
  /** Sensors whose newest health waits for the end of the interval. */
  private readonly later = new Set<string>();
  private timer: TimerHandle | undefined;
  private readonly now: () => number;
  private readonly clock: Clock;

  constructor(private readonly opts: HealthOptions) {
    this.now = opts.now ?? Date.now;
    this.clock = opts.clock ?? systemClock;
  }

  /** A sensor known from the configuration, so a storage problem reaches it before its first diagnosis. */
  addSensor(sensorId: string, asset: string): void {
    this.assets.set(sensorId, asset);
  }

  lastDiagnoses(): ReadonlyMap<string, Diagnosis> {
    return this.lastDiagnosis;
  }

  /** Every known sensor's current health, as its retained topic would carry it now. */
  current(): HealthPayload[] {
    const out: HealthPayload[] = [];
    for (const [sensorId, asset] of this.assets) out.push(this.payload(sensorId, asset));
    return out;
  }

  /** A committed diagnosis; `activeClass` is the alert tracker's view of the sensor. */
  diagnosis(d: Diagnosis, activeClass: string | null): void {
    if (activeClass === null) this.hints.delete(d.sensorId);
    else this.hints.set(d.sensorId, activeClass);
    const prev = this.lastDiagnosis.get(d.sensorId);
    if (!prev || d.windowEnd >= prev.windowEnd) this.lastDiagnosis.set(d.sensorId, d);
    this.assets.set(d.sensorId, d.asset);
    this.schedule(d.sensorId);
  }

  /** The sensor's active alert, or undefined once it cleared. */
  alert(sensorId: string, asset: string, a: ActiveAlert | undefined): void {
    if (a) this.alerts.set(sensorId, a);
    else {
      this.alerts.delete(sensorId);
      this.hints.delete(sensorId);
    }
    this.assets.set(sensorId, asset);
    this.schedule(sensorId);
  }

  /** A problem of the whole gateway (storage failing) marks every sensor degraded; null when it is over. */
  setProblem(problem: string | null): void {
    if (problem === this.problem) return;
    this.problem = problem;
    for (const id of this.assets.keys()) this.schedule(id);
  }

  /** Sends every deferred health now (at stop, so the retained state is the newest). */
  flush(): void {
    this.sendDeferred(true);
  }

  stop(): void {
    this.flush();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Many updates in one turn (a committed batch) become one message per sensor. */
  private schedule(sensorId: string): void {
    this.due.add(sensorId);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const due = [...this.due];
      this.due.clear();
      for (const id of due) this.send(id);
    });
  }

  private send(sensorId: string, force = false): void {
    const last = this.lastDiagnosis.get(sensorId);
    const alert = this.alerts.get(sensorId);
    const hint = this.hints.get(sensorId) ?? null;
    // What makes health news: the alert (or the tracker's hint), the class, whether there is a diagnosis
    // at all, and a problem; together they decide the status. Checked before the payload is built:
    // most calls defer.
    const key = `${alert ? `${alert.alertId}:${alert.className}` : `-:${hint ?? ''}`}|${last ? last.className : '-'}|${this.problem ?? ''}`;
    const now = this.clock.now();
    const sent = this.sent.get(sensorId);
    if (!force && sent && sent.key === key && now - sent.at < this.opts.intervalMs) {
      this.later.add(sensorId);
      this.arm(sent.at + this.opts.intervalMs - now);
      return;
    }
    this.later.delete(sensorId);
    this.sent.set(sensorId, { at: now, key });
    const asset = this.assets.get(sensorId) ?? last?.asset ?? alert?.asset;
    if (asset === undefined) return;
    const payload = this.payload(sensorId, asset);
    this.opts.publisher.retain(this.opts.publisher.topics.health(asset, sensorId), JSON.stringify(payload), { expirySec: this.opts.expirySec });
    this.opts.onSent?.(payload);
  }

  private payload(sensorId: string, asset: string): HealthPayload {
    const hint = this.hints.get(sensorId) ?? null;
    return healthPayload(this.opts.gatewayId, sensorId, asset, this.lastDiagnosis.get(sensorId), this.alerts.get(sensorId), this.now(), hint, this.problem);
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => { this.timer = undefined; this.sendDeferred(false); }, Math.max(1, delayMs));
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Sends the deferred health messages; unless `force`, ones not yet due are deferred again. */
  private sendDeferred(force: boolean): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const later = [...this.later];
    this.later.clear();
    for (const id of later) this.send(id, force);
  }
}

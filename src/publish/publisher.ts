// MQTT publisher: status with last will, diagnoses, retained health and alert state, alert events.
// Conventions from zigbee2mqtt and docs/topics.md: fixed client id, persistent session, QoS 1,
// retained `online` republished on EVERY connect (a broker without persistence forgets it).
import type { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { RateLimitedLog, type Logger } from '../log.js';
import type { AlertEvent, Diagnosis } from '../types.js';
import { ListenerGroup } from './listeners.js';
import { OfflineQueue, type QueuedKind, type QueuedMessage } from './offline-queue.js';
import {
  alertEventPayload, alertPayload, diagnosisPayload, healthPayload, type ActiveAlert,
} from './payloads.js';
import { Topics } from './topics.js';
import type { MqttTlsOptions } from '../util/mqtt-tls.js';

export type MqttSettings = Settings['mqtt'];

export interface PublisherOptions {
  /** mqtt.* and gateway.id are used; the whole Settings object can be passed. */
  settings: Readonly<Pick<Settings, 'mqtt' | 'gateway'>>;
  log: Logger;
  /** Broker URL; overrides mqtt.url (the app passes the embedded broker's URL when mqtt.url is null). */
  url?: string;
  now?: () => number;
  /** Upper bound for stop(): publishing `offline` and closing the connection. */
  stopTimeoutMs?: number;
  /** TLS options for mqtts:// (src/util/mqtt-tls.ts; read from mqtt.tls by the app). */
  tls?: MqttTlsOptions;
}

/** An alert already active when the daemon starts (from Store.alerts({ active: true })). */
export interface RestoredAlert {
  id: number;
  sensorId: string;
  asset: string;
  className: string;
  raisedAt: number;
  lastChangedAt: number;
  peakConfidence: number;
}

export interface PublisherStats {
  published: number;
  /** Dropped from the offline queue at its bound, by kind. */
  dropped: Record<QueuedKind, number>;
  /** Larger than mqtt.maxPayloadBytes; never sent. */
  oversized: number;
  queued: number;
}

/** The latest retained message of a topic; republished on every connect. */
interface RetainedState {
  payload: string;
  /** Epoch ms after which it is stale and is not republished (health), or undefined. */
  expiresAt?: number;
}

/**
 * MQTT 5 ends a session at disconnect unless Session Expiry Interval is set (§3.1.2.11.2), which
 * would silently undo clean=false. A day outlives any reconnect gap yet lets the broker forget a
 * decommissioned gateway.
 */
const SESSION_EXPIRY_SEC = 86_400;

export class Publisher {
  readonly topics: Topics;
  private readonly opts: PublisherOptions;
  private readonly mqttSettings: MqttSettings;
  private readonly gatewayId: string;
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly now: () => number;
  private readonly queue: OfflineQueue;
  private readonly retained = new Map<string, RetainedState>();
  private readonly lastDiagnosis = new Map<string, Diagnosis>();
  private readonly activeAlerts = new Map<string, ActiveAlert>();
  private readonly activeHints = new Map<string, string>();
  private readonly healthDue = new Map<string, string>();
  private healthScheduled = false;
  /** Per sensor: when its health was last sent and what it said (status, class, alert). */
  private readonly healthSent = new Map<string, { at: number; key: string }>();
  /** Sensors whose newest health waits for the end of healthIntervalMs. */
  private readonly healthLater = new Map<string, string>();
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly connectHooks = new Set<() => void>();
  private readonly listeners = new ListenerGroup();
  private mqtt: MqttClient | undefined;
  private firstConnect!: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void; settled: boolean };
  private counts = { published: 0, oversized: 0 };

  constructor(opts: PublisherOptions) {
    this.opts = opts;
    this.mqttSettings = opts.settings.mqtt;
    this.gatewayId = opts.settings.gateway.id;
    this.log = opts.log.child({ component: 'publisher' });
    this.limited = new RateLimitedLog(this.log, 30_000);
    this.now = opts.now ?? Date.now;
    this.topics = new Topics(this.mqttSettings.baseTopic, this.gatewayId);
    this.queue = new OfflineQueue(this.mqttSettings.maxQueue);
    this.resetReady();
  }

  get connected(): boolean {
    return this.mqtt?.connected ?? false;
  }

  /** The underlying mqtt.js client (tests and diagnostics); undefined before start() and after stop(). */
  get client(): MqttClient | undefined {
    return this.mqtt;
  }

  get stats(): PublisherStats {
    return { ...this.counts, dropped: { ...this.queue.dropped }, queued: this.queue.size };
  }

  /** Resolves on the first successful connect; rejects if stop() comes first. */
  ready(): Promise<void> {
    return this.firstConnect.promise;
  }

  /** Runs after every connect, once `online` and the queued messages are on their way. Returns the unsubscribe. */
  onConnect(fn: () => void): () => void {
    this.connectHooks.add(fn);
    return () => this.connectHooks.delete(fn);
  }

  /** Connects in the background: resolves even when the broker is down (mqtt.js keeps retrying). */
  async start(): Promise<void> {
    if (this.mqtt) return;
    if (this.firstConnect.settled) this.resetReady();
    const m = this.mqttSettings;
    const url = this.opts.url ?? m.url;
    if (!url) throw new DrsndError(ErrorCodes.CONFIG_INVALID, 'publisher has no broker URL: set mqtt.url, or start the embedded broker and pass its URL');
    const status = this.topics.status();
    const options: IClientOptions = {
      clientId: m.clientId ?? `drsnd-${this.gatewayId}`,
      clean: false,
      protocolVersion: m.protocolVersion,
      reconnectPeriod: m.reconnectMs,
      connectTimeout: Math.max(5_000, m.reconnectMs * 2),
      keepalive: 30,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(m.protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_SEC } } : {}),
      ...(m.username !== null ? { username: m.username } : {}),
      ...(m.password !== null ? { password: m.password } : {}),
      ...this.opts.tls,
    };
    const client = connect(url, options);
    this.mqtt = client;
    const em = client as unknown as EventEmitter;
    this.listeners.on(em, 'connect', () => this.onConnected(client));
    this.listeners.on(em, 'close', () => this.log.debug('connection closed'));
    this.listeners.on(em, 'offline', () => this.limited.warn('offline', { url: redact(url), queued: this.queue.size }, 'broker unreachable, queueing'));
    // Without an error listener an emitter throws; a refused connection is retried, so log at a bounded rate.
    this.listeners.on(em, 'error', (err: Error) => this.limited.warn('error', { err, url: redact(url) }, 'mqtt error'));
  }

  /** Publishes `offline`, closes the connection (bounded by stopTimeoutMs) and removes every listener. */
  async stop(): Promise<void> {
    const client = this.mqtt;
    if (!client) return;
    // The newest health of every sensor goes out before `offline`: the retained state a late subscriber
    // reads must be the last one, not one up to healthIntervalMs older.
    this.sendDeferredHealth(true);
    this.mqtt = undefined;
    // One deadline for the whole shutdown: a dead broker must not cost two timeouts.
    const deadline = Date.now() + (this.opts.stopTimeoutMs ?? 3_000);
    const left = () => Math.max(0, deadline - Date.now());
    let graceful = true;
    try {
      if (client.connected) {
        await withTimeout(client.publishAsync(this.topics.status(), 'offline', { qos: 1, retain: true }), left());
      }
    } catch (err) {
      graceful = false;
      this.log.warn({ err }, 'could not publish offline status');
    }
    if (graceful) {
      graceful = await withTimeout(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), left())
        .then(() => true, () => false);
    }
    if (!graceful) client.end(true);
    this.listeners.removeAll();
    // mqtt.js may still report the socket's death; a closed client must not crash the process.
    client.on('error', () => undefined);
    this.connectHooks.clear();
    this.firstConnect.reject(new Error('publisher stopped before connecting'));
    if (this.queue.size > 0) this.log.warn({ lost: this.queue.size }, 'unsent messages discarded at stop');
    this.queue.drain();
  }

  /** Diagnoses of one committed batch: one diagnosis message each, one health update per sensor. */
  publishDiagnoses(ds: readonly Diagnosis[]): void {
    for (const d of ds) this.publishDiagnosis(d);
  }

  /** One committed diagnosis. The sensor's health follows, coalesced to one message per sensor per event-loop turn. */
  publishDiagnosis(d: Diagnosis): void {
    this.send('diagnosis', this.topics.diagnosis(d.asset, d.sensorId), JSON.stringify(diagnosisPayload(this.gatewayId, d)));
    this.noteDiagnosis(d);
  }

  /**
   * Refreshes the sensor's health from `d`. `activeClass` is the alert tracker's view; it only matters
   * when no alert event reached the publisher (an alert still open from before a restart).
   */
  publishHealth(d: Diagnosis, activeClass: string | null = null): void {
    if (activeClass === null) this.activeHints.delete(d.sensorId);
    else this.activeHints.set(d.sensorId, activeClass);
    // After publishDiagnosis(d) (the app's order) d is already noted and its health scheduled.
    if (this.lastDiagnosis.get(d.sensorId) !== d) this.noteDiagnosis(d);
  }

  /** One alert transition (alertId from Store.recordAlertEvent): event, retained alert set or cleared, health. */
  publishAlertEvent(e: AlertEvent, alertId: number): void {
    const gw = this.gatewayId;
    this.send('event', this.topics.alertEvents(), JSON.stringify(alertEventPayload(gw, alertId, e)));
    const topic = this.topics.alert(e.asset, e.sensorId);
    if (e.transition === 'cleared') {
      this.activeAlerts.delete(e.sensorId);
      this.activeHints.delete(e.sensorId);
      // An empty retained message deletes the retained alert at the broker (MQTT 3.1.1 §3.3.1.3).
      this.setRetained(topic, '');
    } else {
      const prev = this.activeAlerts.get(e.sensorId);
      const a: ActiveAlert = {
        alertId, sensorId: e.sensorId, asset: e.asset, className: e.className,
        previousClassName: e.previousClassName, confidence: e.confidence,
        peakConfidence: Math.max(e.confidence, prev?.peakConfidence ?? 0),
        raisedAt: prev && prev.alertId === alertId ? prev.raisedAt : e.at, changedAt: e.at,
      };
      this.activeAlerts.set(e.sensorId, a);
      this.setRetained(topic, JSON.stringify(alertPayload(gw, a)));
    }
    this.scheduleHealth(e.sensorId, e.asset);
  }

  /** Seeds active alerts from the store at start-up so the retained alert and health topics are right after a restart. */
  restoreAlerts(alerts: readonly RestoredAlert[]): void {
    for (const r of alerts) {
      const a: ActiveAlert = {
        alertId: r.id, sensorId: r.sensorId, asset: r.asset, className: r.className, previousClassName: null,
        confidence: r.peakConfidence, peakConfidence: r.peakConfidence, raisedAt: r.raisedAt, changedAt: r.lastChangedAt,
      };
      this.activeAlerts.set(r.sensorId, a);
      this.setRetained(this.topics.alert(r.asset, r.sensorId), JSON.stringify(alertPayload(this.gatewayId, a)));
      this.scheduleHealth(r.sensorId, r.asset);
    }
  }

  private noteDiagnosis(d: Diagnosis): void {
    const prev = this.lastDiagnosis.get(d.sensorId);
    if (!prev || d.windowEnd >= prev.windowEnd) this.lastDiagnosis.set(d.sensorId, d);
    this.scheduleHealth(d.sensorId, d.asset);
  }

  /** Health is state, not an event: many updates in one turn (a committed batch) become one message per sensor. */
  private scheduleHealth(sensorId: string, asset: string): void {
    this.healthDue.set(sensorId, asset);
    if (this.healthScheduled) return;
    this.healthScheduled = true;
    queueMicrotask(() => {
      this.healthScheduled = false;
      const due = [...this.healthDue];
      this.healthDue.clear();
      for (const [id, a] of due) this.sendHealth(id, a);
    });
  }

  /**
   * Sends a sensor's health now if it says something new (status, class, alert) or the interval has
   * passed; otherwise the newest state is sent when the interval ends.
   */
  private sendHealth(sensorId: string, asset: string, force = false): void {
    const last = this.lastDiagnosis.get(sensorId);
    const alert = this.activeAlerts.get(sensorId);
    const hint = this.activeHints.get(sensorId) ?? null;
    // What makes health news: the alert (or the tracker's hint), the class, and whether there is a diagnosis
    // at all; together they decide the status. Checked before the payload is built: most calls defer.
    const key = `${alert ? `${alert.alertId}:${alert.className}` : `-:${hint ?? ''}`}|${last ? last.className : '-'}`;
    const now = this.now();
    const interval = this.mqttSettings.healthIntervalMs;
    const sent = this.healthSent.get(sensorId);
    if (!force && sent && sent.key === key && now - sent.at < interval) {
      this.healthLater.set(sensorId, asset);
      this.armHealthTimer(sent.at + interval - now);
      return;
    }
    this.healthLater.delete(sensorId);
    this.healthSent.set(sensorId, { at: now, key });
    const payload = healthPayload(this.gatewayId, sensorId, asset, last, alert, now, hint);
    this.setRetained(this.topics.health(asset, sensorId), JSON.stringify(payload), this.mqttSettings.healthExpirySec);
  }

  private armHealthTimer(delayMs: number): void {
    if (this.healthTimer) return;
    this.healthTimer = setTimeout(() => this.sendDeferredHealth(false), Math.max(1, delayMs));
    this.healthTimer.unref();
  }

  /** Sends the deferred health messages; unless `force`, ones not yet due are deferred again (re-arming the timer). */
  private sendDeferredHealth(force: boolean): void {
    clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    const later = [...this.healthLater];
    this.healthLater.clear();
    for (const [id, asset] of later) this.sendHealth(id, asset, force);
  }

  private onConnected(client: MqttClient): void {
    this.log.info({ clientId: client.options.clientId }, 'connected to broker');
    client.publish(this.topics.status(), 'online', { qos: 1, retain: true });
    const now = this.now();
    for (const [topic, state] of this.retained) {
      if (state.expiresAt !== undefined && state.expiresAt <= now) continue;
      this.write(client, topic, state.payload, true, state.expiresAt);
    }
    const backlog = this.queue.drain();
    for (const m of backlog) this.write(client, m.topic, m.payload, false);
    if (backlog.length > 0) this.log.info({ sent: backlog.length, dropped: this.queue.dropped }, 'offline queue flushed');
    this.firstConnect.resolve();
    for (const fn of this.connectHooks) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'onConnect hook failed');
      }
    }
  }

  /** Retained state: remembered (latest per topic) and sent now if connected, else on the next connect. */
  private setRetained(topic: string, payload: string, expirySec?: number): void {
    if (this.oversized(topic, payload)) return;
    const expiresAt = expirySec === undefined ? undefined : this.now() + expirySec * 1000;
    this.retained.set(topic, { payload, expiresAt });
    if (this.mqtt?.connected) this.write(this.mqtt, topic, payload, true, expiresAt);
  }

  private send(kind: QueuedKind, topic: string, payload: string): void {
    if (this.oversized(topic, payload)) return;
    if (this.mqtt?.connected) this.write(this.mqtt, topic, payload, false);
    else this.queue.push({ topic, payload, kind } satisfies QueuedMessage);
  }

  private write(client: MqttClient, topic: string, payload: string, retain: boolean, expiresAt?: number): void {
    const opts: IClientPublishOptions = { qos: 1, retain };
    if (expiresAt !== undefined && this.mqttSettings.protocolVersion === 5) {
      // MQTT 5 §3.3.2.3.3: the broker drops the retained health when the gateway stops updating it.
      opts.properties = { messageExpiryInterval: Math.max(1, Math.ceil((expiresAt - this.now()) / 1000)) };
    }
    client.publish(topic, payload, opts, (err) => {
      if (err) this.limited.warn('publish', { err, topic }, 'publish failed');
    });
    this.counts.published++;
  }

  private oversized(topic: string, payload: string): boolean {
    if (Buffer.byteLength(payload) <= this.mqttSettings.maxPayloadBytes) return false;
    this.counts.oversized++;
    this.limited.warn('oversized', { topic, bytes: Buffer.byteLength(payload) }, 'payload larger than mqtt.maxPayloadBytes, not sent');
    return true;
  }

  private resetReady(): void {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    // Nobody has to await ready(); an unobserved rejection at stop() must not crash the process.
    promise.catch(() => undefined);
    const state = {
      promise, settled: false,
      resolve: () => { state.settled = true; resolve(); },
      reject: (e: Error) => { state.settled = true; reject(e); },
    };
    this.firstConnect = state;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Never log credentials embedded in a URL. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

// The MQTT connection: status with last will, QoS 1 publishing for the outbox, and retained state.
// What is published and when is decided elsewhere: the outbox relay (diagnoses, alert events, from
// SQLite) and the alerts component (retained alert and health). Conventions from zigbee2mqtt and
// docs/topics.md: fixed client id, persistent session, QoS 1, retained `online` republished on EVERY
// connect (a broker without persistence forgets it).
import type { EventEmitter } from 'node:events';
import { connect, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';
import { mqttClientOptions, type MqttSettings } from './client-options.js';
import { ListenerGroup } from './listeners.js';
import { Topics } from './topics.js';
import type { MqttTlsOptions } from '../util/mqtt-tls.js';

export type { MqttSettings };

export interface PublisherOptions {
  /** mqtt.* and gateway.id are used; the whole Settings object can be passed. */
  settings: Readonly<Pick<Settings, 'mqtt' | 'gateway'>>;
  log: Logger;
  /** Broker URL; overrides mqtt.url (the app passes the embedded broker's URL when mqtt.url is null). */
  url?: string;
  /** Wall clock (epoch ms): when retained health expires. */
  now?: () => number;
  /** Timers (the stop deadline). */
  clock?: Clock;
  /** Upper bound for stop(): publishing `offline` and closing the connection. */
  stopTimeoutMs?: number;
  /** TLS options for mqtts:// (src/util/mqtt-tls.ts; read from mqtt.tls by the app). */
  tls?: MqttTlsOptions;
}

export interface PublisherStats {
  /** Messages handed to the broker connection (QoS 1, retained or not). */
  published: number;
  /** Larger than mqtt.maxPayloadBytes; never sent. */
  oversized: number;
}

/**
 * Why a QoS 1 message got no PUBACK. `retry` false: refused for good (larger than
 * mqtt.maxPayloadBytes, or a broker's negative PUBACK, MQTT 5 §3.4.2.1), sending it again changes
 * nothing. `retry` true: the connection closed before the broker had it (mqtt.js fails the publishes
 * it was still holding back, see publish()), so it must be sent again.
 */
export class PublishError extends Error {
  constructor(message: string, readonly retry: boolean, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'PublishError';
  }
}

/** Called at the broker's PUBACK, or with the reason it did not come. */
export type PublishDone = (err?: PublishError) => void;

/** The latest retained message of a topic; republished on every connect. */
interface RetainedState {
  payload: string;
  /** Epoch ms after which it is stale and is not republished (health), or undefined. */
  expiresAt?: number;
  onAck?: () => void;
}

export class Publisher {
  readonly topics: Topics;
  private readonly opts: PublisherOptions;
  private readonly mqttSettings: MqttSettings;
  private readonly gatewayId: string;
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly retained = new Map<string, RetainedState>();
  private readonly connectHooks = new Set<() => void>();
  /** Topic filters drsnd listens on (requests, Home Assistant status, Sparkplug commands), with their handler. */
  private readonly subscriptions = new Map<string, (topic: string, payload: Buffer, packet: IPublishPacket) => void>();
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
    this.clock = opts.clock ?? systemClock;
    this.topics = new Topics(this.mqttSettings.baseTopic, this.gatewayId);
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
    return { ...this.counts };
  }

  /** Resolves on the first successful connect; rejects if stop() comes first. */
  ready(): Promise<void> {
    return this.firstConnect.promise;
  }

  /** Runs after every connect, once `online` and the retained state are on their way. Returns the unsubscribe. */
  onConnect(fn: () => void): () => void {
    this.connectHooks.add(fn);
    return () => this.connectHooks.delete(fn);
  }

  /** Connects in the background: resolves even when the broker is down (mqtt.js keeps retrying). */
  async start(): Promise<void> {
    if (this.mqtt) return;
    if (this.firstConnect.settled) this.resetReady();
    const url = this.opts.url ?? this.mqttSettings.url;
    if (!url) throw new DrsndError(ErrorCodes.CONFIG_INVALID, 'publisher has no broker URL: set mqtt.url, or start the embedded broker and pass its URL');
    // TLS (mqtt.tls, read by the app) on top of the common options.
    const client = connect(url, { ...mqttClientOptions(this.mqttSettings, this.gatewayId, this.topics.status()), ...this.opts.tls });
    this.mqtt = client;
    const em = client as unknown as EventEmitter;
    this.listeners.on(em, 'connect', () => this.onConnected(client));
    this.listeners.on(em, 'close', () => this.log.debug('connection closed'));
    this.listeners.on(em, 'message', (topic: string, payload: Buffer, packet: IPublishPacket) => this.dispatch(topic, payload, packet));
    this.listeners.on(em, 'offline', () => this.limited.warn('offline', { url: redact(url) }, 'broker unreachable; messages wait in the SQLite outbox'));
    // Without an error listener an emitter throws; a refused connection is retried, so log at a bounded rate.
    this.listeners.on(em, 'error', (err: Error) => this.limited.warn('error', { err, url: redact(url) }, 'mqtt error'));
  }

  /** Publishes `offline`, closes the connection (bounded by stopTimeoutMs) and removes every listener. */
  async stop(): Promise<void> {
    const client = this.mqtt;
    if (!client) return;
    this.mqtt = undefined;
    // One deadline for the whole shutdown: a dead broker must not cost two timeouts.
    const deadline = this.clock.now() + (this.opts.stopTimeoutMs ?? 3_000);
    const left = () => Math.max(0, deadline - this.clock.now());
    let graceful = true;
    try {
      if (client.connected) {
        await this.withTimeout(client.publishAsync(this.topics.status(), 'offline', { qos: 1, retain: true }), left());
      }
    } catch (err) {
      graceful = false;
      this.log.warn({ err }, 'could not publish offline status');
    }
    if (graceful) {
      graceful = await this.withTimeout(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), left())
        .then(() => true, () => false);
    }
    if (!graceful) client.end(true);
    this.listeners.removeAll();
    // mqtt.js may still report the socket's death; a closed client must not crash the process.
    client.on('error', () => undefined);
    this.connectHooks.clear();
    this.firstConnect.reject(new Error('publisher stopped before connecting'));
  }

  /**
   * One QoS 1 message, not retained, if connected: returns false and sends nothing otherwise (the
   * caller keeps it, in SQLite, and tries again after the next connect). Once sent, mqtt.js keeps it
   * until the PUBACK, resending it after a reconnect; `done` runs then.
   * mqtt.js reports itself connected from the CONNACK on, but while it resends the messages of the
   * previous connection (one PUBACK at a time) it holds new publishes in a queue; a connection that
   * closes before that is through fails them with "Connection closed". They never reached the broker:
   * `done` gets a PublishError with `retry`, and the caller sends them again.
   */
  publish(topic: string, payload: string, done: PublishDone): boolean {
    const client = this.mqtt;
    if (!client?.connected) return false;
    if (this.oversized(topic, payload)) {
      queueMicrotask(() => done(new PublishError(`payload larger than mqtt.maxPayloadBytes (${this.mqttSettings.maxPayloadBytes})`, false)));
      return true;
    }
    this.counts.published++;
    client.publish(topic, payload, { qos: 1, retain: false }, (err) => done(err ? publishError(err) : undefined));
    return true;
  }

  /**
   * Retained state: the latest payload per topic is kept, sent now if connected and again on every
   * connect (not once expired). `onAck` runs when the broker acknowledged this payload ('' deletes
   * the retained message at the broker, MQTT 3.1.1 §3.3.1.3).
   */
  retain(topic: string, payload: string, opts: { expirySec?: number; onAck?: () => void } = {}): void {
    if (this.oversized(topic, payload)) return;
    const expiresAt = opts.expirySec === undefined ? undefined : this.now() + opts.expirySec * 1000;
    const state: RetainedState = { payload, expiresAt, onAck: opts.onAck };
    this.retained.set(topic, state);
    if (this.mqtt?.connected) this.writeRetained(this.mqtt, topic, state);
  }

  /**
   * Listens on `filter` from now on, subscribing again at every connect. QoS 0: the session is
   * persistent, and a request sent while drsnd was away must not be answered late, after a restart.
   * Returns the unsubscribe function.
   */
  subscribe(filter: string, fn: (topic: string, payload: Buffer, packet: IPublishPacket) => void): () => void {
    this.subscriptions.set(filter, fn);
    if (this.mqtt?.connected) this.mqtt.subscribe(filter, { qos: 0 });
    return () => {
      this.subscriptions.delete(filter);
      if (this.mqtt?.connected) this.mqtt.unsubscribe(filter);
    };
  }

  /** A reply (request/response, Sparkplug): QoS 1, not retained, with MQTT 5 properties where the protocol has them. */
  send(topic: string, payload: string | Buffer, opts: { properties?: IClientPublishOptions['properties']; qos?: 0 | 1; retain?: boolean } = {}): boolean {
    const client = this.mqtt;
    if (!client?.connected) return false;
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (bytes > this.mqttSettings.maxPayloadBytes) {
      this.counts.oversized++;
      this.limited.warn('oversized', { topic, bytes }, 'payload larger than mqtt.maxPayloadBytes, not sent');
      return false;
    }
    this.counts.published++;
    const o: IClientPublishOptions = { qos: opts.qos ?? 1, retain: opts.retain ?? false };
    if (opts.properties && this.mqttSettings.protocolVersion === 5) o.properties = opts.properties;
    client.publish(topic, payload, o, (err) => { if (err) this.limited.warn('publish', { err, topic }, 'publish failed'); });
    return true;
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    for (const [filter, fn] of this.subscriptions) {
      if (!topicMatches(filter, topic)) continue;
      try {
        fn(topic, payload, packet);
      } catch (err) {
        this.log.error({ err, topic }, 'message handler failed');
      }
    }
  }

  private onConnected(client: MqttClient): void {
    this.log.info({ clientId: client.options.clientId }, 'connected to broker');
    for (const filter of this.subscriptions.keys()) client.subscribe(filter, { qos: 0 });
    client.publish(this.topics.status(), 'online', { qos: 1, retain: true });
    const now = this.now();
    for (const [topic, state] of this.retained) {
      if (state.expiresAt !== undefined && state.expiresAt <= now) continue;
      this.writeRetained(client, topic, state);
    }
    this.firstConnect.resolve();
    for (const fn of this.connectHooks) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'onConnect hook failed');
      }
    }
  }

  private writeRetained(client: MqttClient, topic: string, state: RetainedState): void {
    const opts: IClientPublishOptions = { qos: 1, retain: true };
    if (state.expiresAt !== undefined && this.mqttSettings.protocolVersion === 5) {
      // MQTT 5 §3.3.2.3.3: the broker drops the retained health when the gateway stops updating it.
      opts.properties = { messageExpiryInterval: Math.max(1, Math.ceil((state.expiresAt - this.now()) / 1000)) };
    }
    this.counts.published++;
    client.publish(topic, state.payload, opts, (err) => {
      if (err) this.limited.warn('publish', { err, topic }, 'publish failed');
      // Only the newest payload of the topic counts: an older one acknowledged late says nothing.
      else if (this.retained.get(topic) === state) state.onAck?.();
    });
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

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => this.clock.clearTimeout(timer));
  }
}

/**
 * mqtt.js gives a broker's negative PUBACK as an Error whose `code` is the MQTT 5 reason code (a
 * number, ErrorWithReasonCode, not exported by the package); every other error of a QoS 1 publish
 * ("Connection closed", "client disconnecting") means the broker never acknowledged it.
 */
function publishError(err: Error): PublishError {
  const refused = typeof (err as { code?: unknown }).code === 'number';
  return new PublishError(err.message, !refused, { cause: err });
}

/** MQTT topic filter matching (§4.7): `+` one level, `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Never log credentials embedded in a URL. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

// The delivery path as the app wires it, on real things: a SQLite store in a temp folder, a real
// mosquitto (through a Gate, so a test can cut the gateway off while observers stay connected), the
// publisher, the outbox relay and the alerts component. Diagnoses go in with commit(); observers
// subscribe on the broker itself.
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { AlertsComponent } from '../../src/alerts/alerts.js';
import { settingsSchema, type Settings } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log.js';
import { OutboxRelay } from '../../src/publish/outbox-relay.js';
import { Publisher } from '../../src/publish/publisher.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis, SensorMeta } from '../../src/types.js';
import type { Clock } from '../../src/util/clock.js';
import { freePort, startTestBroker, type TestBroker } from './broker.js';
import { Gate } from './gate.js';
import { tempDir } from './temp.js';

export interface Received { topic: string; payload: string; retain: boolean; packet: IPublishPacket }

export interface DeliveryOptions {
  mqtt?: Record<string, unknown>;
  store?: Record<string, unknown>;
  alerts?: Record<string, unknown>;
  /** Timers of the alerts component (health); the relay and store keep real time unless relayClock. */
  clock?: Clock;
  /** Timers of the outbox relay (rate limit, cursor writes). */
  relayClock?: Clock;
  /** Start with the gate closed: the broker is unreachable from the gateway. */
  offline?: boolean;
  log?: Logger;
}

export const SENSOR: SensorMeta = { id: 'de', asset: 'pump1', rateHz: 12_000, unit: 'g', axes: ['x'] };

export function diag(windowEnd: number, className = 'Normal', confidence = 0.876543211): Diagnosis {
  return {
    sensorId: 'de', asset: 'pump1', channel: 'x', windowStart: windowEnd - 170, windowEnd,
    classIndex: className === 'Normal' ? 0 : 1, className, kind: className === 'Normal' ? 'normal' : 'fault',
    probabilities: [1 - confidence, confidence], confidence, modelId: 'drsn-cw-cwru', modelVersion: '1.0.0', latencyMs: 12.3456,
  };
}

export interface Gateway {
  settings: Settings;
  store: Store;
  publisher: Publisher;
  relay: OutboxRelay;
  alerts: AlertsComponent;
  /** Starts (again) everything but the store, in the app's order. */
  start(): Promise<void>;
  /** Stops in the app's reverse order (alerts, relay, publisher), keeping the store open. */
  stop(): Promise<void>;
}

export async function deliveryHarness(t: { after(fn: () => unknown): void }, opts: DeliveryOptions = {}) {
  const broker: TestBroker = await startTestBroker();
  const gate = new Gate(await freePort(), broker.port);
  if (!opts.offline) await gate.open();
  const dir = tempDir(t, 'drsnd-delivery-');
  const clients: MqttClient[] = [];
  const settings = settingsSchema.parse({
    gateway: { id: 'gw-a' },
    mqtt: { url: gate.url, reconnectMs: 100, healthExpirySec: 120, ...opts.mqtt },
    store: { path: `${dir}/d.db`, ...opts.store },
    alerts: { ...opts.alerts },
  });
  const log = opts.log ?? createLogger('silent');
  const store = new Store({ settings: settings.store, log });
  await store.start();

  const make = (): Gateway => {
    const publisher = new Publisher({ settings, log });
    const relay = new OutboxRelay({ store, publisher, gatewayId: 'gw-a', settings: settings.mqtt.outbox, log, clock: opts.relayClock });
    const alerts = new AlertsComponent({ settings, sensors: [SENSOR], store, publisher, relay, log, clock: opts.clock });
    return {
      settings, store, publisher, relay, alerts,
      async start() {
        await publisher.start();
        relay.start();
        alerts.start();
      },
      async stop() {
        alerts.stop();
        await relay.stop();
        await publisher.stop();
      },
    };
  };
  const gateways: Gateway[] = [];
  const gateway = async (): Promise<Gateway> => {
    const g = make();
    gateways.push(g);
    await g.start();
    if (gate.isOpen) await g.publisher.ready();
    return g;
  };
  t.after(async () => {
    for (const g of gateways) await g.stop();
    await store.stop();
    for (const c of clients) await c.endAsync(true);
    await gate.close();
    await broker.stop();
  });

  /** Commits diagnoses as the pipeline would: one batch. */
  const commit = (...ds: Diagnosis[]) => {
    for (const d of ds) store.enqueue(d);
    store.flush();
  };

  /**
   * Resolves once the broker has processed everything the newest gateway sent so far: health goes out
   * at the end of the turn and the outbox within a timer tick, then a QoS 1 marker on the same
   * connection is acknowledged only after what preceded it (the broker handles a connection in order).
   */
  const flushed = async (): Promise<void> => {
    const g = gateways.at(-1);
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    if (!g?.publisher.connected) return;
    await new Promise<void>((resolve) => { g.publisher.publish('drsnd/gw-a/flushed', 'x', () => resolve()); });
  };

  /**
   * Subscribes a fresh client and returns what it got once the broker has delivered everything
   * retained (after flushed()): a marker published by the same client after SUBACK arrives after any
   * retained message.
   */
  const snapshot = async (filter: string): Promise<Received[]> => {
    await flushed();
    const c = await connectAsync(broker.url, { protocolVersion: 5, clientId: `snap-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
    clients.push(c);
    const got: Received[] = [];
    const marker = `marker/${c.options.clientId}`;
    const done = new Promise<void>((resolve) => c.on('message', (topic, payload, packet) => {
      if (topic === marker) resolve();
      else got.push({ topic, payload: payload.toString(), retain: packet.retain, packet });
    }));
    await c.subscribeAsync([filter, marker], { qos: 1 });
    await c.publishAsync(marker, 'x', { qos: 1 });
    await done;
    return got;
  };

  /** A live subscriber that keeps collecting. */
  const live = async (filter: string | string[]) => {
    const c = await connectAsync(broker.url, { protocolVersion: 5, clientId: `live-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
    clients.push(c);
    const got: Received[] = [];
    c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain, packet }));
    await c.subscribeAsync(filter, { qos: 1, rap: true });
    const until = async (pred: (r: Received[]) => boolean, what: string, timeoutMs = 8_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred(got)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(got.map((g) => [g.topic, g.payload]).slice(-20))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    return { got, until };
  };
  return { broker, gate, settings, store, gateway, commit, flushed, snapshot, live };
}

// Gateway status on a real mosquitto: retained online, last will offline on an ungraceful drop,
// online again after every reconnect and broker restart, offline on a clean stop, no listener pile-up.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Publisher } from '../../src/publish/publisher.js';
import { freePort, startTestBroker } from '../helpers/broker.js';

interface Received { topic: string; payload: string; retain: boolean; packet: IPublishPacket }

/** A watching client (MQTT 5, retain-as-published so we can see whether a forwarded message was retained). */
async function watch(t: test.TestContext, url: string, topic: string) {
  const client: MqttClient = await connectAsync(url, { protocolVersion: 5, clientId: `watch-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  t.after(() => client.endAsync(true));
  const got: Received[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), retain: packet.retain, packet });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(topic, { qos: 1, rap: true });
  const waitFor = (pred: (r: Received[]) => boolean, what: string, ms = 8_000) => new Promise<void>((resolve, reject) => {
    if (pred(got)) return resolve();
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(got.map((g) => [g.topic, g.payload, g.retain]))}`)); }, ms);
    const check = () => { if (pred(got)) { clearTimeout(timer); waiters.delete(check); resolve(); } };
    waiters.add(check);
  });
  return { client, got, waitFor };
}

/** A real mosquitto; at the end publishers stop before the broker does (stop order matters for timing). */
async function setup(t: test.TestContext) {
  const broker = await startTestBroker();
  const publishers: Publisher[] = [];
  t.after(async () => {
    for (const p of publishers) await p.stop();
    await broker.stop();
  });
  const makePublisher = (gatewayId: string, mqtt: Record<string, unknown> = {}) => {
    const settings = settingsSchema.parse({ gateway: { id: gatewayId }, mqtt: { url: broker.url, reconnectMs: 100, ...mqtt } });
    const pub = new Publisher({ settings, log: createLogger('silent') });
    publishers.push(pub);
    return pub;
  };
  return { broker, makePublisher };
}

const payloads = (r: Received[]) => r.map((x) => x.payload);

test('online is retained; an ungraceful drop fires the retained last will; reconnects say online again without piling up listeners', async (t) => {
  const { broker, makePublisher } = await setup(t);
  const pub = makePublisher('gw-lwt');
  let connects = 0;
  pub.onConnect(() => { connects++; });
  await pub.start();
  await pub.ready();
  assert.equal(pub.connected, true);
  assert.equal(pub.client!.options.clientId, 'drsnd-gw-lwt', 'a fixed client id derived from gateway.id');
  assert.equal(pub.client!.options.clean, false, 'persistent session');

  const w = await watch(t, broker.url, 'drsnd/gw-lwt/status');
  await w.waitFor((r) => r.length === 1, 'retained online');
  assert.deepEqual([w.got[0].payload, w.got[0].retain], ['online', true]);

  const client = pub.client!;
  const events = ['connect', 'close', 'offline', 'error', 'message', 'packetreceive'] as const;
  const before = events.map((e) => client.listenerCount(e));

  for (let i = 1; i <= 5; i++) {
    const seen = w.got.length;
    client.stream.destroy(); // the TCP connection dies without DISCONNECT, as on a power cut
    // The will fires and the retained state ends at online. Under load the reconnect can overtake the
    // broker's close of the old socket (session takeover), adding an extra online: order, not count, matters.
    const connectsBefore = connects;
    await w.waitFor((r) => {
      const since = payloads(r.slice(seen));
      return connects > connectsBefore && since.includes('offline') && since.at(-1) === 'online' && since.lastIndexOf('online') > since.indexOf('offline');
    }, `offline then online (round ${i})`);
    // Let the reconnect settle before the next drop, so each round kills an established connection.
    while (!pub.connected) await new Promise((r) => setTimeout(r, 10));
    const will = w.got.slice(seen).find((g) => g.payload === 'offline')!;
    assert.equal(will.retain, true, 'the last will is retained');
    assert.equal(will.packet.qos, 1);
  }
  assert.ok(connects >= 6, `reconnected after every drop (${connects} connects)`);
  assert.equal(pub.client, client, 'mqtt.js reconnects the same client object');
  assert.deepEqual(events.map((e) => client.listenerCount(e)), before, 'listener counts unchanged after 5 reconnects');

  await pub.stop();
  assert.equal(pub.connected, false);
  // Ours were one each on connect/close/offline/error/message (requests and other subscriptions); stop() adds back a no-op error guard.
  const ours = { connect: 1, close: 1, offline: 1, error: 0, message: 1, packetreceive: 0 };
  assert.deepEqual(events.map((e) => client.listenerCount(e)), events.map((e, i) => before[i] - ours[e]), 'stop() removes the listeners it added');
});

test('online is republished after a broker restart that lost all retained messages', async (t) => {
  const { broker, makePublisher } = await setup(t);
  const pub = makePublisher('gw-restart');
  await pub.start();
  await pub.ready();
  let reconnected!: () => void;
  const again = new Promise<void>((r) => { reconnected = r; });
  pub.onConnect(() => reconnected());

  await broker.kill();
  await broker.restart(); // persistence false: the retained "online" is gone
  await again;
  const w = await watch(t, broker.url, 'drsnd/gw-restart/status');
  await w.waitFor((r) => r.some((x) => x.payload === 'online' && x.retain), 'retained online after restart');
});

test('a clean stop leaves a retained offline', async (t) => {
  const { broker, makePublisher } = await setup(t);
  const pub = makePublisher('gw-stop', { protocolVersion: 4 });
  await pub.start();
  await pub.ready();
  await pub.stop();
  const w = await watch(t, broker.url, 'drsnd/gw-stop/status');
  await w.waitFor((r) => r.length === 1, 'retained offline');
  assert.deepEqual([w.got[0].payload, w.got[0].retain], ['offline', true]);
});

test('start() resolves while the broker is unreachable; ready() rejects if stopped first', async () => {
  // A free port with nothing listening: connection refused, exactly like a broker that is down.
  const port = await freePort();
  const settings = settingsSchema.parse({ gateway: { id: 'gw-down' }, mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 100 } });
  const pub = new Publisher({ settings, log: createLogger('silent') });
  await pub.start();
  assert.equal(pub.connected, false);
  const ready = pub.ready();
  await pub.stop();
  await assert.rejects(ready, /stopped before connecting/);
});

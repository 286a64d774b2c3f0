// Broker down at start-up: the publisher starts anyway, keeps a bounded queue (oldest diagnoses go
// first, alert events and state are kept), and delivers it in order once the broker is reachable.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Publisher } from '../../src/publish/publisher.js';
import type { Diagnosis } from '../../src/types.js';
import { freePort, startTestBroker } from '../helpers/broker.js';

/**
 * The publisher's only way to the real mosquitto. Closed: nothing listens on the port, so connects
 * are refused exactly as with a broker that is down, while our observer already sits on the broker.
 */
class Gate {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly brokerPort: number) {}

  async open(): Promise<void> {
    const server = net.createServer((inbound) => {
      const outbound = net.connect(this.brokerPort, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { inbound.destroy(); outbound.destroy(); });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function diag(i: number): Diagnosis {
  return {
    sensorId: 'de', asset: 'pump1', channel: 'x', windowStart: i * 100, windowEnd: i * 100 + 85,
    classIndex: 0, className: 'Normal', kind: 'normal', probabilities: [1, 0], confidence: 1,
    modelId: 'm', modelVersion: '1', latencyMs: 1,
  };
}

test('started while the broker is down: bounded queue, state kept, flushed in order on connect', async (t) => {
  const broker = await startTestBroker();
  const gate = new Gate(await freePort(), broker.port);
  const settings = settingsSchema.parse({ gateway: { id: 'gw-q' }, mqtt: { url: `mqtt://127.0.0.1:${gate.port}`, reconnectMs: 100, maxQueue: 10 } });
  const pub = new Publisher({ settings, log: createLogger('silent') });
  let observer: MqttClient | undefined;
  t.after(async () => {
    await pub.stop();
    await observer?.endAsync(true);
    await gate.close();
    await broker.stop();
  });

  await pub.start();
  assert.equal(pub.connected, false, 'nothing is listening yet');

  // 30 diagnoses with an alert raised in the middle; the queue holds 10 messages.
  for (let i = 0; i < 15; i++) pub.publishDiagnoses([diag(i)]);
  pub.publishAlertEvent({ sensorId: 'de', asset: 'pump1', transition: 'raised', className: 'IR007', previousClassName: null, confidence: 0.9, at: 1_500 }, 3);
  for (let i = 15; i < 30; i++) pub.publishDiagnoses([diag(i)]);
  assert.deepEqual(pub.stats.dropped, { diagnosis: 21, event: 0 });
  assert.equal(pub.stats.queued, 10);

  observer = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'observer-q', reconnectPeriod: 0 });
  const got: Array<{ topic: string; payload: string }> = [];
  observer.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  await observer.subscribeAsync('drsnd/gw-q/#', { qos: 1 });

  await gate.open();
  await pub.ready();
  const deadline = Date.now() + 8_000;
  while (got.filter((g) => g.topic.endsWith('/diagnosis')).length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

  const topics = got.map((g) => g.topic.replace('drsnd/gw-q/', ''));
  assert.equal(topics[0], 'status', 'online comes first');
  assert.equal(got[0].payload, 'online');
  // Retained state is never dropped: the alert and the newest health arrive even though the queue overflowed.
  const alert = got.find((g) => g.topic.endsWith('/alert'));
  assert.equal(JSON.parse(alert!.payload).className, 'IR007');
  const health = got.filter((g) => g.topic.endsWith('/health'));
  assert.equal(health.length, 1, 'one health message: only the latest state is republished');
  assert.equal(JSON.parse(health[0].payload).status, 'fault');
  assert.equal(JSON.parse(health[0].payload).time, new Date(29 * 100 + 85).toISOString());
  // The event survived; the 9 newest diagnoses fill the rest of the queue, in order.
  assert.equal(got.filter((g) => g.topic.endsWith('events/alert')).length, 1);
  const windows = got.filter((g) => g.topic.endsWith('/diagnosis')).map((g) => JSON.parse(g.payload).windowEnd);
  assert.deepEqual(windows, Array.from({ length: 9 }, (_, k) => new Date((21 + k) * 100 + 85).toISOString()));
  assert.equal(pub.stats.queued, 0);

  // Once connected, messages go straight out.
  pub.publishDiagnoses([diag(30)]);
  while (got.filter((g) => g.topic.endsWith('/diagnosis')).length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const last = got.filter((g) => g.topic.endsWith('/diagnosis')).at(-1)!;
  assert.equal(JSON.parse(last.payload).windowEnd, new Date(30 * 100 + 85).toISOString());
  assert.equal(pub.stats.dropped.diagnosis, 21, 'nothing more dropped while connected');
});

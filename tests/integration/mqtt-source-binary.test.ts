// Raw float32 / int16 payloads through a real mosquitto.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { createMqttSource } from '../../src/ingest/mqtt-source.js';
import { startTestBroker } from '../helpers/broker.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';

test('float32 and int16 payloads: interleaved axes, int16 × scale, bad lengths counted', async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const ctx = { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 16, mqttUrl: broker.url, gatewayId: 'gw-bin' };
  const f32 = sensorSchema.parse({ id: 'mq-f32', asset: 'a', rateHz: 3200, axes: ['x', 'y'], source: { type: 'mqtt', topic: 'bin/f32', format: 'float32' } });
  const i16 = sensorSchema.parse({ id: 'mq-i16', asset: 'a', rateHz: 3200, axes: ['x', 'y', 'z'], source: { type: 'mqtt', topic: 'bin/i16', format: 'int16', scale: 0.0039 } });
  const gotF = collect(createMqttSource(f32, ctx));
  const gotI = collect(createMqttSource(i16, ctx));
  t.after(() => { gotF.sub.unsubscribe(); gotI.sub.unsubscribe(); });
  await waitFor(() => cap.count('subscribed') === 2, 'two subscriptions');
  const pub = await connectAsync(broker.url, { clientId: 'test-pub-bin' });
  t.after(() => pub.endAsync());

  const fb = Buffer.alloc(4 * 2 * 3);
  [0.5, -0.5, 1.5, -1.5, 2.5, -2.5].forEach((v, i) => fb.writeFloatLE(v, i * 4));
  const ib = Buffer.alloc(2 * 3 * 2);
  [256, -256, 1000, 1, 2, -32768].forEach((v, i) => ib.writeInt16LE(v, i * 2));

  await pub.publishAsync('bin/f32', Buffer.alloc(7), { qos: 1 }); // not a multiple of 2 axes × 4 bytes
  await pub.publishAsync('bin/f32', fb, { qos: 1 });
  await pub.publishAsync('bin/i16', Buffer.alloc(8), { qos: 1 }); // not a multiple of 3 axes × 2 bytes
  await pub.publishAsync('bin/i16', Buffer.alloc(0), { qos: 1 });
  await pub.publishAsync('bin/i16', ib, { qos: 1 });
  await waitFor(() => gotF.items.length === 1 && gotI.items.length === 1, 'one frame each');

  assert.deepEqual(gotF.items[0].channels.map((c) => [...c]), [[0.5, 1.5, 2.5], [-0.5, -1.5, -2.5]]);
  assert.equal(gotF.items[0].sensorId, 'mq-f32');
  const ch = gotI.items[0].channels;
  assert.equal(ch.length, 3);
  assert.ok(Math.abs(ch[0][0] - 256 * 0.0039) < 1e-6);
  assert.ok(Math.abs(ch[1][0] + 256 * 0.0039) < 1e-6);
  assert.ok(Math.abs(ch[2][1] + 32768 * 0.0039) < 1e-3);
  assert.equal(bad.count('mq-f32', 'binary-length'), 1);
  assert.equal(bad.count('mq-i16', 'binary-length'), 2);
});

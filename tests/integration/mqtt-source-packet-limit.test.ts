// MQTT 5 sensors tell the broker the largest packet they accept (maximumPacketSize, from
// mqtt.maxPayloadBytes): mosquitto then drops an oversize payload for us instead of delivering it, so
// it never costs our memory (issue 19: 10 MB payloads were received before the 4 MiB check).
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { createMqttSource, maxPacketBytes } from '../../src/ingest/mqtt-source.js';
import { mosquittoPath, startTestBroker } from '../helpers/broker.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';

test('an oversize payload is dropped by the broker, not received; the connection and the next payloads are unaffected', async (t) => {
  if (!mosquittoPath()) return t.skip('mosquitto is not installed (the embedded aedes broker speaks MQTT 3.1.1: no maximumPacketSize); skipping');
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({ id: 'big-1', asset: 'pump', rateHz: 1000, axes: ['x'], source: { type: 'mqtt', topic: 'lim/big', format: 'float32' } });
  const maxPayloadBytes = 64 * 1024;
  const got = collect(createMqttSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes, mqttUrl: broker.url, mqttOptions: { protocolVersion: 5, clientIdPrefix: 'lim' } }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('subscribed') === 1, 'subscribed');
  const pub = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'lim-pub' });
  t.after(() => pub.endAsync());
  const block = (n: number) => Buffer.from(new Float32Array(n).fill(0.5).buffer);
  await pub.publishAsync('lim/big', block(16), { qos: 1 });
  await pub.publishAsync('lim/big', block(maxPacketBytes(maxPayloadBytes) / 4 + 1024), { qos: 1 }); // over the packet limit
  await pub.publishAsync('lim/big', block(32), { qos: 1 });
  // No sleep needed: one publisher's QoS 1 messages reach a subscriber in order, so the oversize one,
  // had the broker passed it on, would have come (or been rejected by the decoder) before the last.
  await waitFor(() => got.items.length === 2, 'the two payloads within the limit');
  assert.deepEqual(got.items.map((f) => f.channels[0].length), [16, 32]);
  assert.equal(bad.count('big-1', 'payload-too-large'), 0, 'the oversize payload never reached the decoder');
  assert.equal(cap.count('broker reconnected') + cap.count('connection lost'), 0, 'the connection stayed up');
});

// JSON payloads through a real mosquitto: good payloads become frames, each kind of bad payload is
// counted with its reason, and good payloads after bad ones still arrive.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { createMqttSource } from '../../src/ingest/mqtt-source.js';
import { startTestBroker } from '../helpers/broker.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';

test('JSON payloads: frames for good ones, counted reasons for bad ones, no crash', async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'mq-json-1', asset: 'pump', rateHz: 1000, unit: 'g', axes: ['x', 'y', 'z'],
    source: { type: 'mqtt', topic: 'plant/pump/accel', format: 'json' },
  });
  const got = collect(createMqttSource(sensor, {
    log: cap.log, badInput: bad, maxPayloadBytes: 4096, mqttUrl: broker.url, gatewayId: 'gw-json',
  }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('subscribed') === 1, 'subscription');

  const pub = await connectAsync(broker.url, { clientId: 'test-pub-json' });
  t.after(() => pub.endAsync());
  const send = (payload: unknown) => pub.publishAsync('plant/pump/accel', typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), { qos: 1 });

  const n = 64;
  const ramp = (k: number) => Array.from({ length: n }, (_, i) => k + i / 100);
  await send({ ts: 1_764_000_000_000, rate: 1000, unit: 'g', x: ramp(0), y: ramp(1), z: ramp(2) });

  await send('this is not json');
  await send({ x: [1, 2], y: [1, 2] });
  await send({ samples: [1, 2, 3] });
  await send({ x: [1, 2], y: [1], z: [1, 2] });
  await send('{"x":[1,"NaN"],"y":[1,2],"z":[1,2]}');
  await send('{"x":[1,"Infinity"],"y":[1,2],"z":[1,2]}');
  await send({ unit: 'furlongs/fortnight2', x: [1], y: [1], z: [1] });
  await send(Buffer.alloc(5000, 0x7b)); // 5000 × "{": over the 4096-byte bound

  // Rate and unit mismatches are not the decoder's business: passed through for the validator.
  await send({ ts: '2025-11-24T16:00:00.000Z', rate: 2000, unit: 'mg', x: [5], y: [6], z: [7] });
  // null (JSON's NaN) is a missing value, not a broken payload: it goes on as NaN for the validator to drop.
  await send({ ts: 1_764_000_001_000, x: [1, null], y: [1, 2], z: [1, 2] });
  await waitFor(() => got.items.length === 3 && bad.count('mq-json-1') === 8, 'three frames and eight rejects');

  const [a, b] = got.items;
  assert.equal(a.sensorId, 'mq-json-1');
  assert.equal(a.t0, 1_764_000_000_000);
  assert.deepEqual(a.axes, ['x', 'y', 'z']);
  assert.equal(a.channels[2].length, n);
  assert.ok(Math.abs(a.channels[2][10] - 2.1) < 1e-6);
  assert.equal(b.t0, Date.UTC(2025, 10, 24, 16));
  assert.equal(b.rateHz, 2000);
  assert.equal(b.unit, 'mg');

  assert.equal(bad.count('mq-json-1', 'json-invalid'), 1);
  assert.equal(bad.count('mq-json-1', 'json-shape'), 2);
  assert.equal(bad.count('mq-json-1', 'json-unequal-length'), 1);
  assert.equal(bad.count('mq-json-1', 'json-not-a-number'), 2);
  assert.ok(Number.isNaN(got.items[2].channels[0][1]));
  assert.equal(bad.count('mq-json-1', 'json-unknown-unit'), 1);
  assert.equal(bad.count('mq-json-1', 'payload-too-large'), 1);
  const logged = cap.lines.find((l) => l.reason === 'json-unequal-length');
  assert.equal(logged?.topic, 'plant/pump/accel');
  assert.equal(got.error, undefined);
});

test('a wildcard topic filter and the single-axis "samples" form; no ts means arrival time', async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'mq-json-2', asset: 'fan', rateHz: 500, axes: ['acc'],
    source: { type: 'mqtt', topic: 'site/+/vib/#', format: 'json' },
  });
  const got = collect(createMqttSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 20, mqttUrl: broker.url }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('subscribed') === 1, 'subscription');
  const pub = await connectAsync(broker.url, { clientId: 'test-pub-json-2' });
  t.after(() => pub.endAsync());

  const before = Date.now();
  await pub.publishAsync('site/a/vib/de', JSON.stringify({ samples: [0.1, 0.2, 0.3, 0.4, 0.5] }), { qos: 1 });
  await pub.publishAsync('site/b/vib/fe/raw', JSON.stringify({ acc: [1, 2] }), { qos: 1 });
  await pub.publishAsync('site/b/temp', JSON.stringify({ samples: [9] }), { qos: 1 }); // not matched
  await waitFor(() => got.items.length === 2, 'two frames');
  const after = Date.now();
  // A matched marker after the unmatched message: the broker delivers in order, so the third frame
  // being the marker shows the unmatched one never came.
  await pub.publishAsync('site/c/vib/x', JSON.stringify({ samples: [7, 7, 7] }), { qos: 1 });
  await waitFor(() => got.items.length === 3, 'the marker frame');
  assert.deepEqual([...got.items[2].channels[0]], [7, 7, 7], 'nothing from the unmatched topic in between');

  assert.deepEqual([...got.items[0].channels[0]].map((v) => Math.round(v * 10)), [1, 2, 3, 4, 5]);
  assert.deepEqual([...got.items[1].channels[0]], [1, 2]);
  // 5 samples at 500 Hz end at arrival: t0 is 10 ms before it.
  assert.ok(got.items[0].t0 >= before - 10 && got.items[0].t0 <= after, `t0 ${got.items[0].t0} within [${before - 10}, ${after}]`);
  assert.equal(bad.count('mq-json-2'), 0);
});

// The fuzz cases through the real transports (issue 19 item 6): 300 fuzzed MQTT payloads through
// mosquitto and 200 fuzzed serial chunks through a pseudo-terminal, beside a good sensor on each
// transport. No error reaches a stream, every MQTT payload is accounted for (a frame or a reject),
// and the good sensors receive everything. tests/unit/fuzz-decoders.test.ts runs 10,500 cases on the
// decoders alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { tap } from 'rxjs';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { createMqttSource } from '../../src/ingest/mqtt-source.js';
import { createSerialSource } from '../../src/ingest/serial-source.js';
import { validateFrames } from '../../src/pipeline/validate.js';
import type { Frame } from '../../src/types.js';
import { startTestBroker } from '../helpers/broker.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { fuzzBinaryPayload, fuzzJson, fuzzSerialChunk, rng } from '../helpers/fuzz.js';
import { ptyPair } from '../helpers/pty.js';

const RATE = 12_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function validated(id: string, bad: BadInputCounter) {
  return validateFrames({ sensor: { id, asset: 'a', rateHz: RATE, unit: 'g', axes: ['x', 'y', 'z'] }, range: 50, gapTolerancePeriods: 2, badInput: bad });
}

test('MQTT: 300 fuzzed payloads through mosquitto are each a frame or a reject; the good sensor beside them gets all 100 of its own', { timeout: 60_000 }, async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cap = captureLogger('info');
  const bad = new BadInputCounter(cap.log);
  const ctx = { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 16, mqttUrl: broker.url, mqttOptions: { clientIdPrefix: 'fz' } };
  const sensor = (id: string, format: string) => sensorSchema.parse({ id, asset: 'a', rateHz: RATE, axes: ['x', 'y', 'z'], range: 50, source: { type: 'mqtt', topic: `fz/${id}`, format } });
  const raw = { json: 0, bin: 0 };
  const fj = collect(createMqttSource(sensor('fj', 'json'), ctx).pipe(tap(() => { raw.json++; }), validated('fj', bad)));
  const fb = collect(createMqttSource(sensor('fb', 'float32'), ctx).pipe(tap(() => { raw.bin++; }), validated('fb', bad)));
  t.after(() => { fj.sub.unsubscribe(); fb.sub.unsubscribe(); });
  const good = collect(createMqttSource(sensor('ok', 'json'), ctx).pipe(validated('ok', bad)));
  t.after(() => good.sub.unsubscribe());
  await waitFor(() => cap.count('subscribed') === 3, 'the three subscriptions');
  const pub = await connectAsync(broker.url, { clientId: 'fz-pub' });
  t.after(() => pub.endAsync());
  const r = rng(19_101);
  let t0 = Date.now() - 30_000;
  for (let i = 0; i < 100; i++) {
    t0 += 20;
    await pub.publishAsync('fz/fj', Buffer.from(fuzzJson(r, t0)), { qos: 1 });
    await pub.publishAsync('fz/fj', Buffer.from(fuzzJson(r, t0 + 10)), { qos: 1 });
    await pub.publishAsync('fz/fb', Buffer.from(fuzzBinaryPayload(r, 'float32')), { qos: 1 });
    await pub.publishAsync('fz/ok', JSON.stringify({ ts: t0, x: Array(120).fill(0.1), y: Array(120).fill(0.2), z: Array(120).fill(0.3) }), { qos: 1 });
  }
  // Every payload becomes a decoded frame or a decoder reject (source 'mqtt').
  const decoderRejects = (id: string) => [...bad.counts].filter(([k]) => /^(json-|binary-|payload-)/.test(k.split('\u0000')[1]) && k.startsWith(`${id}\u0000`)).reduce((n, [, v]) => n + v, 0);
  const state = () => JSON.stringify({ good: good.items.length, raw, fj: decoderRejects('fj'), fb: decoderRejects('fb'), reasons: bad.byReason() });
  await waitFor(() => good.items.length === 100 && raw.json + decoderRejects('fj') >= 200 && raw.bin + decoderRejects('fb') >= 100, 'all 400 messages handled', 20_000)
    .catch((e: Error) => { throw new Error(`${e.message}: ${state()}`); });
  assert.equal(raw.json + decoderRejects('fj'), 200);
  assert.equal(raw.bin + decoderRejects('fb'), 100);
  assert.equal(bad.count('ok') + bad.noted('ok'), 0, 'the good sensor is never blamed');
  assert.deepEqual([fj.error, fb.error, good.error], [undefined, undefined, undefined]);
  assert.ok(bad.count('fj') > 20 && fj.items.length > 20, `both outcomes: ${fj.items.length} frames, ${bad.count('fj')} rejects`);
});

test('serial: 200 fuzzed binary-frame chunks through a pseudo-terminal; the good CSV sensor beside it gets every sample', { timeout: 60_000 }, async (t) => {
  const fuzzPty = await ptyPair();
  const goodPty = await ptyPair();
  t.after(async () => { await fuzzPty.stop(); await goodPty.stop(); });
  const cap = captureLogger('info');
  const bad = new BadInputCounter(cap.log);
  const ctx = { log: cap.log, badInput: bad, maxPayloadBytes: 4096 };
  const fz = collect(createSerialSource(sensorSchema.parse({
    id: 'sf', asset: 'a', rateHz: RATE, axes: ['x', 'y', 'z'], range: 50, source: { type: 'serial', path: fuzzPty.a, format: 'frame', scale: 0.01 },
  }), ctx).pipe(validated('sf', bad)));
  const good = collect(createSerialSource(sensorSchema.parse({
    id: 'sg', asset: 'a', rateHz: RATE, axes: ['x', 'y', 'z'], range: 50,
    source: { type: 'serial', path: goodPty.a, format: 'csv', csv: { columns: ['t', 'x', 'y', 'z'], timestampColumn: 't', frameSamples: 100 } },
  }), ctx).pipe(validated('sg', bad)));
  t.after(() => { fz.sub.unsubscribe(); good.sub.unsubscribe(); });
  await waitFor(() => cap.count('serial port open') === 2, 'both ports open');
  const r = rng(19_102);
  let tf = Date.now() - 30_000;
  let tg = Date.now() - 30_000;
  for (let i = 0; i < 200; i++) {
    tf += 5;
    fuzzPty.write(fuzzSerialChunk(r, i, tf));
    if (i % 2 === 0) {
      const lines: string[] = [];
      for (let k = 0; k < 100; k++) { lines.push(`${tg.toFixed(4)},0.1,0.2,0.3`); tg += 1000 / RATE; }
      goodPty.write(`${lines.join('\n')}\n`);
    }
    // writeSync blocks on a full pseudo-terminal, and the reader is this very process: let it read.
    await sleep(3);
  }
  const samples = (fs: Frame[]) => fs.reduce((n, f) => n + f.channels[0].length, 0);
  // The first CSV line after the open is dropped as possibly cut (LineSplitter), hence 9,999.
  await waitFor(() => samples(good.items) >= 9_999, 'every good sample', 20_000);
  // A barrier, not a sleep: 100 more lines come after anything the port still held, so once they are
  // in, a sample counted twice would be too.
  const tail: string[] = [];
  for (let k = 0; k < 100; k++) { tail.push(`${tg.toFixed(4)},0.1,0.2,0.3`); tg += 1000 / RATE; }
  goodPty.write(`${tail.join('\n')}\n`);
  await waitFor(() => samples(good.items) >= 10_099, 'the last 100 good samples');
  assert.equal(samples(good.items), 10_099);
  assert.equal(bad.count('sg') + bad.noted('sg'), 0, 'the good sensor is never blamed');
  assert.ok(fz.items.length > 20 && bad.count('sf') > 20, `both outcomes: ${fz.items.length} frames, ${bad.count('sf')} rejects`);
  assert.deepEqual([fz.error, good.error], [undefined, undefined]);
});

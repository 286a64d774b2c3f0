// `drsnd record`'s daemon side: the next N seconds of a sensor's validated frames, refused across a gap,
// and split into reply parts that reassemble into the same samples.
import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeF32LE } from '../../src/data/recording.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { LiveRecorder, recordingParts } from '../../src/ingest/recorder.js';
import type { Frame, SensorMeta } from '../../src/types.js';

const SENSOR: SensorMeta = { id: 'tri', asset: 'a', rateHz: 1000, unit: 'm/s2', axes: ['x', 'y', 'z'] };

function frame(i: number, n = 250, discontinuity = false): Frame {
  const ch = (k: number) => Float32Array.from({ length: n }, (_, j) => k * 1000 + i * n + j);
  return { sensorId: 'tri', t0: 1_000_000 + i * n, rateHz: 1000, unit: 'm/s2', axes: ['x', 'y', 'z'], channels: [ch(1), ch(2), ch(3)], ...(discontinuity ? { discontinuity } : {}) };
}

test('records the next N seconds from the frame after the request, every axis, then stops listening', async () => {
  const rec = new LiveRecorder([SENSOR]);
  rec.frame(frame(0)); // before the request: not part of it
  const done = rec.record('tri', 0.6);
  for (let i = 1; i <= 4; i++) rec.frame(frame(i));
  const r = await done;
  assert.deepEqual([r.sensorId, r.rateHz, r.unit, r.axes, r.t0], ['tri', 1000, 'm/s2', ['x', 'y', 'z'], 1_000_250]);
  assert.equal(r.channels[0].length, 600);
  assert.deepEqual([r.channels[0][0], r.channels[1][599], r.channels[2][10]], [1250, 2849, 3260]);
  // Parts: small enough for the limit, and together the interleaved samples in order.
  const parts = recordingParts(r, 3000);
  assert.ok(parts.length > 1);
  assert.ok(parts.every((p) => JSON.stringify(p).length <= 3000));
  const all = parts.flatMap((p) => [...decodeF32LE(Buffer.from(p.data as string, 'base64'))]);
  assert.equal(all.length, 1800);
  assert.deepEqual(all.slice(0, 6), [1250, 2250, 3250, 1251, 2251, 3251]);
  assert.deepEqual(parts.map((p) => [p.part, p.parts]), parts.map((_, i) => [i + 1, parts.length]));
});

test('a gap during the recording fails it; an unknown sensor, a second request or too long are refused', async () => {
  const rec = new LiveRecorder([SENSOR]);
  const done = rec.record('tri', 1);
  assert.throws(() => rec.record('tri', 1), (e) => isDrsndError(e, ErrorCodes.BUSY));
  rec.frame(frame(1));
  rec.frame(frame(3, 250, true));
  await assert.rejects(done, (e) => isDrsndError(e, ErrorCodes.BAD_INPUT) && /had a gap/.test(e.message));
  assert.throws(() => rec.record('nosuch', 1), (e) => isDrsndError(e, ErrorCodes.NOT_FOUND) && /sensors: tri/.test(e.message));
  assert.throws(() => rec.record('tri', 601), (e) => isDrsndError(e, ErrorCodes.USAGE));
  const stopping = rec.record('tri', 1);
  rec.stop();
  await assert.rejects(stopping, (e) => isDrsndError(e, ErrorCodes.UNAVAILABLE));
});

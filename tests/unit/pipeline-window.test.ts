import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { windowFrames } from '../../src/pipeline/window.js';
import { isoTime } from '../../src/util/iso-time.js';
import type { Frame, Window } from '../../src/types.js';

const RATE = 1000; // 1 ms per sample keeps the time arithmetic readable

/** Two channels: x holds the absolute sample index, y its negative. */
function frames(start: number, total: number, sizes: number[], t0 = 0, discontinuityFirst = false): Frame[] {
  const out: Frame[] = [];
  let pos = 0;
  for (let k = 0; pos < total; k++) {
    const n = Math.min(sizes[k % sizes.length], total - pos);
    const x = Float32Array.from({ length: n }, (_, i) => start + pos + i);
    out.push({ sensorId: 's', t0: t0 + pos, rateHz: RATE, unit: 'g', axes: ['x', 'y'], channels: [x, x.map((v) => -v)], discontinuity: discontinuityFirst && pos === 0 });
    pos += n;
  }
  return out;
}

const run = (input: Frame[], windowLength: number, hop: number): Promise<Window[]> =>
  lastValueFrom(from(input).pipe(windowFrames({ asset: 'pump', windowLength, hop, now: () => 42 }), toArray()));

test('overlapping windows (hop < length) from frames of any size, per channel, with times', async () => {
  const ws = await run(frames(0, 100, [7, 1, 30, 13]), 20, 8);
  const xs = ws.filter((w) => w.channel === 'x');
  const ys = ws.filter((w) => w.channel === 'y');
  // Starts 0, 8, …, 80 (the last window 80..99 fits exactly).
  assert.deepEqual(xs.map((w) => w.data[0]), [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80]);
  for (const w of xs) {
    assert.equal(w.data.length, 20);
    assert.deepEqual(Array.from(w.data), Array.from({ length: 20 }, (_, i) => w.data[0] + i));
    assert.equal(w.start, w.data[0]); // sample i is at t = i ms
    assert.equal(w.end, w.data[0] + 19);
    assert.equal(w.completedAt, 42);
    assert.equal(w.asset, 'pump');
    assert.equal(w.sensorId, 's');
  }
  assert.deepEqual(ys.map((w) => w.data[0]), xs.map((w) => -w.data[0]));
  // Each window owns its data: later windows do not overwrite earlier ones.
  assert.notEqual(xs[0].data.buffer, xs[1].data.buffer);
});

test('hop ≥ length skips samples between windows; hop = length tiles', async () => {
  const skip = (await run(frames(0, 100, [9]), 10, 25)).filter((w) => w.channel === 'x');
  assert.deepEqual(skip.map((w) => [w.data[0], w.data[9]]), [[0, 9], [25, 34], [50, 59], [75, 84]]);
  const tile = (await run(frames(0, 40, [40]), 10, 10)).filter((w) => w.channel === 'x');
  assert.deepEqual(tile.map((w) => w.data[0]), [0, 10, 20, 30]);
});

test('a discontinuity drops the partial window and restarts at the new segment', async () => {
  const input = [...frames(0, 25, [25]), ...frames(1000, 30, [4, 11], 5000, true)];
  const ws = (await run(input, 10, 10)).filter((w) => w.channel === 'x');
  // Segment 1: windows at 0 and 10; samples 20..24 are dropped. Segment 2 starts fresh at 1000.
  assert.deepEqual(ws.map((w) => w.data[0]), [0, 10, 1000, 1010, 1020]);
  assert.deepEqual(ws.map((w) => w.start), [0, 10, 5000, 5010, 5020]);
});

test('window times follow the frame timestamps (device clock), not a counter', async () => {
  const input = frames(0, 40, [10]);
  input[2] = { ...input[2], t0: input[2].t0 + 0.5 }; // within tolerance, validator let it through
  input[3] = { ...input[3], t0: input[3].t0 + 0.5 };
  const ws = (await run(input, 10, 10)).filter((w) => w.channel === 'x');
  assert.deepEqual(ws.map((w) => w.end), [9, 19, 30, 40]); // 29.5 and 39.5, rounded to whole ms
});

test('window times are whole milliseconds, rounded once, so SQLite and the MQTT payload carry the same value', async () => {
  // 12 kHz: most sample times are fractional ms; SQLite used to round them and the payload truncate them.
  const t0 = Date.UTC(2026, 3, 1, 12);
  const input: Frame[] = Array.from({ length: 30 }, (_, k) => ({
    sensorId: 's', t0: t0 + (k * 1000 * 1000) / 12_000, rateHz: 12_000, unit: 'g', axes: ['x'], channels: [new Float32Array(1000)],
  }));
  const ws = await lastValueFrom(from(input).pipe(windowFrames({ asset: 'pump', windowLength: 2048, hop: 1024 }), toArray()));
  assert.ok(ws.length >= 20);
  for (const [i, w] of ws.entries()) {
    const exactStart = t0 + (i * 1024 * 1000) / 12_000;
    assert.equal(w.start, Math.round(exactStart));
    assert.equal(w.end, Math.round(exactStart + (2047 * 1000) / 12_000));
    assert.equal(isoTime(w.start), new Date(Math.round(w.start)).toISOString(), 'the payload shows the stored value');
  }
  assert.ok(ws.some((w, i) => Math.trunc(t0 + (i * 1024 * 1000) / 12_000) !== w.start), 'the case where truncating and rounding differ is covered');
});

test('invalid window or hop sizes are refused up front', () => {
  assert.throws(() => windowFrames({ asset: 'a', windowLength: 0, hop: 1 }), RangeError);
  assert.throws(() => windowFrames({ asset: 'a', windowLength: 8, hop: 1.5 }), RangeError);
});

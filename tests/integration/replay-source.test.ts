import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema, type SensorSettings } from '../../src/config/schema.js';
import { readMat } from '../../src/data/mat-reader.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { createReplaySource } from '../../src/ingest/replay-source.js';
import type { SourceContext } from '../../src/ingest/source.js';
import { createLogger } from '../../src/log.js';
import type { Frame } from '../../src/types.js';
import { projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';

const T0 = 1_700_000_000_000;
const log = createLogger('silent');
const ctx: SourceContext = { log, badInput: new BadInputCounter(log), maxPayloadBytes: 1 << 20, now: () => T0 };

function sensor(source: Record<string, unknown>, extra: Record<string, unknown> = {}): SensorSettings {
  return sensorSchema.parse({ id: 'pump1', asset: 'pump', rateHz: 10_000, source: { type: 'replay', ...source }, ...extra });
}

function concat(frames: Frame[], ch = 0): number[] {
  return frames.flatMap((f) => Array.from(f.channels[ch]));
}

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('plays a float32 file once in frames, with sample-time timestamps, then completes', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const file = path.join(dir, 'rec.f32');
  writeFileSync(file, Buffer.from(ramp(2500).buffer));
  const frames = await lastValueFrom(createReplaySource(sensor({ file, loop: false, frameSamples: 1000, speed: 200 }), ctx).pipe(toArray()));
  assert.deepEqual(frames.map((f) => f.channels[0].length), [1000, 1000, 500]);
  assert.deepEqual(concat(frames), Array.from(ramp(2500)));
  assert.deepEqual(frames.map((f) => f.t0), [T0, T0 + 100, T0 + 200], 't0 = start + i / rate');
  assert.deepEqual(frames.map((f) => f.seq), [0, 1, 2]);
  assert.ok(frames.every((f) => f.sensorId === 'pump1' && f.rateHz === 10_000 && f.unit === 'g' && !f.discontinuity));
});

test('loops, marking the first frame of each new pass as a discontinuity', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const file = path.join(dir, 'rec.f32');
  writeFileSync(file, Buffer.from(ramp(250).buffer));
  const frames = await lastValueFrom(createReplaySource(sensor({ file, frameSamples: 100, speed: 500 }), ctx).pipe(take(7), toArray()));
  assert.deepEqual(frames.map((f) => f.channels[0][0]), [0, 100, 200, 0, 100, 200, 0]);
  assert.deepEqual(frames.map((f) => f.discontinuity === true), [false, false, false, true, false, false, true]);
  // Time keeps running across the loop: 250 samples per pass at 10 kHz = 25 ms.
  assert.deepEqual(frames.map((f) => f.t0 - T0), [0, 10, 20, 25, 35, 45, 50]);
});

test('interleaved float32 and CSV channels map onto the sensor axes', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const f32 = path.join(dir, 'xyz.bin');
  writeFileSync(f32, Buffer.from(Float32Array.from([1, 10, 100, 2, 20, 200]).buffer));
  const three = await firstValueFrom(createReplaySource(sensor({ file: f32, format: 'f32', loop: false, speed: 100 }, { axes: ['x', 'y', 'z'] }), ctx));
  assert.deepEqual(three.channels.map((c) => Array.from(c)), [[1, 2], [10, 20], [100, 200]]);
  assert.deepEqual(three.axes, ['x', 'y', 'z']);

  const csv = path.join(dir, 'rec.csv');
  writeFileSync(csv, 'time,x,y\n0,1,-1\n1,2,-2\n2,3,-3\n');
  const byName = await firstValueFrom(createReplaySource(sensor({ file: csv, loop: false, speed: 100 }, { axes: ['y', 'x'] }), ctx));
  assert.deepEqual(byName.channels.map((c) => Array.from(c)), [[-1, -2, -3], [1, 2, 3]], 'columns matched by header name');
  await assert.rejects(firstValueFrom(createReplaySource(sensor({ file: csv, loop: false }, { axes: ['a', 'b', 'c'] }), ctx)),
    (e: unknown) => isDrsndError(e, ErrorCodes.DATA_FILE_INVALID) && /rec\.csv: has 2 channel\(s\) \(x, y\) but sensor "pump1" has 3 axes/.test((e as Error).message));
});

test('plays the drive-end variable of a CWRU-style .mat file', async () => {
  const file = path.join(projectRoot, 'tests', 'fixtures', 'mat', '12k_Drive_End_IR007_0_105.mat');
  const frames = await lastValueFrom(createReplaySource(sensor({ file, loop: false, frameSamples: 512, speed: 1000 }, { rateHz: 12_000 }), ctx).pipe(toArray()));
  const expected = readMat(readFileSync(file), file).get('X105_DE_time')!.data;
  assert.equal(frames.length, 4);
  assert.deepEqual(concat(frames), Array.from(Float32Array.from(expected)));
  const fe = await firstValueFrom(createReplaySource(sensor({ file, variable: 'X105_FE_time', loop: false, speed: 1000 }, { rateHz: 12_000 }), ctx));
  assert.equal(fe.channels[0][0], Math.fround(readMat(readFileSync(file), file).get('X105_FE_time')!.data[0]));
});

test('frames are never delivered before their samples would have been recorded', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const file = path.join(dir, 'rec.f32');
  writeFileSync(file, Buffer.from(ramp(600).buffer));
  // 100 samples at 10 kHz and speed 0.5 → one frame every 20 ms.
  const start = performance.now();
  const arrivals: number[] = [];
  await new Promise<void>((resolve, reject) => {
    createReplaySource(sensor({ file, loop: false, frameSamples: 100, speed: 0.5 }), ctx).subscribe({
      next: () => arrivals.push(performance.now() - start), error: reject, complete: resolve,
    });
  });
  assert.equal(arrivals.length, 6);
  // Lower bounds only (never early); how late a loaded machine is, is the benchmark's business.
  arrivals.forEach((ms, i) => assert.ok(ms >= (i + 1) * 20 - 1, `frame ${i} arrived at ${ms.toFixed(1)} ms, due at ${(i + 1) * 20} ms`));
});

test('unsubscribing stops playback and releases the timer', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const file = path.join(dir, 'rec.f32');
  writeFileSync(file, Buffer.from(ramp(1000).buffer));
  const before = activeTimeouts();
  const seen: Frame[] = [];
  let first!: () => void;
  const arrived = new Promise<void>((r) => { first = r; });
  const sub = createReplaySource(sensor({ file, frameSamples: 100, speed: 1 }), ctx).subscribe((f) => { seen.push(f); first(); });
  assert.equal(activeTimeouts(), before + 1, 'waiting for the first frame');
  await arrived;
  sub.unsubscribe();
  // Frames come only from the pacing timer: none pending means none can follow.
  assert.equal(activeTimeouts(), before, 'no timer left after unsubscribe');
});

test('a missing or malformed file errors the stream with the file name', async (t) => {
  const dir = tempDir(t, 'drsnd-replay-');
  const missing = path.join(dir, 'nope.f32');
  await assert.rejects(firstValueFrom(createReplaySource(sensor({ file: missing }), ctx)),
    (e: unknown) => isDrsndError(e, ErrorCodes.DATA_FILE_INVALID) && (e as Error).message.includes('nope.f32: not found'));
  const odd = path.join(dir, 'odd.f32');
  writeFileSync(odd, Buffer.alloc(12));
  await assert.rejects(firstValueFrom(createReplaySource(sensor({ file: odd }, { axes: ['x', 'y'] }), ctx)),
    (e: unknown) => isDrsndError(e, ErrorCodes.DATA_FILE_INVALID) && /odd\.f32: 12 bytes is not a whole number of 2-channel/.test((e as Error).message));
});

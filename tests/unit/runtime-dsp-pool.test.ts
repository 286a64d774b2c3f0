// The DSP workers must give exactly what the main-thread signal path gives (same operators, other
// thread), in order, complete when their sources do, bound their queue, and leave no threads behind.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, merge, Subject, toArray } from 'rxjs';
import { isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { createDspPool } from '../../src/runtime/dsp-pool.js';
import { normalizeWindows } from '../../src/pipeline/normalize.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../../src/types.js';

const model: ModelMetadata = {
  id: 'm', version: '1', architecture: 'drsn-cw',
  input: { sampleRateHz: 12_000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 },
  classes: [{ index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null }],
  files: {},
};
const sensors: SensorMeta[] = [
  { id: 'pump', asset: 'p', rateHz: 12_000, unit: 'g', axes: ['x'] },
  { id: 'fan', asset: 'f', rateHz: 25_600, unit: 'm/s2', axes: ['x', 'y'] },
  { id: 'motor', asset: 'm', rateHz: 20_000, unit: 'mg', axes: ['z'] },
];
const log = createLogger('silent');

/** Seeded noise plus a tone, in irregular frame sizes, with a time gap (discontinuity) in the middle. */
function frames(sensor: SensorMeta, seconds: number, seed: number): Frame[] {
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const sizes = [1000, 7, 4096, 333, 1024, 2500];
  const out: Frame[] = [];
  let pos = 0;
  let t0 = 1_700_000_000_000;
  for (let k = 0; pos < seconds * sensor.rateHz; k++) {
    const n = sizes[k % sizes.length];
    if (k === 9) t0 += 5_000; // a gap: windows must restart after it
    out.push({
      sensorId: sensor.id, t0: t0 + (pos * 1000) / sensor.rateHz, rateHz: sensor.rateHz, unit: sensor.unit, axes: sensor.axes,
      channels: sensor.axes.map((_, c) => Float32Array.from({ length: n }, (_, i) => Math.sin((pos + i) * 0.37 * (c + 1)) + rand())),
      discontinuity: k === 9,
    });
    pos += n;
  }
  return out;
}

const key = (w: Window) => `${w.sensorId}/${w.channel}/${w.start}`;

test('DSP workers produce the same normalized windows as the main-thread path, in order, then complete', async () => {
  const pool = createDspPool({ sensors, model, hop: null, workers: 2, log });
  try {
    const input = sensors.map((s, i) => frames(s, 2, i + 1));
    const before = performance.now();
    const viaWorkers = await lastValueFrom(merge(...sensors.map((s, i) => from(input[i]).pipe(pool.pipeline(s.id)))).pipe(toArray()));
    const after = performance.now();
    const inThread = await lastValueFrom(merge(...sensors.map((s, i) =>
      from(input[i]).pipe(signalPipeline({ sensor: s, model, hop: null }), normalizeWindows(model.normalization)))).pipe(toArray()));
    assert.ok(inThread.length > 30, `expected plenty of windows, got ${inThread.length}`);
    assert.equal(viaWorkers.length, inThread.length);
    const expected = new Map(inThread.map((w) => [key(w), w]));
    for (const w of viaWorkers) {
      const e = expected.get(key(w));
      assert.ok(e, `unexpected window ${key(w)}`);
      assert.equal(w.asset, e.asset);
      assert.equal(w.end, e.end);
      assert.deepEqual(w.data, e.data, `${key(w)} differs`);
      // completedAt is on this thread's clock, taken while the worker handled the frame.
      assert.ok(w.completedAt >= before - 1 && w.completedAt <= after + 1, `completedAt ${w.completedAt} outside [${before}, ${after}]`);
    }
    // Each sensor's windows arrive in time order.
    for (const s of sensors) {
      for (const axis of s.axes) {
        const starts = viaWorkers.filter((w) => w.sensorId === s.id && w.channel === axis).map((w) => w.start);
        assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
      }
    }
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('a worker too far behind drops frames, counts them, and no window spans the hole', async () => {
  let dropped = 0;
  const sensor = sensors[0];
  const pool = createDspPool({ sensors: [sensor], model, hop: 2048, workers: 1, log, maxQueuedFrames: 4, onDrop: (n) => { dropped += n; } });
  try {
    // 12 frames of 1024 arrive in one turn: 4 are queued, 8 dropped.
    const fs = Array.from({ length: 12 }, (_, k): Frame => ({
      sensorId: sensor.id, t0: 1_000 + (k * 1024 * 1000) / 12_000, rateHz: 12_000, unit: 'g', axes: ['x'],
      channels: [Float32Array.from({ length: 1024 }, (_, i) => Math.sin((k * 1024 + i) * 0.1))],
    }));
    const windows = await lastValueFrom(from(fs).pipe(pool.pipeline(sensor.id), toArray()));
    assert.equal(dropped, 8);
    // 4 × 1024 samples less the filter delay and the grid offset hold one 2048-sample window, from the
    // queued frames only (more would mean the dropped frames were stitched on).
    assert.equal(windows.length, 1);
    assert.ok(windows[0].end < fs[4].t0, 'the window must come from the queued frames');
  } finally {
    await pool.stop();
  }
});

test('a sensor rate the model cannot take is refused before any worker starts', () => {
  assert.throws(
    () => createDspPool({ sensors: [{ ...sensors[0], rateHz: 12_001 }], model, hop: null, workers: 1, log }),
    (e: unknown) => isDrsndError(e, 'DRSND_CONFIG_INVALID'),
  );
});

test('a DSP worker that dies is replaced: its frames are counted as lost and no window spans the hole', async () => {
  let dropped = 0;
  const sensor = sensors[0];
  // Frames are sent one per message (each waits for its answer), so message 6 carries frame 5.
  const pool = createDspPool({ sensors: [sensor], model, hop: 1024, workers: 1, log, fault: { crashOnMessage: 6 }, onDrop: (n) => { dropped += n; } });
  const input = new Subject<Frame>();
  const windows: Window[] = [];
  const done = new Promise<void>((resolve, reject) => input.pipe(pool.pipeline(sensor.id)).subscribe({ next: (w) => windows.push(w), error: reject, complete: resolve }));
  const frame = (k: number): Frame => ({
    sensorId: sensor.id, t0: 1_000 + (k * 1024 * 1000) / 12_000, rateHz: 12_000, unit: 'g', axes: ['x'],
    channels: [Float32Array.from({ length: 1024 }, (_, i) => Math.sin((k * 1024 + i) * 0.1))],
  });
  try {
    // With hop = frame = 1024, the first window needs 3 frames (filter delay + grid offset), then every
    // frame completes one. Frames 0-4 give windows 1-3; frame 5 dies with the worker.
    for (let k = 0; k < 5; k++) {
      input.next(frame(k));
      await sleep(20); // past the pool's 4 ms gathering: one message per frame
      await until(() => windows.length >= Math.max(0, k - 1), `window after frame ${k}`);
    }
    input.next(frame(5));
    await until(() => dropped >= 1, 'the crash to be noticed');
    assert.equal(dropped, 1, 'exactly the frame the worker died with is lost');
    assert.equal(pool.liveWorkers, 1, 'a replacement runs');
    // The replacement starts a new segment at frame 6: windows again from frame 8 on.
    for (let k = 6; k < 12; k++) {
      input.next(frame(k));
      await until(() => windows.length >= 3 + Math.max(0, k - 7), `window after frame ${k}`);
    }
    input.complete();
    await done;
    assert.equal(windows.length, 7);
    const lost = frame(5);
    const lostEnd = lost.t0 + (1023 * 1000) / 12_000;
    for (const w of windows) assert.ok(w.end < lost.t0 || w.start > lostEnd, `window ${w.start}..${w.end} spans the lost frame`);
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

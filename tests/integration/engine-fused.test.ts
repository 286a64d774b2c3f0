// Fused mode (pipeline.fused): each worker runs the signal path and the engine. It must give the
// diagnoses the split path gives (main-thread windows through one engine), in order per channel;
// a wedged worker is terminated and replaced with its frames counted as lost; a failed engine call
// costs only its windows (counted); an engine that cannot load fails start-up; stop leaves no thread.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, merge, Subject, toArray } from 'rxjs';
import { isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { loadModel } from '../../src/model/metadata.js';
import { createDspPool, type DspPoolOptions } from '../../src/runtime/dsp-pool.js';
import { faultOrders, lookupBearing } from '../../src/physics/bearing.js';
import { normalizeWindows } from '../../src/pipeline/normalize.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import type { Diagnosis, Frame, SensorMeta } from '../../src/types.js';
import { projectRoot } from '../helpers/data.js';
import { captureLogger } from '../helpers/capture.js';
import { faultyWorker } from '../helpers/faults.js';
import { ManualClock } from '../helpers/manual-clock.js';

const modelDir = path.join(projectRoot, 'models', 'drsn-cw-cwru');
const log = createLogger('silent');
const sensors: SensorMeta[] = [
  // With a bearing and a speed: its windows carry envelope evidence, sent once per analysis (WireWindow.e).
  {
    id: 'pump', asset: 'p', rateHz: 12_000, unit: 'g', axes: ['x'],
    machine: { orders: faultOrders(lookupBearing('6205')!.geometry), speed: { mode: 'fixed', hz: 29.95 }, isoZones: null, envelopeBandHz: null },
  },
  { id: 'fan', asset: 'f', rateHz: 25_600, unit: 'm/s2', axes: ['x', 'y'] },
  { id: 'motor', asset: 'm', rateHz: 20_000, unit: 'mg', axes: ['z'] },
];

/** Seeded noise plus tones and impacts, in irregular frame sizes, starting at `t0`. */
function frames(sensor: SensorMeta, seconds: number, seed: number, frameSizes = [1000, 7, 4096, 333, 1024, 2500], t0 = 1_700_000_000_000): Frame[] {
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const out: Frame[] = [];
  let pos = 0;
  for (let k = 0; pos < seconds * sensor.rateHz; k++) {
    const n = frameSizes[k % frameSizes.length];
    out.push({
      sensorId: sensor.id, t0: t0 + (pos * 1000) / sensor.rateHz, rateHz: sensor.rateHz, unit: sensor.unit, axes: sensor.axes,
      channels: sensor.axes.map((_, c) => Float32Array.from({ length: n }, (_, i) => {
        const j = pos + i;
        return 0.3 * Math.sin(j * 0.37 * (c + 1)) + rand() + (j % 997 < 3 ? 4 : 0);
      })),
    });
    pos += n;
  }
  return out;
}

const key = (d: { sensorId: string; channel: string; windowStart: number }) => `${d.sensorId}/${d.channel}/${d.windowStart}`;

async function fusedPool(extra: Omit<Partial<DspPoolOptions>, 'inference'> & { inference?: Partial<NonNullable<DspPoolOptions['inference']>> } = {}) {
  const { meta } = await loadModel(modelDir);
  const { inference, ...rest } = extra;
  const pool = createDspPool({
    sensors, model: meta, hop: null, workers: 2, log, ...rest,
    inference: { modelDir, engine: 'onnx', backend: 'auto', intraOpNumThreads: 1, batchSize: 4, batchMaxWaitMs: 5, ...inference },
  });
  return { pool, meta };
}

for (const engine of ['onnx', 'tfjs'] as const) {
test(`fused workers (${engine}) give the diagnoses of the split path (same windows, same probabilities), in order`, async () => {
  const { pool, meta } = await fusedPool({ inference: { engine } });
  try {
    assert.equal((await pool.ready()).engine, engine);
    const input = sensors.map((s, i) => frames(s, 2, i + 1));
    const fused = await lastValueFrom(merge(...sensors.map((s, i) => from(input[i]).pipe(pool.diagnoses(s.id)))).pipe(toArray()));

    const windows = await lastValueFrom(merge(...sensors.map((s, i) =>
      from(input[i]).pipe(signalPipeline({ sensor: s, model: meta, hop: null }), normalizeWindows(meta.normalization)))).pipe(toArray()));
    const onnx = await createOnnxEngine({ modelDir, meta });
    const x = new Float32Array(windows.length * meta.input.windowLength);
    windows.forEach((w, i) => x.set(w.data, i * meta.input.windowLength));
    const probs = await onnx.run(x, windows.length);
    await onnx.dispose();
    const k = meta.classes.length;
    const expected = new Map(windows.map((w, i) => [key({ sensorId: w.sensorId, channel: w.channel, windowStart: w.start }), { w, p: probs.subarray(i * k, (i + 1) * k) }]));

    assert.ok(windows.length > 30, `expected plenty of windows, got ${windows.length}`);
    assert.equal(fused.length, windows.length);
    // The tones and impacts must not all land in one class, or a mix-up of windows could pass unseen.
    assert.ok(new Set(fused.map((d) => d.className)).size >= 2, 'diagnoses span several classes');
    for (const d of fused) {
      const e = expected.get(key(d));
      assert.ok(e, `unexpected diagnosis ${key(d)}`);
      assert.equal(d.windowEnd, e.w.end);
      assert.equal(d.asset, e.w.asset);
      assert.equal(d.modelId, meta.id);
      const diff = Math.max(...d.probabilities.map((p, i) => Math.abs(p - e.p[i])));
      // onnx vs onnx: batch composition only; tfjs vs onnx: the engines' agreement bound.
      assert.ok(diff <= (engine === 'onnx' ? 1e-5 : 1e-4), `${key(d)}: probabilities differ by ${diff}`);
      assert.ok(d.latencyMs >= 0 && d.latencyMs < 60_000, `latency ${d.latencyMs}`);
      // The physics crosses whole: the evidence too, though the worker sends it once per analysis.
      assert.deepEqual(d.physics?.evidence ?? null, e.w.physics?.evidence ?? null, `${key(d)}: evidence`);
      assert.deepEqual(d.physics?.indicators, e.w.physics?.indicators, `${key(d)}: indicators`);
    }
    const withEvidence = fused.filter((d) => d.physics?.evidence);
    assert.ok(withEvidence.length >= 5 && withEvidence.every((d) => d.sensorId === 'pump'), `${withEvidence.length} diagnoses with evidence`);
    for (const s of sensors) {
      for (const axis of s.axes) {
        const starts = fused.filter((d) => d.sensorId === s.id && d.channel === axis).map((d) => d.windowStart);
        assert.ok(starts.length > 0);
        assert.deepEqual(starts, [...starts].sort((a, b) => a - b), `${s.id}/${axis} in time order`);
      }
    }
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});
}

test('a wedged fused worker is terminated at the batch timeout, not before, and replaced; its frames are counted lost and no window spans the hole', async () => {
  let dropped = 0;
  const sensor = sensors[0];
  const clock = new ManualClock();
  // On its 4th message the worker blocks its thread, as a wedged native call would.
  const script = faultyWorker('dsp-worker', { hang: { nth: 4 } });
  const cap = captureLogger('error');
  const { pool } = await fusedPool({
    sensors: [sensor], workers: 1, hop: 1024, onDrop: (n) => { dropped += n; }, clock, script, log: cap.log,
    inference: { batchTimeoutMs: 400, batchSize: 1, batchMaxWaitMs: 1 },
  });
  const input = new Subject<Frame>();
  const got: Diagnosis[] = [];
  const done = new Promise<void>((resolve, reject) => input.pipe(pool.diagnoses(sensor.id)).subscribe({ next: (d) => got.push(d), error: reject, complete: resolve }));
  try {
    await pool.ready();
    // One 1024-sample frame is one window's worth (batch size 1), so each goes out as its own message.
    // Frames 0-2 make the first window (filter delay + grid offset); frame 3 wedges the worker.
    const fs = frames(sensor, 60, 5, [1024]);
    const hop = (1024 * 1000) / 12_000;
    for (let k = 0; k < 3; k++) input.next(fs[k]);
    await until(() => got.length === 1, 'the diagnosis before the hang');
    for (let k = 3; k < 6; k++) input.next(fs[k]);
    await until(script.struck, 'the worker to wedge');
    // The verdict is taken synchronously when the deadline passes (the thread's exit follows).
    await clock.advance(399);
    assert.equal(cap.count('did not answer'), 0, 'nothing is given up before the batch timeout');
    await clock.advance(1);
    assert.equal(cap.count('did not answer'), 1, 'the worker is terminated at the batch timeout');
    await until(() => dropped > 0, 'the wedged worker\'s exit');
    assert.equal(dropped, 3, 'the wedged frame and the two queued behind it are counted lost');
    assert.equal(pool.liveWorkers, 1, 'a replacement runs');
    // The replacement loads its engine and starts a new segment at frame 6: from frame 8 on, one
    // diagnosis per frame again.
    let sent = 6;
    while (got.length < 6) {
      input.next(fs[sent++]);
      await until(() => got.length >= sent - 7, `a diagnosis after frame ${sent - 1}`);
    }
    input.complete();
    await done;
    // Before the hang and after the replacement: diagnoses on the 1024-sample grid; across the hole a
    // jump, and no window that starts before the hole ends after it.
    const steps = got.slice(1).map((d, i) => d.windowStart - got[i].windowStart);
    const jumps = steps.filter((s) => Math.abs(s - hop) > 1); // window times are whole ms (rounded once)
    assert.equal(jumps.length, 1, `one jump over the lost frames (steps ${steps})`);
    assert.ok(jumps[0] > hop, `a forward jump (${jumps[0]})`);
    const holeStart = fs[3].t0;
    const holeEnd = fs[6].t0;
    for (const d of got) assert.ok(d.windowEnd < holeStart || d.windowStart >= holeEnd, `window ${d.windowStart}..${d.windowEnd} spans the hole`);
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('a failed engine call costs only its windows, counted; later windows are diagnosed', async () => {
  const failures: number[] = [];
  const sensor = sensors[0];
  const { pool, meta } = await fusedPool({
    // onnxruntime's run rejects on its first call, as on an engine error.
    sensors: [sensor], workers: 1, hop: 1024, script: faultyWorker('dsp-worker', { failEngineCall: 1 }),
    inference: { batchSize: 1, batchMaxWaitMs: 1, onError: (e, n) => { assert.ok(isDrsndError(e, 'DRSND_INFERENCE_FAILED')); failures.push(n); } },
  });
  const input = new Subject<Frame>();
  const got: Diagnosis[] = [];
  const done = new Promise<void>((resolve, reject) => input.pipe(pool.diagnoses(sensor.id)).subscribe({ next: (d) => got.push(d), error: reject, complete: resolve }));
  try {
    await pool.ready();
    // A 1024-sample frame is a batch's worth of windows, so each is sent at once in its own message;
    // the first window (frame 2's) meets the failing call.
    const fs = frames(sensor, 1, 9, [1024]);
    for (const f of fs) input.next(f);
    input.complete();
    await done;
    assert.deepEqual(failures, [1]);
    const windows = await lastValueFrom(from(fs).pipe(signalPipeline({ sensor, model: meta, hop: 1024 }), toArray()));
    assert.ok(windows.length >= 8);
    assert.equal(got.length, windows.length - 1, 'every window but the failed one is diagnosed');
    assert.deepEqual(got.map((d) => d.windowStart), windows.slice(1).map((w) => w.start));
  } finally {
    await pool.stop();
  }
});

test('an engine that cannot load fails ready() with ENGINE_UNAVAILABLE and leaves no thread', async () => {
  const { meta } = await loadModel(modelDir);
  const pool = createDspPool({
    sensors, model: { ...meta, files: { ...meta.files, onnx: undefined } }, hop: null, workers: 2, log,
    inference: { modelDir, engine: 'onnx', backend: 'auto', intraOpNumThreads: 1, batchSize: 16, batchMaxWaitMs: 50 },
  });
  await assert.rejects(pool.ready(), (e: unknown) => isDrsndError(e, 'DRSND_ENGINE_UNAVAILABLE') && /files\.onnx/.test((e as Error).message));
  assert.equal(pool.liveWorkers, 0, 'a failed start leaves no thread');
  await pool.stop();
});

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

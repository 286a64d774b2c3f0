// The worker-thread Classifier: same answers as a single engine, one batch per worker in flight,
// a crashed worker costs only its batch, and stop() leaves no threads behind.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { loadModel } from '../../src/model/metadata.js';
import { createClassifierPool, type ClassifierPool } from '../../src/runtime/classifier-pool.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { exportRandomModel, maxAbsDiff, readReference, removeModelDir, splitWindows, type Reference } from '../helpers/model-fixture.js';

const log = pino({ level: 'silent' });
let dir: string | undefined;
let ref: Reference;

test.before(() => {
  dir = exportRandomModel(undefined);
  if (dir) ref = readReference(dir);
});
test.after(() => removeModelDir(dir));

/** OS threads of this process: each worker thread is one; the libuv pool is already up after loadModel. */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

function flat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) { out.set(r, at); at += r.length; }
  return out;
}

test('an onnx pool returns what a single engine returns, in order, with batches running in parallel', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const single = await createOnnxEngine({ modelDir: dir, meta });
  const expected = await single.run(ref.inputs, ref.count);
  await single.dispose();

  const threadsBefore = threadCount();
  const pool = await createClassifierPool({ modelDir: dir, meta, engine: 'onnx', backend: 'auto', workers: 2, log });
  try {
    assert.equal(pool.concurrency, 2);
    assert.equal(pool.liveWorkers, 2);
    assert.ok(threadCount() >= threadsBefore + 2, 'two worker threads run');
    assert.equal(pool.engineName, 'onnx');
    const windows = splitWindows(ref.inputs, ref.count === 0 ? 1 : ref.inputs.length / ref.count);
    // Six concurrent batches of different sizes on two workers: results must come back to their callers.
    const batches = [windows.slice(0, 5), windows.slice(5, 6), windows.slice(6, 16), windows.slice(16, 20), windows.slice(20, 33), windows.slice(33)];
    const pending = batches.map((b) => pool.classify(b));
    assert.equal(pool.busyWorkers, 2, 'both workers take a batch at once');
    assert.equal(pool.queuedBatches, batches.length - 2, 'the rest wait in order');
    const results = await Promise.all(pending);
    assert.equal(pool.busyWorkers, 0);
    results.forEach((r, i) => assert.equal(r.length, batches[i].length));
    const got = flat(results.flat());
    assert.ok(maxAbsDiff(got, expected) < 1e-6, `pool vs single engine: ${maxAbsDiff(got, expected)}`);
    assert.ok(maxAbsDiff(got, ref.probs) < 1e-4);
    // The caller's windows are untouched (only the pool's own batch buffer is transferred).
    assert.equal(windows[0].length, meta.input.windowLength);
    assert.deepEqual(await pool.classify([]), []);
    await assert.rejects(pool.classify([new Float32Array(100)]), (e: unknown) => isDrsndError(e, ErrorCodes.MODEL_MISMATCH));
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0, 'no worker thread outlives stop()');
  assert.ok(threadCount() <= threadsBefore, `threads before ${threadsBefore}, after stop ${threadCount()}`);
  await assert.rejects(pool.classify(splitWindows(ref.inputs, meta.input.windowLength).slice(0, 1)), (e: unknown) => isDrsndError(e, ErrorCodes.INFERENCE_FAILED));
});

test('a worker crash rejects only its batch; the worker is replaced and the pool keeps working', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const L = meta.input.windowLength;
  const windows = splitWindows(ref.inputs, L);
  let pool: ClassifierPool | undefined;
  try {
    pool = await createClassifierPool({ modelDir: dir, meta, engine: 'onnx', backend: 'auto', workers: 2, log, fault: { batchSize: 3, mode: 'crash' } });
    const [ok1, crashed, ok2] = await Promise.allSettled([
      pool.classify(windows.slice(0, 4)), pool.classify(windows.slice(4, 7)), pool.classify(windows.slice(7, 12)),
    ]);
    assert.equal(ok1.status, 'fulfilled');
    assert.equal(ok2.status, 'fulfilled');
    assert.equal(crashed.status, 'rejected');
    assert.ok(isDrsndError((crashed as PromiseRejectedResult).reason, ErrorCodes.INFERENCE_FAILED));
    assert.match((crashed as PromiseRejectedResult).reason.message, /exited \(code 70\)/);
    // Later batches are served (by the survivor at once, by the replacement when it is up).
    const after = await Promise.all([pool.classify(windows.slice(12, 20)), pool.classify(windows.slice(20, 24))]);
    assert.ok(maxAbsDiff(flat(after.flat()), ref.probs.subarray(12 * ref.numClasses, 24 * ref.numClasses)) < 1e-4);
    const deadline = Date.now() + 20_000;
    while (pool.liveWorkers < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.liveWorkers, 2, 'the crashed worker was replaced');
  } finally {
    await pool?.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('a wedged worker is terminated after batchTimeoutMs; its batch is rejected, the pool carries on', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const windows = splitWindows(ref.inputs, meta.input.windowLength);
  const pool = await createClassifierPool({ modelDir: dir, meta, engine: 'onnx', backend: 'auto', workers: 1, log, batchTimeoutMs: 1_000, fault: { batchSize: 2, mode: 'hang' } });
  try {
    const wedged = pool.classify(windows.slice(0, 2));
    const queued = pool.classify(windows.slice(2, 5)); // waits behind the wedged batch, then runs on the replacement
    await assert.rejects(wedged, (e: unknown) => isDrsndError(e, ErrorCodes.INFERENCE_FAILED) && /did not answer within 1000 ms/.test(e.message));
    const probs = await queued;
    assert.ok(maxAbsDiff(flat(probs), ref.probs.subarray(2 * ref.numClasses, 5 * ref.numClasses)) < 1e-4);
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('a tfjs wasm pool (one backend per worker) matches PyTorch too', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const pool = await createClassifierPool({ modelDir: dir, meta, engine: 'tfjs', backend: 'wasm', workers: 2, log });
  try {
    assert.equal(`${pool.engineName}/${pool.backendName}`, 'tfjs/wasm');
    const windows = splitWindows(ref.inputs, meta.input.windowLength);
    const halves = await Promise.all([pool.classify(windows.slice(0, 8)), pool.classify(windows.slice(8, 16))]);
    assert.ok(maxAbsDiff(flat(halves.flat()), ref.probs.subarray(0, 16 * ref.numClasses)) < 1e-4);
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('a pool whose engine cannot load fails to start with the engine error and leaves no workers', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const broken = { ...meta, files: { onnx: 'missing.onnx' } };
  const start = () => createClassifierPool({ modelDir: dir!, meta: broken, engine: 'onnx', backend: 'auto', workers: 2, log });
  const isEngineError = (e: unknown) => isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && e.message.includes('missing.onnx');
  await assert.rejects(start(), isEngineError);
  // Measured after one failed start: Node creates some helper threads lazily on first use.
  const before = threadCount();
  await assert.rejects(start(), isEngineError);
  assert.ok(threadCount() <= before, `threads before ${before}, after the failed start ${threadCount()}`);
});

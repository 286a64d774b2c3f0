// Engine selection: an explicitly requested engine/backend that cannot load is a clear
// ENGINE_UNAVAILABLE error; 'auto' falls back and says why.
import test from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadModel } from '../../src/model/metadata.js';
import { selectEngine } from '../../src/model/select.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { exportRandomModel, maxAbsDiff, nativeUnavailable, readReference, removeModelDir } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

async function tfjsNodeLoads(): Promise<boolean> {
  const spec = '@tensorflow/tfjs-node';
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

function captureLog(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const dest = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  return { log: pino({ level: 'debug' }, dest), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

let dir: string | undefined;
test.before(() => {
  dir = exportRandomModel(undefined, { cwru: null });
});
test.after(() => removeModelDir(dir));

test('tfjs with backend tensorflow is a clear ENGINE_UNAVAILABLE error when tfjs-node is not installed', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  if (await tfjsNodeLoads()) return t.skip('@tensorflow/tfjs-node is installed here; nothing to fall back from');
  const { meta } = await loadModel(dir);
  await assert.rejects(selectEngine({ modelDir: dir, meta, engine: 'tfjs', backend: 'tensorflow' }), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && e.message.includes('tensorflow') && e.message.includes('@tensorflow/tfjs-node'));
});

test('tfjs with backend auto falls back from tensorflow to wasm and reports why', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  if (await tfjsNodeLoads()) return t.skip('@tensorflow/tfjs-node is installed here; nothing to fall back from');
  const { meta } = await loadModel(dir);
  const { log, lines } = captureLog();
  const { engine, fallbacks } = await selectEngine({ modelDir: dir, meta, engine: 'tfjs', backend: 'auto', log });
  try {
    assert.equal(engine.name, 'tfjs');
    assert.equal(engine.backend, 'wasm');
    assert.equal(fallbacks[0].tried, 'tfjs/tensorflow');
    assert.match(fallbacks[0].reason, /tfjs-node/);
    const logged = lines();
    assert.ok(logged.some((l) => l.tried === 'tfjs/tensorflow' && /tfjs-node/.test(String(l.reason))), 'the fallback reason is logged');
    assert.ok(logged.some((l) => l.engine === 'tfjs' && l.backend === 'wasm'), 'the engine in use is logged');
    const ref = readReference(dir);
    assert.ok(maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs) < 1e-4);
  } finally {
    await engine.dispose();
  }
});

test('auto prefers the native engine where it is built; without it, onnx, and it says why; native alone fails clearly', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const why = nativeUnavailable();
  if (why) return t.skip(`native engine not built here (${why})`);
  const { meta } = await loadModel(dir);
  const first = await selectEngine({ modelDir: dir, meta, engine: 'auto', backend: 'auto' });
  try {
    assert.equal(first.engine.name, 'native');
    assert.deepEqual(first.fallbacks, []);
    const ref = readReference(dir);
    assert.ok(maxAbsDiff(await first.engine.run(ref.inputs, ref.count), ref.probs) < 1e-4);
  } finally {
    await first.engine.dispose();
  }
  // A gateway where npm run build found no compiler: build/native is empty.
  const empty = tempDir(t);
  const { log, lines } = captureLog();
  const second = await selectEngine({ modelDir: dir, meta, engine: 'auto', backend: 'auto', nativeBuildDir: empty, log });
  try {
    assert.equal(second.engine.name, 'onnx');
    assert.equal(second.fallbacks[0].tried, 'native');
    assert.match(second.fallbacks[0].reason, /not built/);
    assert.ok(lines().some((l) => l.tried === 'native' && /not built/.test(String(l.reason))), 'the native fallback is logged');
  } finally {
    await second.engine.dispose();
  }
  await assert.rejects(selectEngine({ modelDir: dir, meta, engine: 'native', backend: 'auto', nativeBuildDir: empty }), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && /native engine: not built/.test(e.message));
});

test('without the native engine auto runs onnx; with a broken model.onnx it falls back to tfjs, and onnx alone fails clearly', async (t) => {
  if (!dir) return t.skip('no torch to export a model');
  const { meta } = await loadModel(dir);
  const nativeBuildDir = tempDir(t);
  const first = await selectEngine({ modelDir: dir, meta, engine: 'auto', backend: 'auto', nativeBuildDir });
  assert.equal(first.engine.name, 'onnx');
  assert.deepEqual(first.fallbacks.map((f) => f.tried), ['native']);
  await first.engine.dispose();

  const onnxPath = path.join(dir, meta.files.onnx!);
  writeFileSync(onnxPath, 'this is not an onnx protobuf');
  await assert.rejects(selectEngine({ modelDir: dir, meta, engine: 'onnx', backend: 'auto' }), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && e.message.includes(onnxPath));
  const { log, lines } = captureLog();
  const second = await selectEngine({ modelDir: dir, meta, engine: 'auto', backend: 'wasm', nativeBuildDir, log });
  try {
    assert.equal(second.engine.name, 'tfjs');
    assert.equal(second.engine.backend, 'wasm');
    assert.equal(second.fallbacks[1].tried, 'onnx');
    assert.match(second.fallbacks[1].reason, /cannot open/);
    assert.ok(lines().some((l) => l.tried === 'onnx'), 'the onnx failure is logged');
  } finally {
    await second.engine.dispose();
  }

  rmSync(path.join(dir, meta.files.weights!));
  await assert.rejects(selectEngine({ modelDir: dir, meta, engine: 'auto', backend: 'auto', nativeBuildDir }), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && e.details.some((d) => d.startsWith('native:')) && e.details.some((d) => d.startsWith('onnx:')) && e.details.some((d) => d.startsWith('tfjs/auto:')));
});

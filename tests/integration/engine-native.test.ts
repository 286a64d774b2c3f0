// The native engine (native/drsn.c): how it is built, when it refuses to load, how the C side rejects a
// plan that does not add up, and that it runs in the worker pool. Its agreement with PyTorch is in
// engine-agreement (every variant) and shipped-models-agree (every shipped model, ensembles too).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { buildNativePlan, createNativeEngine, loadNativeAddon, nativeBuildDir } from '../../src/model/engines/native.js';
import { loadModel } from '../../src/model/metadata.js';
import { createClassifierPool } from '../../src/runtime/classifier-pool.js';
import { loadWeights } from '../../src/model/weights.js';
import { projectRoot } from '../helpers/data.js';
import { maxAbsDiff, nativeUnavailable, readReference } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

const modelDir = path.join(projectRoot, 'models', 'drsn-cw-cwru');
const buildScript = path.join(projectRoot, 'native', 'build.mjs');

function build(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [buildScript], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the build says why it built nothing when there is no C compiler, and exits 0 (onnxruntime then runs)', (t) => {
  const out = tempDir(t);
  const r = build({ DRSND_NATIVE_OUT: out, CC: '/nonexistent/cc' });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /native engine: not built \(no C compiler \(\/nonexistent\/cc\)\)/);
  assert.equal(existsSync(path.join(out, 'drsn.node')), false);
  assert.throws(() => loadNativeAddon(out), (e: unknown) => isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && /not built/.test(e.message));
});

test('a portable build (DRSND_NATIVE_CFLAGS without -march=native) loads anywhere and gives the same probabilities', async (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`no native build to compare with (${why})`);
  const out = tempDir(t);
  const r = build({ DRSND_NATIVE_OUT: out, DRSND_NATIVE_CFLAGS: '-O2' });
  assert.equal(r.status, 0, r.out);
  const info = JSON.parse(readFileSync(path.join(out, 'drsn.json'), 'utf8'));
  assert.equal(info.cflags, '-O2');
  assert.deepEqual(info.cpuFlags, [], 'no CPU features recorded: the build assumed none');
  const { meta } = await loadModel(modelDir);
  const ref = readReference(modelDir);
  const portable = await createNativeEngine({ modelDir, meta, buildDir: out });
  const tuned = await createNativeEngine({ modelDir, meta });
  const a = await portable.run(ref.inputs, ref.count);
  assert.ok(maxAbsDiff(a, ref.probs) < 1e-4, `portable build vs PyTorch: ${maxAbsDiff(a, ref.probs)}`);
  assert.ok(maxAbsDiff(a, await tuned.run(ref.inputs, ref.count)) < 1e-5);
});

test('an addon built for another machine is refused with the reason, not loaded (it could die of SIGILL)', (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native engine not built here (${why})`);
  const info = JSON.parse(readFileSync(path.join(nativeBuildDir(), 'drsn.json'), 'utf8'));
  const copy = (patch: Record<string, unknown>): string => {
    const dir = tempDir(t);
    copyFileSync(path.join(nativeBuildDir(), 'drsn.node'), path.join(dir, 'drsn.node'));
    writeFileSync(path.join(dir, 'drsn.json'), JSON.stringify({ ...info, ...patch }));
    return dir;
  };
  const otherArch = process.arch === 'arm64' ? 'x64' : 'arm64';
  assert.throws(() => loadNativeAddon(copy({ arch: otherArch })), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && e.message.includes(`built for linux/${otherArch}`));
  assert.throws(() => loadNativeAddon(copy({ cpuFlags: [...info.cpuFlags, 'drsnd_imaginary_simd'] })), (e: unknown) =>
    isDrsndError(e, ErrorCodes.ENGINE_UNAVAILABLE) && /features this one lacks \(drsnd_imaginary_simd\)/.test(e.message));
});

test('the C side checks the plan against the parameters and the buffers against n', async (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native engine not built here (${why})`);
  const addon = loadNativeAddon();
  const { meta } = await loadModel(modelDir);
  const { plan, params } = buildNativePlan(meta, await loadWeights(modelDir));
  assert.ok(addon.create(plan, params), 'the real plan is accepted');
  assert.throws(() => addon.create(plan, params.subarray(0, params.length - 1)), /too few parameters for the plan/);
  assert.throws(() => addon.create(plan, Float32Array.from([...params, 0])), /more parameters than the plan uses/);
  const wrongVersion = plan.slice();
  wrongVersion[0] = 99;
  assert.throws(() => addon.create(wrongVersion, params), /plan version mismatch/);
  const badHead = plan.slice();
  badHead[5] = 7; // plan v2: [version, L, classes, members, variant, head, ...]; heads are 0 (gap) and 1 (flatten)
  assert.throws(() => addon.create(badHead, params), /bad plan header/);
  // The first unit claims 5 input channels after a 4-channel stem.
  const unchained = plan.slice();
  unchained[9] = 5;
  assert.throws(() => addon.create(unchained, params), /channels must chain/);
  assert.throws(() => addon.create(plan.subarray(0, 20), params), /plan too short/);
  assert.throws(() => addon.create(params as unknown as Int32Array, params), TypeError);

  const net = addon.create(plan, params);
  const L = meta.input.windowLength;
  const C = meta.classes.length;
  assert.throws(() => addon.run(net, new Float32Array(2 * L), 3, new Float32Array(3 * C)), /shorter than n windows/);
  assert.throws(() => addon.run(net, new Float32Array(2 * L), 2, new Float32Array(2 * C - 1)), /shorter than n windows/);
  assert.throws(() => addon.run({}, new Float32Array(L), 1, new Float32Array(C)), /bad handle/);
  const out = new Float32Array(C);
  addon.run(net, new Float32Array(L), 1, out);
  assert.ok(Math.abs(out.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'a window of zeros still gives a probability distribution');
});

test('the worker pool runs the native engine in its threads and stops them', async (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native engine not built here (${why})`);
  const { meta } = await loadModel(modelDir);
  const ref = readReference(modelDir);
  const L = meta.input.windowLength;
  const C = meta.classes.length;
  const pool = await createClassifierPool({ modelDir, meta, engine: 'native', backend: 'auto', workers: 2, log: pino({ level: 'silent' }) });
  assert.equal(pool.engineName, 'native');
  assert.equal(pool.liveWorkers, 2);
  try {
    const windows = Array.from({ length: ref.count }, (_, i) => ref.inputs.slice(i * L, (i + 1) * L));
    // Split across both workers; the answers come back in order.
    const [a, b] = await Promise.all([pool.classify(windows.slice(0, 7)), pool.classify(windows.slice(7))]);
    const got = [...a, ...b];
    assert.equal(got.length, ref.count);
    got.forEach((p, i) => assert.ok(maxAbsDiff(p, ref.probs.subarray(i * C, (i + 1) * C)) < 1e-4, `window ${i}`));
  } finally {
    await pool.stop();
  }
  assert.equal(pool.liveWorkers, 0, 'stop() ended both worker threads');
});

// `drsnd ensemble`: two trained-or-random model folders combined into one whose output is the mean of
// their probabilities. Proven with the daemon's own engines: onnx and tfjs/wasm on the ensemble folder
// reproduce PyTorch's reference (≤ 1e-4), and onnx on the ensemble equals the mean of onnx on each
// member (so the export really contains both nets, averaged). Members that cannot be averaged are
// refused before Python starts, naming the folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import type { InferenceEngine } from '../../src/model/engines/engine.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { createTfjsEngine } from '../../src/model/engines/tfjs.js';
import { loadModel } from '../../src/model/metadata.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { exportRandomModel, maxAbsDiff, readReference, removeModelDir } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

function drsnd(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts'), ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function runOnnx(dir: string, inputs: Float32Array, n: number): Promise<Float32Array> {
  const { meta } = await loadModel(dir);
  const engine = await createOnnxEngine({ modelDir: dir, meta, intraOpNumThreads: 1 });
  try {
    return await engine.run(inputs, n);
  } finally {
    await engine.dispose();
  }
}

test('drsnd ensemble: both engines run the averaged nets and agree with PyTorch', { timeout: 180_000 }, async (t) => {
  const a = exportRandomModel(t, { seed: 7, stemKernel: 5 });
  if (!a) return;
  t.after(() => removeModelDir(a));
  const b = exportRandomModel(t, { seed: 8, stemKernel: 5 });
  t.after(() => removeModelDir(b));
  const out = path.join(tempDir(t, 'drsnd-ens-'), 'ens');

  const r = await drsnd(['ensemble', a, b!, '--out', out, '--id', 'two-nets', '--model-version', '0.1.0']);
  assert.equal(r.code, 0, `${r.err}\n${r.out}`);
  assert.match(r.err, /without evaluation/);
  const { meta } = await loadModel(out);
  assert.equal(meta.members, 2);
  assert.equal(meta.stemKernel, 5);
  assert.deepEqual([meta.id, meta.version], ['two-nets', '0.1.0']);
  const members = (meta.training as { ensemble: { members: { id: string; seed: number }[] } }).ensemble.members;
  assert.deepEqual(members.map((m) => m.seed), [7, 8]);

  const ref = readReference(out);
  const engines: [string, () => Promise<InferenceEngine>][] = [
    ['onnx', () => createOnnxEngine({ modelDir: out, meta })],
    ['tfjs/wasm', () => createTfjsEngine({ modelDir: out, meta, backend: 'wasm' })],
  ];
  for (const [name, create] of engines) {
    const engine = await create();
    try {
      const d = maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs);
      t.diagnostic(`ensemble ${name}: max |Δp| vs PyTorch = ${d.toExponential(2)} over ${ref.count} windows`);
      assert.ok(d < 1e-4, `${name} differs from PyTorch by ${d}`);
    } finally {
      await engine.dispose();
    }
  }

  const pa = await runOnnx(a, ref.inputs, ref.count);
  const pb = await runOnnx(b!, ref.inputs, ref.count);
  assert.ok(maxAbsDiff(pa, pb) > 1e-3, 'the two members must differ, or averaging proves nothing');
  const mean = pa.map((v, i) => (v + pb[i]) / 2);
  const d = maxAbsDiff(await runOnnx(out, ref.inputs, ref.count), mean);
  assert.ok(d < 1e-5, `ensemble output is not the mean of its members (max |Δ| ${d})`);
});

test('drsnd ensemble refuses members that cannot be averaged, naming them', { timeout: 120_000 }, async (t) => {
  const a = exportRandomModel(t, { seed: 7, variant: 'cw' });
  if (!a) return;
  t.after(() => removeModelDir(a));
  const b = exportRandomModel(t, { seed: 7, variant: 'plain' });
  t.after(() => removeModelDir(b));
  const out = path.join(tempDir(t, 'drsnd-ens-'), 'ens');
  const mixed = await drsnd(['ensemble', a, b!, '--out', out]);
  assert.notEqual(mixed.code, 0);
  assert.ok(mixed.err.includes(`${b}: architecture, widths, stem kernel, input or classes differ`), mixed.err);
  const one = await drsnd(['ensemble', a, '--out', out]);
  assert.notEqual(one.code, 0);
  assert.match(one.err, /at least 2 model folders \(got 1\)/);
});

test('drsnd ensemble --data evaluates the ensemble and writes its report', { timeout: 180_000 }, async (t) => {
  const cwru = cwruDir(t);
  if (!cwru) return;
  const a = exportRandomModel(t, { seed: 3, variant: 'plain', cwru: null });
  if (!a) return;
  t.after(() => removeModelDir(a));
  const b = exportRandomModel(t, { seed: 4, variant: 'plain', cwru: null });
  t.after(() => removeModelDir(b));
  const tmp = tempDir(t, 'drsnd-ens-');
  const out = path.join(tmp, 'ens');
  const r = await drsnd(['ensemble', a, b!, '--out', out, '--data', cwru, '--quick', '--cache', path.join(tmp, 'cache')]);
  assert.equal(r.code, 0, `${r.err}\n${r.out}`);
  const { meta } = await loadModel(out);
  const metrics = meta.metrics as { cleanAccuracy: number; testWindows: number };
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  const ev = report.runs[0].eval;
  assert.equal(report.runs[0].model.architecture, 'resnet ×2');
  assert.equal(metrics.cleanAccuracy, ev.clean);
  assert.equal(metrics.testWindows, ev.windows);
  const trace = (ev.confusion as number[][]).reduce((s, row, i) => s + row[i], 0);
  assert.ok(Math.abs(ev.clean - trace / ev.windows) < 1e-12);
  const validation = (meta.training as { validation: Record<string, number> }).validation;
  assert.deepEqual(Object.keys(validation).sort(), ['clean', 'gaussian', 'laplacian', 'pink']);
  assert.match(readFileSync(path.join(out, 'report.md'), 'utf8'), /Ensemble of 2 models, output = mean of their softmax probabilities/);
});

// `drsnd train --quick` end to end, as a user runs it: the real CLI prepares the CWRU data with the
// project's resampler, spawns the PyTorch trainer (one epoch, a few windows per class), and writes a
// complete model folder that the daemon's metadata loader accepts and onnxruntime runs, giving the
// trainer's own probabilities. Skips visibly without the CWRU data or without torch.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { createTfjsEngine } from '../../src/model/engines/tfjs.js';
import { loadModel } from '../../src/model/metadata.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { maxAbsDiff, readReference, representationAgreement, torchUnavailable } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

function drsnd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts'), ...args], {
      cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('drsnd train --quick writes a complete model folder that loads and runs', { timeout: 120_000 }, async (t) => {
  const cwru = cwruDir(t);
  if (!cwru) return;
  const why = torchUnavailable();
  if (why) return t.skip(`${why}; skipping`);
  const tmp = tempDir(t, 'drsnd-train-');
  const out = path.join(tmp, 'model');

  // Non-default band limit, noise range, widths and stem kernel: all must reach the prepared data and the trainer.
  const r = await drsnd(['train', '--data', cwru, '--out', out, '--quick', '--seed', '5', '--band-limit', '4000', '--snr-min=-8', '--widths', '6,8,12', '--stem-kernel', '15', '--model-version', '2.1.0-rc.1', '--cache', path.join(tmp, 'cache')]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.err}\n${r.out}`);
  assert.match(r.err, /prepared 37 records .* band limit 4000 Hz/);
  assert.match(r.out, /epoch 1\/1 loss [\d.]+ val acc clean [\d.]+/, 'progress line with epoch, loss and validation accuracy');
  assert.match(r.out, /ETA \d+s/);

  for (const f of ['drsn.json', 'model.onnx', 'weights.json', 'weights.bin', 'reference.json', 'reference.bin', 'report.md', 'report.json', 'report-accuracy-vs-snr.svg', 'report-confusion.svg']) {
    assert.ok(existsSync(path.join(out, f)), `${f} written`);
  }
  const { meta } = await loadModel(out);
  assert.equal(meta.architecture, 'drsn-cw');
  assert.deepEqual(meta.widths, [6, 8, 12]);
  assert.equal(meta.stemKernel, 15);
  assert.equal(meta.id, 'drsn-cw-6-8-12-k15-cwru-s5', 'the default id names the non-paper widths and stem');
  assert.deepEqual(meta.input, { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4000 });
  const recipe = meta.training?.recipe as { augmentation: { snr_range: number[] } };
  assert.deepEqual(recipe.augmentation.snr_range, [-8, 5]);
  assert.deepEqual(meta.normalization, { method: 'window-zscore', epsilon: 1e-8 });
  assert.equal(meta.classes.length, 10);
  assert.equal(meta.training?.seed, 5);
  assert.equal(meta.training?.epochs, 1);
  assert.match(String(meta.training?.command), /^drsnd train --data \S+ --out \S+ --quick --seed 5 --band-limit 4000 --snr-min=-8 --widths 6,8,12 --stem-kernel 15 --model-version 2.1.0-rc.1 --cache /, 'the command line is recorded');
  assert.equal(meta.version, '2.1.0-rc.1');
  assert.equal(typeof (meta.metrics as { cleanAccuracy?: unknown }).cleanAccuracy, 'number');
  assert.match(readFileSync(path.join(out, 'report.svg'.replace('.svg', '-accuracy-vs-snr.svg')), 'utf8'), /^<svg /);

  // onnxruntime reproduces PyTorch's probabilities on real prepared test windows.
  const ref = readReference(out);
  const engine = await createOnnxEngine({ modelDir: out, meta });
  t.after(() => engine.dispose());
  const probs = await engine.run(ref.inputs, ref.count);
  assert.ok(maxAbsDiff(probs, ref.probs) <= 1e-4, `onnx vs torch max diff ${maxAbsDiff(probs, ref.probs)}`);
  // tfjs builds its layers from drsn.json: the widths and stem kernel must reach it too (else the weights do not fit).
  const tfjs = await createTfjsEngine({ modelDir: out, meta, backend: 'wasm' });
  t.after(() => tfjs.dispose());
  const tprobs = await tfjs.run(ref.inputs, ref.count);
  assert.ok(maxAbsDiff(tprobs, ref.probs) <= 1e-4, `tfjs vs torch max diff ${maxAbsDiff(tprobs, ref.probs)}`);
});

test('drsnd train --input envelope-orders --quick writes a model on the envelope-order spectrum that every engine runs', { timeout: 120_000 }, async (t) => {
  const cwru = cwruDir(t);
  if (!cwru) return;
  const why = torchUnavailable();
  if (why) return t.skip(`${why}; skipping`);
  const tmp = tempDir(t, 'drsnd-train-eos-');
  const out = path.join(tmp, 'model');
  const r = await drsnd(['train', '--data', cwru, '--out', out, '--input', 'envelope-orders', '--quick', '--cache', path.join(tmp, 'cache')]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.err}\n${r.out}`);
  assert.match(r.out, /epoch 1\/1 loss [\d.]+ val balanced clean [\d.]+/);
  const { meta } = await loadModel(out);
  assert.equal(meta.input.representation?.kind, 'envelope-order-spectrum');
  assert.equal(meta.head, 'flatten');
  assert.deepEqual(meta.normalization, { method: 'none' });
  assert.deepEqual(meta.classes.map((c) => c.component), [null, 'ball', 'inner_race', 'outer_race'], 'classes are the fault components');
  const ref = readReference(out);
  assert.equal(ref.windowLength, meta.input.representation?.bins, 'the net sees the representation, not the raw window');
  const { d } = await representationAgreement(out);
  assert.ok(d < 1e-4, `TypeScript and numpy envelope-order spectra differ by ${d}`);
  for (const engine of [await createOnnxEngine({ modelDir: out, meta }), await createTfjsEngine({ modelDir: out, meta, backend: 'wasm' })]) {
    t.after(() => engine.dispose());
    const diff = maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs);
    assert.ok(diff <= 1e-4, `${engine.name} vs torch max diff ${diff}`);
  }
});

test('drsnd train refuses a band limit above Nyquist, a noise range that is not one, and an even stem kernel', { timeout: 60_000 }, async (t) => {
  const tmp = tempDir(t, 'drsnd-train-');
  const args = ['train', '--data', tmp, '--out', path.join(tmp, 'm')];
  const high = await drsnd([...args, '--band-limit', '7000']);
  assert.equal(high.code, 2, high.err);
  assert.match(high.err, /--band-limit must be a frequency in Hz in \(0, 6000\]/);
  const snr = await drsnd([...args, '--snr-min=9']);
  assert.equal(snr.code, 2, snr.err);
  assert.match(snr.err, /--snr-min must be a number of dB in \[-30, 5\)/);
  const widths = await drsnd([...args, '--widths', '16,8,4']);
  assert.equal(widths.code, 2, widths.err);
  assert.match(widths.err, /--widths must be three non-decreasing channel counts/);
  const stem = await drsnd([...args, '--stem-kernel', '64']);
  assert.equal(stem.code, 2, stem.err);
  assert.match(stem.err, /--stem-kernel must be an odd kernel width in 3\.\.255/);
  const version = await drsnd([...args, '--model-version', 'latest']);
  assert.equal(version.code, 2, version.err);
  assert.match(version.err, /--model-version must be a version like 1\.2\.0/);
});

test('drsnd train names the missing python/torch instead of failing obscurely', { timeout: 60_000 }, async (t) => {
  const tmp = tempDir(t, 'drsnd-train-');
  const r = await drsnd(['train', '--data', tmp, '--out', path.join(tmp, 'm'), '--quick', '--python', path.join(tmp, 'no-python3')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /need .*no-python3 with PyTorch/);
  assert.match(r.err, /python3-torch/);
});

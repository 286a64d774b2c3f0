import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkModelInput, loadModel, netInputLength, parseModelMetadata } from '../../src/model/metadata.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp.js';

function validMeta(): Record<string, any> {
  return {
    id: 'drsn-cw-cwru', version: '1.0.0', architecture: 'drsn-cw',
    input: { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
    normalization: { method: 'window-zscore', epsilon: 1e-8 },
    classes: [
      { index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null },
      { index: 1, name: 'B007', kind: 'fault', component: 'ball', sizeIn: 0.007 },
    ],
    files: { onnx: 'model.onnx', weights: 'weights.json' },
    metrics: { testAccuracy: 0.99 },
  };
}

function withDir(fn: (dir: string) => Promise<void>): (t: test.TestContext) => Promise<void> {
  return async (t) => {
    await fn(tempDir(t, 'drsnd-meta-'));
  };
}

test('a complete drsn.json with its files loads', withDir(async (dir) => {
  writeFileSync(path.join(dir, 'drsn.json'), JSON.stringify(validMeta()));
  writeFileSync(path.join(dir, 'model.onnx'), 'x');
  writeFileSync(path.join(dir, 'weights.json'), '{}');
  const { meta, dir: abs } = await loadModel(dir);
  assert.equal(abs, path.resolve(dir));
  assert.equal(meta.id, 'drsn-cw-cwru');
  assert.equal(meta.classes[1].component, 'ball');
  assert.deepEqual(meta.normalization, { method: 'window-zscore', epsilon: 1e-8 });
}));

test('a missing model folder is MODEL_NOT_FOUND naming the folder', async () => {
  const dir = path.join(os.tmpdir(), 'drsnd-no-such-model-dir');
  await assert.rejects(loadModel(dir), (e: unknown) => isDrsndError(e, ErrorCodes.MODEL_NOT_FOUND) && e.message.includes(dir));
});

test('every problem in drsn.json is listed as "path: message"', () => {
  const m = validMeta();
  m.input.windowLength = -5;
  m.input.unit = 'furlongs';
  m.classes[1].index = 7;
  m.normalization = { method: 'global', mean: 0 };
  delete m.version;
  try {
    parseModelMetadata(m);
    assert.fail('expected MODEL_INVALID');
  } catch (e) {
    assert.ok(isDrsndError(e, ErrorCodes.MODEL_INVALID));
    const paths = e.details.map((d) => d.split(':')[0]);
    for (const p of ['version', 'input.windowLength', 'input.unit', 'normalization.std']) assert.ok(paths.includes(p), `${p} in ${JSON.stringify(e.details)}`);
    assert.ok(e.details.some((d) => d.startsWith('classes.1.index: must be 1')), JSON.stringify(e.details));
    for (const d of e.details) assert.ok(e.message.includes(d), 'message lists every detail');
  }
});

test('widths: optional (the paper\'s net), else three channel counts that never decrease', () => {
  assert.equal(parseModelMetadata(validMeta()).widths, undefined);
  assert.deepEqual(parseModelMetadata({ ...validMeta(), widths: [8, 16, 32] }).widths, [8, 16, 32]);
  for (const bad of [[16, 8, 4], [8, 16], [0, 8, 16], [4.5, 8, 16]]) {
    assert.throws(() => parseModelMetadata({ ...validMeta(), widths: bad }), (e: unknown) =>
      isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details.some((d) => d.startsWith('widths')), JSON.stringify(bad));
  }
});

test('stemKernel: optional (the paper\'s 3), else an odd width from 3 to 255', () => {
  assert.equal(parseModelMetadata(validMeta()).stemKernel, undefined);
  assert.equal(parseModelMetadata({ ...validMeta(), stemKernel: 63 }).stemKernel, 63);
  for (const bad of [64, 1, 257, 3.5, '63']) {
    assert.throws(() => parseModelMetadata({ ...validMeta(), stemKernel: bad }), (e: unknown) =>
      isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details.some((d) => d.startsWith('stemKernel')), JSON.stringify(bad));
  }
});

test('members: optional (one net), else an ensemble of 2 to 16 nets', () => {
  assert.equal(parseModelMetadata(validMeta()).members, undefined);
  assert.equal(parseModelMetadata({ ...validMeta(), members: 2 }).members, 2);
  for (const bad of [1, 0, 17, 2.5, '2']) {
    assert.throws(() => parseModelMetadata({ ...validMeta(), members: bad }), (e: unknown) =>
      isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details.some((d) => d.startsWith('members')), JSON.stringify(bad));
  }
});

test('a model with no runnable file, or no normal class, is invalid', () => {
  const m = validMeta();
  m.files = {};
  m.classes[0].kind = 'fault';
  assert.throws(() => parseModelMetadata(m), (e: unknown) =>
    isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details.some((d) => d.startsWith('files:')) && e.details.some((d) => d.startsWith('classes:')));
});

test('files named in drsn.json must exist and stay inside the folder', withDir(async (dir) => {
  writeFileSync(path.join(dir, 'drsn.json'), JSON.stringify(validMeta()));
  await assert.rejects(loadModel(dir), (e: unknown) =>
    isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details.some((d) => d.startsWith('files.onnx: model.onnx not found')) && e.details.some((d) => d.startsWith('files.weights')));
  const m = validMeta();
  m.files.onnx = '../../etc/passwd';
  assert.throws(() => parseModelMetadata(m), (e: unknown) => isDrsndError(e, ErrorCodes.MODEL_INVALID) && e.details[0].startsWith('files.onnx'));
}));

test('drsn.json that is not JSON is MODEL_INVALID', withDir(async (dir) => {
  writeFileSync(path.join(dir, 'drsn.json'), '{ "id": ');
  await assert.rejects(loadModel(dir), (e: unknown) => isDrsndError(e, ErrorCodes.MODEL_INVALID) && /not JSON/.test(e.message));
}));

test('checkModelInput accepts a model that fits and names every difference otherwise', () => {
  const meta = parseModelMetadata(validMeta());
  checkModelInput(meta, { windowLength: 2048, channels: 1, classes: 2, unit: 'g', sampleRateHz: 12000 });
  try {
    checkModelInput(meta, { windowLength: 1024, classes: 10, unit: 'm/s2' });
    assert.fail('expected MODEL_MISMATCH');
  } catch (e) {
    assert.ok(isDrsndError(e, ErrorCodes.MODEL_MISMATCH));
    assert.match(e.message, /input\.windowLength: model has 2048, expected 1024/);
    assert.match(e.message, /classes: model has 2, expected 10/);
    assert.match(e.message, /input\.unit: model has g, expected m\/s2/);
    assert.equal(e.details.length, 3);
  }
  const multi = parseModelMetadata({ ...validMeta(), input: { ...validMeta().input, channels: 3 } });
  assert.throws(() => checkModelInput(multi), (e: unknown) => isDrsndError(e, ErrorCodes.MODEL_MISMATCH) && /channels/.test(e.message));
});

test('input.representation: every parameter checked, normalization none, the net input is its bins; ood needs it', () => {
  const rep = { kind: 'envelope-order-spectrum', bandHz: [500, 4000], revolutions: 16, fftLength: 16384, bins: 256, maxPosition: 3, canonical: { bpfo: 0.8, bpfi: 1.2 }, floorRange: [0.1, 3] };
  const ok = { ...validMeta(), input: { ...validMeta().input, windowLength: 16384, representation: rep }, normalization: { method: 'none' }, head: 'flatten' };
  const meta = parseModelMetadata(ok);
  assert.equal(netInputLength(meta), 256);
  assert.equal(netInputLength(parseModelMetadata(validMeta())), validMeta().input.windowLength);
  const bad = { ...ok, normalization: { method: 'window-zscore', epsilon: 1e-8 },
    input: { ...ok.input, representation: { ...rep, bandHz: [500, 6000], fftLength: 10000, bins: 100 } },
    ood: undefined as unknown };
  assert.throws(() => parseModelMetadata(bad), (e: unknown) => {
    const d = isDrsndError(e, ErrorCodes.MODEL_INVALID) ? (e.details as string[]).join('\n') : '';
    return /input.representation.fftLength: must be a power of two/.test(d) && /input.representation.bins: must be a multiple of 16/.test(d);
  });
  assert.throws(() => parseModelMetadata({ ...ok, normalization: { method: 'window-zscore', epsilon: 1e-8 } }), /normalization.method: must be "none"/);
  assert.throws(() => parseModelMetadata({ ...ok, input: { ...ok.input, representation: { ...rep, bandHz: [500, 6000] } } }), /bandHz: must lie below input.bandLimitHz/);
  const ood = { kind: 'spectral-shape', median: [-2.8, 1.7], scale: [0.8, 1.0], threshold: 3.8 };
  assert.equal(parseModelMetadata({ ...ok, ood }).ood?.threshold, 3.8);
  assert.throws(() => parseModelMetadata({ ...validMeta(), ood }), /ood: is defined on an input.representation only/);
});

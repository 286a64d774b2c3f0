import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildDrsn, countTrainableParams, predictBatch } from '../../src/model/tfjs-drsn.js';
import { initTfjsBackend } from '../../src/model/engines/tfjs-backend.js';
import { convKernelToTfjs, linearKernelToTfjs } from '../../src/model/weights.js';

test.before(async () => {
  await initTfjsBackend('cpu');
});

test('DRSN-CW for 10 classes has the paper-sized 11,586 trainable parameters (same as PyTorch)', () => {
  const { model } = buildDrsn({ variant: 'cw', windowLength: 2048, numClasses: 10 });
  try {
    assert.equal(countTrainableParams(model), 11_586);
  } finally {
    model.dispose();
  }
});

test('input [N, 2048, 1] gives [N, classes] probabilities that sum to 1, for every variant', async () => {
  for (const variant of ['cw', 'cs', 'plain'] as const) {
    const { model } = buildDrsn({ variant, windowLength: 2048, numClasses: 10 });
    try {
      assert.deepEqual(model.inputs[0].shape, [null, 2048, 1]);
      assert.deepEqual(model.outputs[0].shape, [null, 10]);
      const n = 3;
      const batch = Float32Array.from({ length: n * 2048 }, (_, i) => Math.sin(i / 7) + ((i * 7919) % 13) / 13 - 0.5);
      const before = tf.memory().numTensors;
      const probs = await predictBatch(model, batch, n, 2048);
      assert.equal(tf.memory().numTensors, before, 'inference leaves no tensors behind');
      assert.equal(probs.length, n * 10);
      for (let i = 0; i < n; i++) {
        const sum = probs.subarray(i * 10, (i + 1) * 10).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `${variant} row ${i} sums to ${sum}`);
      }
      const params = countTrainableParams(model);
      assert.ok(variant === 'cw' ? params === 11_586 : params < 11_586, `${variant}: ${params}`);
    } finally {
      model.dispose();
    }
  }
});

test('strided layers halve the time axis like PyTorch (2048 → 1024 → 512 → 256 → 128)', () => {
  const { model } = buildDrsn({ variant: 'cw', windowLength: 2048, numClasses: 10 });
  try {
    assert.deepEqual(model.getLayer('stem').outputShape, [null, 1024, 4]);
    assert.deepEqual(model.getLayer('units.0.add').outputShape, [null, 512, 4]);
    assert.deepEqual(model.getLayer('units.4.add').outputShape, [null, 256, 8]);
    assert.deepEqual(model.getLayer('units.11.add').outputShape, [null, 128, 16]);
  } finally {
    model.dispose();
  }
});

test('a wide first kernel (stemKernel 63) keeps the time axis and adds only its own weights', () => {
  const { model } = buildDrsn({ variant: 'cw', windowLength: 2048, numClasses: 10, stemKernel: 63 });
  try {
    // PyTorch pads 31 on each side: (2048 + 62 − 63) / 2 + 1 = 1024 samples, as with the paper's 3.
    assert.deepEqual(model.getLayer('stem').outputShape, [null, 1024, 4]);
    assert.deepEqual(model.getLayer('units.11.add').outputShape, [null, 128, 16]);
    assert.equal(countTrainableParams(model), 11_586 + (63 - 3) * 4);
  } finally {
    model.dispose();
  }
});

test('the custom layers are registered: the model survives a JSON round trip', () => {
  const { model } = buildDrsn({ variant: 'cs', windowLength: 256, numClasses: 4 });
  return (async () => {
    const json = JSON.parse(JSON.stringify(model.toJSON(null, false)));
    const copy = await tf.models.modelFromJSON({ modelTopology: json });
    try {
      assert.equal(copy.layers.length, model.layers.length);
      assert.ok(copy.layers.some((l) => l.getClassName() === 'DrsnSoftThreshold'));
      assert.deepEqual(copy.outputs[0].shape, [null, 4]);
    } finally {
      copy.dispose();
      model.dispose();
    }
  })();
});

test('PyTorch conv [Cout, Cin, k] and linear [out, in] weights are transposed for tfjs', () => {
  // w[o][i][j] = 100·o + 10·i + j makes every element's origin visible.
  const data = new Float32Array(2 * 3 * 3);
  for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) data[(o * 3 + i) * 3 + j] = 100 * o + 10 * i + j;
  const k = convKernelToTfjs({ shape: [2, 3, 3], data });
  assert.deepEqual(k.shape, [3, 3, 2]);
  for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(k.data[(j * 3 + i) * 2 + o], 100 * o + 10 * i + j);
  const lin = linearKernelToTfjs({ shape: [2, 3], data: Float32Array.from([0, 1, 2, 10, 11, 12]) });
  assert.deepEqual(lin.shape, [3, 2]);
  assert.deepEqual([...lin.data], [0, 10, 1, 11, 2, 12]);
});

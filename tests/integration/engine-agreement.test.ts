// Every engine must reproduce PyTorch's probabilities (max |Δp| < 1e-4) on real CWRU windows, using
// a model exported by the real exporter. The windows are rebuilt here from the CWRU files and must
// match the ones PyTorch saw, so the check also covers our window normalization.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/metadata.js';
import { createNativeEngine } from '../../src/model/engines/native.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { createTfjsEngine } from '../../src/model/engines/tfjs.js';
import type { InferenceEngine } from '../../src/model/engines/engine.js';
import { cwruDir } from '../helpers/data.js';
import { cwruWindow, exportRandomModel, maxAbsDiff, nativeUnavailable, readReference, removeModelDir } from '../helpers/model-fixture.js';

const TOLERANCE = 1e-4;

// A 63-tap stem (--stem-kernel) pads 31 samples on each side of its stride-2 convolution where tfjs 'same'
// would pad (30, 31): tfjs must build it from drsn.json's stemKernel and pad like PyTorch.
// The native engine reads the stem's taps from even/odd phases with margins sized from the kernel: the
// 63-tap case covers that too. 'plain' (no shrinkage) is the paper's ResNet baseline.
const CASES: { variant: 'cw' | 'cs' | 'plain'; stemKernel?: number }[] = [{ variant: 'cw' }, { variant: 'cs' }, { variant: 'plain' }, { variant: 'cw', stemKernel: 63 }];
for (const { variant, stemKernel } of CASES) {
  const label = `DRSN-${variant.toUpperCase()}${stemKernel ? `, stem kernel ${stemKernel}` : ''}`;
  test(`native, onnx, tfjs wasm and tfjs cpu agree with PyTorch on real CWRU windows (${label})`, async (t) => {
    const cwru = cwruDir(t);
    if (!cwru) return;
    const dir = exportRandomModel(t, { variant, cwru, stemKernel });
    if (!dir) return;
    try {
      const { meta } = await loadModel(dir);
      const ref = readReference(dir);
      assert.ok(ref.sources && ref.sources.length === ref.count && ref.count >= 30, 'reference covers every CWRU record');
      assert.equal(new Set(ref.sources.map((s) => s.label)).size, 10, 'all 10 classes present');
      const L = meta.input.windowLength;
      const inputs = new Float32Array(ref.count * L);
      ref.sources.forEach((s, i) => inputs.set(cwruWindow(cwru, s.file, s.offset, L, meta.normalization), i * L));
      assert.ok(maxAbsDiff(inputs, ref.inputs) < 1e-4, 'the daemon\'s normalization of these CWRU windows gives what PyTorch classified');

      const engines: [string, () => Promise<InferenceEngine>][] = [];
      const noNative = nativeUnavailable();
      if (noNative) t.diagnostic(`native engine not compared: ${noNative}`);
      else engines.push(['native', () => createNativeEngine({ modelDir: dir, meta })]);
      engines.push(
        ['onnx', () => createOnnxEngine({ modelDir: dir, meta })],
        ['tfjs/wasm', () => createTfjsEngine({ modelDir: dir, meta, backend: 'wasm' })],
        ['tfjs/cpu', () => createTfjsEngine({ modelDir: dir, meta, backend: 'cpu' })],
      );
      for (const [name, create] of engines) {
        const engine = await create();
        try {
          assert.equal(`${engine.name}/${engine.backend}`, name === 'onnx' || name === 'native' ? `${name}/cpu` : name);
          const probs = await engine.run(inputs, ref.count);
          const d = maxAbsDiff(probs, ref.probs);
          t.diagnostic(`${name}: max |Δp| vs PyTorch = ${d.toExponential(2)} over ${ref.count} windows`);
          assert.ok(d < TOLERANCE, `${name} differs from PyTorch by ${d}`);
          // Batch composition must not matter: one window alone gives the same answer.
          const single = await engine.run(inputs.slice(5 * L, 6 * L), 1);
          assert.ok(maxAbsDiff(single, ref.probs.subarray(5 * ref.numClasses, 6 * ref.numClasses)) < TOLERANCE);
        } finally {
          await engine.dispose();
        }
      }
    } finally {
      removeModelDir(dir);
    }
  });
}

// The envelope-order model's head: the last map flattened channel-major into the classifier, on a 256-long
// input. tfjs holds maps as [T, C] and must transpose before flattening; drsn.c reads the FC row by
// (channel, position); a layout slip in either moves every weight.
test('native, onnx and tfjs agree with PyTorch on a flatten head over a 256-position input', async (t) => {
  const dir = exportRandomModel(t, { variant: 'cw', cwru: null, head: 'flatten', windowLength: 256 });
  if (!dir) return;
  try {
    const { meta } = await loadModel(dir);
    assert.equal(meta.head, 'flatten');
    const ref = readReference(dir);
    assert.equal(ref.windowLength, 256);
    const engines: [string, () => Promise<InferenceEngine>][] = [];
    const noNative = nativeUnavailable();
    if (noNative) t.diagnostic(`native engine not compared: ${noNative}`);
    else engines.push(['native', () => createNativeEngine({ modelDir: dir, meta })]);
    engines.push(['onnx', () => createOnnxEngine({ modelDir: dir, meta })], ['tfjs/wasm', () => createTfjsEngine({ modelDir: dir, meta, backend: 'wasm' })]);
    for (const [name, create] of engines) {
      const engine = await create();
      try {
        const d = maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs);
        t.diagnostic(`${name}: max |Δp| vs PyTorch = ${d.toExponential(2)} over ${ref.count} windows`);
        assert.ok(d < TOLERANCE, `${name} differs from PyTorch by ${d}`);
      } finally {
        await engine.dispose();
      }
    }
  } finally {
    removeModelDir(dir);
  }
});

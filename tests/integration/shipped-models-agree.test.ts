// Every model folder shipped in models/ carries PyTorch's probabilities for real CWRU test windows
// (reference.json/bin, written by the trainer). Each engine the daemon can pick must reproduce them
// (max |Δp| < 1e-4) from the folder alone: this catches an export or a metadata field (e.g. `widths`)
// that one engine reads differently. Needs no data from ../shared: the windows are in the folder.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import type { InferenceEngine } from '../../src/model/engines/engine.js';
import { createNativeEngine } from '../../src/model/engines/native.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { createTfjsEngine } from '../../src/model/engines/tfjs.js';
import { loadModel } from '../../src/model/metadata.js';
import { modelsDir, shippedModels } from '../helpers/data.js';
import { maxAbsDiff, nativeUnavailable, readReference } from '../helpers/model-fixture.js';

const shipped = shippedModels();

test('models/ ships the default model', () => {
  assert.ok(shipped.includes('drsn-cw-cwru'), `models/: ${shipped.join(', ')}`);
});

for (const id of shipped) {
  test(`shipped model ${id}: native, onnx and tfjs wasm reproduce its PyTorch reference probabilities`, { timeout: 120_000 }, async (t) => {
    const dir = path.join(modelsDir, id);
    const { meta } = await loadModel(dir);
    assert.equal(meta.id, id, 'the folder is named after the model id');
    const ref = readReference(dir);
    assert.ok(ref.count >= 10, `reference holds ${ref.count} windows`);
    const engines: [string, () => Promise<InferenceEngine>][] = [
      ['onnx', () => createOnnxEngine({ modelDir: dir, meta })],
      ['tfjs/wasm', () => createTfjsEngine({ modelDir: dir, meta, backend: 'wasm' })],
    ];
    const noNative = nativeUnavailable();
    if (noNative) t.diagnostic(`native engine not compared: ${noNative}`);
    else engines.unshift(['native', () => createNativeEngine({ modelDir: dir, meta })]);
    for (const [name, create] of engines) {
      const engine = await create();
      try {
        const d = maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs);
        t.diagnostic(`${id} ${name}: max |Δp| vs PyTorch = ${d.toExponential(2)} over ${ref.count} windows`);
        assert.ok(d < 1e-4, `${name} differs from PyTorch by ${d}`);
      } finally {
        await engine.dispose();
      }
    }
  });
}

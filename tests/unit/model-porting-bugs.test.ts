// The 1e-4 agreement check is only worth something if it catches the classic PyTorch → tfjs porting
// bugs. Each bug is switched on in turn; the tfjs model must then disagree with PyTorch.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, netInputLength } from '../../src/model/metadata.js';
import { createTfjsEngine, tfjsSpec } from '../../src/model/engines/tfjs.js';
import { buildDrsn, loadPytorchWeights, predictBatch, type PortingFaults } from '../../src/model/tfjs-drsn.js';
import { loadWeights } from '../../src/model/weights.js';
import { exportRandomModel, maxAbsDiff, readReference, removeModelDir } from '../helpers/model-fixture.js';

const TOLERANCE = 1e-4;

/** The production engine's max |Δp| from PyTorch's reference probabilities. */
async function engineDiff(dir: string): Promise<number> {
  const { meta } = await loadModel(dir);
  const ref = readReference(dir);
  const engine = await createTfjsEngine({ modelDir: dir, meta, backend: 'wasm' });
  try {
    return maxAbsDiff(await engine.run(ref.inputs, ref.count), ref.probs);
  } finally {
    await engine.dispose();
  }
}

/** The same net, built by the same functions as the engine (after it set the wasm backend), with one bug. */
async function diffWithFaults(dir: string, faults: PortingFaults): Promise<number> {
  const { meta } = await loadModel(dir);
  const ref = readReference(dir);
  const weights = await loadWeights(dir, meta.files.weights!);
  const built = buildDrsn(tfjsSpec(meta, weights), faults);
  try {
    loadPytorchWeights(built, weights, faults);
    const L = netInputLength(meta);
    return maxAbsDiff(await predictBatch(built.model, ref.inputs.subarray(0, ref.count * L), ref.count, L), ref.probs);
  } finally {
    built.model.dispose();
  }
}

test('the agreement check catches each porting bug', async (t) => {
  const dir = exportRandomModel(t);
  if (!dir) return;
  try {
    const correct = await engineDiff(dir);
    assert.ok(correct < TOLERANCE, `correct port differs by ${correct}`);
    const bugs: [string, PortingFaults][] = [
      ['BN epsilon 1e-3 (tfjs default) instead of 1e-5', { bnEpsilon: 1e-3 }],
      ["tfjs 'same' padding (0, 1) on stride-2 convs instead of PyTorch (1, 1)", { stridedPadding: 'same' }],
      ['conv kernels reshaped instead of transposed [Cout,Cin,k] → [k,Cin,Cout]', { convLayout: 'reshape' }],
    ];
    for (const [name, faults] of bugs) {
      const d = await diffWithFaults(dir, faults);
      t.diagnostic(`${name}: max |Δp| = ${d.toExponential(2)} (correct: ${correct.toExponential(2)})`);
      assert.ok(d > TOLERANCE, `${name} went unnoticed: max |Δp| = ${d}`);
    }
  } finally {
    removeModelDir(dir);
  }
});

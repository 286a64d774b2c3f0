// The envelope-order spectrum is computed twice: by PyTorch's trainer (src/model/py/drsn/representation.py,
// numpy) and by the daemon (src/physics/order-spectrum.ts). A model folder with an input.representation
// carries, in its reference, the raw samples, shaft speeds and race orders its inputs were computed from;
// the daemon's code must rebuild those exact inputs, else the net would see at inference something other
// than what it was trained on (train-smoke.test.ts runs the same check on a fresh quick training run).
// Needs no data from ../shared: the samples are in the folder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { modelsDir, shippedModels } from '../helpers/data.js';
import { representationAgreement } from '../helpers/model-fixture.js';

const withRepresentation = shippedModels().filter((id) => {
  const meta = JSON.parse(readFileSync(path.join(modelsDir, id, 'drsn.json'), 'utf8'));
  return meta.input?.representation !== undefined;
});

test('at least one shipped model takes the envelope-order spectrum', () => {
  assert.ok(withRepresentation.length > 0, `models/: ${shippedModels().join(', ')}`);
});

for (const id of withRepresentation) {
  test(`shipped model ${id}: the daemon's envelope-order spectrum equals the trainer's on its reference windows`, async (t) => {
    const { d, count } = await representationAgreement(path.join(modelsDir, id));
    t.diagnostic(`${id}: max |Δ| TypeScript vs numpy = ${d.toExponential(2)} over ${count} windows`);
    assert.ok(d < 1e-4, `differs by ${d}`);
  });
}

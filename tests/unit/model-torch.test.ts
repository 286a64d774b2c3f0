// Issue 3, "Tests": the PyTorch nets the trainer uses (src/model/py/drsn/model.py), probed by
// tests/py/model_check.py: the soft threshold and its gradient on known values (paper eqs. 1–2), its
// equality with sign(x)·max(|x|−τ, 0) (the code computes x − clamp(x, −τ, τ), which is faster in ONNX),
// and the shapes and parameter counts of DRSN-CW, DRSN-CS and the plain ResNet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { projectRoot } from '../helpers/data.js';

const PYTHON = process.env.DRSND_PYTHON ?? '/usr/bin/python3';

interface ModelCheck {
  known: { x: number[]; tau: number; y: number[]; dy_dx: number[]; dy_dtau: number[] };
  paperEqual: boolean;
  paperMaxAbsDiff: number;
  nets: Record<'cw' | 'cs' | 'plain', { params: number; shapes: number[][]; logits: number[] }>;
}

function probe(t: test.TestContext): ModelCheck | undefined {
  const p = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (p.error || p.status !== 0) {
    t.skip(`${PYTHON} with torch not available; skipping`);
    return undefined;
  }
  const r = spawnSync(PYTHON, [path.join(projectRoot, 'tests', 'py', 'model_check.py')], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: path.join(projectRoot, 'src', 'model', 'py') },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ModelCheck;
}

let cached: ModelCheck | undefined;
const check = (t: test.TestContext) => (cached ??= probe(t));

test('soft threshold: values and gradients on known inputs, equal to sign(x)·max(|x|−τ, 0)', (t) => {
  const c = check(t);
  if (!c) return;
  const { x, tau, y, dy_dx, dy_dtau } = c.known;
  // Expected from the definition, computed here: shrink toward 0 by τ, zero inside [−τ, τ].
  const want = x.map((v) => Math.sign(v) * Math.max(Math.abs(v) - tau, 0));
  y.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `y(${x[i]}) = ${v}, want ${want[i]}`));
  // ∂y/∂x = 1 outside the dead zone, 0 inside; ∂y/∂τ = −sign(x) outside, 0 inside.
  assert.deepEqual(dy_dx, x.map((v) => (Math.abs(v) > tau ? 1 : 0)));
  assert.deepEqual(dy_dtau.map((v) => v + 0), x.map((v) => (Math.abs(v) > tau ? -Math.sign(v) : 0)));
  assert.ok(c.paperEqual, `soft_threshold differs from the paper's formula by up to ${c.paperMaxAbsDiff}`);
});

test('DRSN-CW, DRSN-CS and the plain ResNet: paper shapes and parameter counts', (t) => {
  const c = check(t);
  if (!c) return;
  // Stem conv 4@3 /2, then 4 units per stage at 4, 8, 16 channels, each stage's first unit /2.
  const shapes = [[3, 4, 1024], [3, 4, 512], [3, 4, 512], [3, 4, 512], [3, 4, 512],
    [3, 8, 256], [3, 8, 256], [3, 8, 256], [3, 8, 256], [3, 16, 128], [3, 16, 128], [3, 16, 128], [3, 16, 128]];
  // Parameters from the architecture, counted here independently of PyTorch.
  const conv = (cin: number, cout: number) => cin * cout * 3 + cout;
  const bn = (ch: number) => 2 * ch;
  const fc = (i: number, o: number) => i * o + o;
  let plain = conv(1, 4) + bn(16) + fc(16, 10);
  let cw = plain;
  let cs = plain;
  let cin = 4;
  for (const w of [4, 8, 16]) {
    for (let u = 0; u < 4; u++) {
      const body = bn(cin) + conv(cin, w) + bn(w) + conv(w, w);
      plain += body;
      cw += body + fc(w, w) + bn(w) + fc(w, w);
      cs += body + fc(w, w) + bn(w) + fc(w, 1);
      cin = w;
    }
  }
  assert.equal(cw, 11_586, 'the count formula itself should give the paper-sized DRSN-CW');
  for (const [variant, params] of [['cw', cw], ['cs', cs], ['plain', plain]] as const) {
    const n: ModelCheck['nets']['cw'] = c.nets[variant];
    t.diagnostic(`${variant}: ${n.params} parameters`);
    assert.equal(n.params, params, `${variant} parameters`);
    assert.deepEqual(n.shapes, shapes, `${variant} shapes`);
    assert.deepEqual(n.logits, [3, 10]);
  }
});

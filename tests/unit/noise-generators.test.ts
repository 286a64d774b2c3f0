// The training/evaluation noise of issue 3 (src/model/py/drsn/noise.py), measured by a Python probe
// (tests/py/noise_check.py) whose JSON we assert on: every window hits the requested SNR within
// 0.1 dB, pink noise has a 1/f PSD (log-log slope ≈ −1, white ≈ 0), Laplacian is heavier-tailed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { projectRoot } from '../helpers/data.js';

const PYTHON = process.env.DRSND_PYTHON ?? '/usr/bin/python3';

interface NoiseCheck {
  snr: Record<string, Record<string, [number, number]>>;
  kurtosis: Record<string, number>;
  pinkSlope: number;
  whiteSlope: number;
}

test('noise generators: exact per-window SNR, 1/f pink spectrum, Laplacian tails', (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    t.skip(`${PYTHON} with numpy not available; skipping`);
    return;
  }
  const r = spawnSync(PYTHON, [path.join(projectRoot, 'tests', 'py', 'noise_check.py')], {
    encoding: 'utf8', timeout: 50_000, env: { ...process.env, PYTHONPATH: path.join(projectRoot, 'src', 'model', 'py') },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as NoiseCheck;
  assert.deepEqual(Object.keys(out.snr).sort(), ['gaussian', 'laplacian', 'pink']);
  for (const [kind, bySnr] of Object.entries(out.snr)) {
    for (const [target, [lo, hi]] of Object.entries(bySnr)) {
      assert.ok(Math.abs(lo - Number(target)) <= 0.1 && Math.abs(hi - Number(target)) <= 0.1, `${kind} @ ${target} dB: windows ranged ${lo}..${hi} dB`);
    }
  }
  t.diagnostic(`pink slope ${out.pinkSlope.toFixed(3)}, white slope ${out.whiteSlope.toFixed(3)}, kurtosis ${JSON.stringify(out.kurtosis)}`);
  assert.ok(Math.abs(out.pinkSlope + 1) < 0.1, `pink PSD slope ${out.pinkSlope}, expected ≈ −1`);
  assert.ok(Math.abs(out.whiteSlope) < 0.1, `white PSD slope ${out.whiteSlope}, expected ≈ 0`);
  assert.ok(Math.abs(out.kurtosis.gaussian - 3) < 0.3, `gaussian kurtosis ${out.kurtosis.gaussian}`);
  assert.ok(Math.abs(out.kurtosis.laplacian - 6) < 0.8, `laplacian kurtosis ${out.kurtosis.laplacian}`);
});

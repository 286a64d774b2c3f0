import test from 'node:test';
import assert from 'node:assert/strict';
import { BearingSimulator, CWRU_DE_ORDERS, SKF_6205, defectFrequencyHz, defectOrders, type BearingCondition } from '../../src/data/bearing.js';
import { envelopeSpectrum, fft, magnitudeSpectrum, medianIn, peakNear } from '../../src/data/spectrum.js';

const RATE = 12_000;
const RPM = 1797;
const N = 1 << 16; // 5.5 s: 0.18 Hz bins, ~580 outer-race impacts
const FAULTS = ['outer_race', 'inner_race', 'ball'] as const;
// CWRU's table for the 6205 drive-end bearing (REFERENCE.md), kept independent of the code under test.
const ORDER = { outer_race: 3.5848, inner_race: 5.4152, ball: 4.7135 } as const;
const hz = (c: keyof typeof ORDER, rpm = RPM) => (ORDER[c] * rpm) / 60;

function std(x: Float32Array): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return Math.sqrt(s / x.length);
}

function simulate(condition: BearingCondition, opts: { seed?: number; rpm?: number } = {}): Float32Array {
  return new BearingSimulator({ rateHz: RATE, condition, rpm: opts.rpm ?? RPM, seed: opts.seed ?? 3 }).next(N);
}

/** Envelope-spectrum line at f relative to the 20-500 Hz background. */
function lineStrength(x: Float32Array, f: number): number {
  const env = envelopeSpectrum(x, RATE, 2000, 4000);
  return peakNear(env, f) / medianIn(env, 20, 500);
}

test('the SKF 6205 geometry reproduces CWRU\'s defect frequency table', () => {
  const o = defectOrders(SKF_6205);
  for (const k of ['bpfi', 'bpfo', 'bsf', 'ballPass', 'ftf'] as const) {
    assert.ok(Math.abs(o[k] / CWRU_DE_ORDERS[k] - 1) < 0.001, `${k}: ${o[k]} vs CWRU ${CWRU_DE_ORDERS[k]}`);
  }
  assert.ok(Math.abs(defectFrequencyHz('outer_race', 1797)! - 107.36) < 0.01);
  assert.equal(defectFrequencyHz('normal', 1797), null);
});

test('fft helper: a pure tone lands in its bin and the inverse restores the signal', () => {
  const n = 1024;
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 37 * i) / n) + 0.5);
  const re = x.slice();
  const im = new Float64Array(n);
  fft(re, im);
  assert.ok(Math.abs(Math.hypot(re[37], im[37]) - n / 2) < 1e-6);
  assert.ok(Math.abs(re[0] - n / 2) < 1e-6);
  fft(re, im, true);
  re.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-9));
  const s = magnitudeSpectrum(Array.from({ length: 4096 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 8000)), 8000);
  assert.equal(s.mag.indexOf(Math.max(...s.mag)), 1000 / s.df);
});

for (const condition of FAULTS) {
  test(`${condition}: the envelope spectrum shows a line at its defect frequency and not at the others`, () => {
    const x = simulate(condition);
    const own = lineStrength(x, hz(condition));
    assert.ok(own > 20, `${condition} line only ${own.toFixed(1)}× background`);
    // Impacts come at f itself, not at a sub-multiple whose harmonic happens to land on f.
    const half = lineStrength(x, hz(condition) / 2);
    assert.ok(own > 8 * half, `${condition}: line at f/2 ${half.toFixed(1)} vs own ${own.toFixed(1)}`);
    for (const other of FAULTS.filter((c) => c !== condition)) {
      const o = lineStrength(x, hz(other));
      assert.ok(own > 8 * o, `${condition}: ${other} line ${o.toFixed(1)} vs own ${own.toFixed(1)}`);
    }
  });
}

test('normal: no line at any defect frequency', () => {
  for (const seed of [1, 2]) {
    const x = simulate('normal', { seed });
    for (const c of FAULTS) {
      const s = lineStrength(x, hz(c));
      assert.ok(s < 8, `normal seed ${seed}: ${c} line ${s.toFixed(1)}× background`);
    }
  }
});

test('defect lines follow shaft speed (3 hp, 1730 rpm)', () => {
  const x = simulate('outer_race', { rpm: 1730 });
  assert.ok(lineStrength(x, hz('outer_race', 1730)) > 20);
  assert.ok(lineStrength(x, hz('outer_race', 1797)) < 8, 'not at the 0 hp frequency');
});

test('levels are CWRU-like: normal ~0.07 g, faults 0.1-0.6 g, severity scales the fault', () => {
  const normal = std(simulate('normal'));
  assert.ok(normal > 0.05 && normal < 0.09, `normal std ${normal}`);
  for (const c of FAULTS) {
    const s = std(simulate(c));
    assert.ok(s > 0.1 && s < 0.6, `${c} std ${s}`);
  }
  const mild = std(new BearingSimulator({ rateHz: RATE, condition: 'inner_race', severity: 0.3, seed: 3 }).next(N));
  const severe = std(new BearingSimulator({ rateHz: RATE, condition: 'inner_race', severity: 2, seed: 3 }).next(N));
  assert.ok(mild < std(simulate('inner_race')) && std(simulate('inner_race')) < severe);
});

test('deterministic by seed, different across seeds', () => {
  assert.deepEqual(simulate('ball', { seed: 11 }), simulate('ball', { seed: 11 }));
  assert.notDeepEqual(simulate('ball', { seed: 11 }).subarray(0, 100), simulate('ball', { seed: 12 }).subarray(0, 100));
});

test('phase-continuous: any split into blocks gives the same samples as one block', () => {
  for (const condition of ['normal', 'inner_race'] as const) {
    const whole = new BearingSimulator({ rateHz: RATE, condition, seed: 5 }).next(20_000);
    const sim = new BearingSimulator({ rateHz: RATE, condition, seed: 5 });
    const parts: number[] = [];
    for (const len of [1, 999, 1024, 37, 4096, 13_843]) parts.push(...sim.next(len));
    assert.equal(parts.length, 20_000);
    assert.deepEqual(Float32Array.from(parts), whole, condition);
  }
});

test('slow sensors get the resonance below Nyquist so impacts stay visible', () => {
  const rate = 3200;
  const x = new BearingSimulator({ rateHz: rate, condition: 'outer_race', seed: 2 }).next(1 << 14);
  const env = envelopeSpectrum(x, rate, 700, 1300);
  const f = hz('outer_race');
  assert.ok(peakNear(env, f) / medianIn(env, 20, 500) > 10);
});

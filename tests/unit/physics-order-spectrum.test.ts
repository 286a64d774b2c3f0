// The envelope-order spectrum (the transferable DRSN's input) on signals whose answer is known: an
// impact train's modulation at a bearing's BPFO or BPFI must land on the same position for two
// different bearings at different speeds, the signal's level must not matter, and the warp must keep
// its knots where the contract says.
import assert from 'node:assert/strict';
import test from 'node:test';
import { EnvelopeOrderSpectrum, revolutionSamples, warpKnots, type EnvelopeOrderSpectrumSpec } from '../../src/physics/order-spectrum.js';

const SPEC: EnvelopeOrderSpectrumSpec = {
  kind: 'envelope-order-spectrum', bandHz: [500, 4000], revolutions: 16, fftLength: 16384, bins: 256,
  maxPosition: 3, canonical: { bpfo: 0.8, bpfi: 1.2 }, floorRange: [0.1, 3],
};
const RATE = 12_000;
const SKF_6205 = { bpfo: 3.5848, bpfi: 5.4152 };
const UER204 = { bpfo: 3.0831, bpfi: 4.9169 };

/** A 2.5 kHz resonance amplitude-modulated at `hz`, plus a little white noise (seeded). */
function modulated(hz: number, seconds: number, gain = 1): Float32Array {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const x = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < x.length; i++) {
    const t = i / RATE;
    x[i] = gain * ((1 + 0.8 * Math.cos(2 * Math.PI * hz * t)) * Math.sin(2 * Math.PI * 2500 * t) + 0.3 * rnd());
  }
  return x;
}

function peakPosition(y: Float32Array, from = 0.3, to = 1.5): number {
  const db = SPEC.maxPosition / SPEC.bins;
  let best = -1;
  for (let j = Math.floor(from / db); j < Math.ceil(to / db); j++) if (best < 0 || y[j] > y[best]) best = j;
  return (best + 0.5) * db;
}

test('a BPFO or BPFI modulation lands at its canonical position for a 6205 at 1797 rpm and a UER204 at 800 rpm', () => {
  const eos = new EnvelopeOrderSpectrum(SPEC);
  const db = SPEC.maxPosition / SPEC.bins;
  for (const [name, orders, shaftHz] of [['6205', SKF_6205, 29.95], ['UER204', UER204, 13.2]] as const) {
    for (const [race, want] of [['bpfo', 0.8], ['bpfi', 1.2]] as const) {
      const y = eos.compute(modulated(orders[race] * shaftHz, 1.4), RATE, shaftHz, orders);
      assert.equal(y.length, SPEC.bins);
      const at = peakPosition(y);
      assert.ok(Math.abs(at - want) <= db, `${name} ${race}: peak at ${at.toFixed(3)}, expected ${want}`);
      const second = peakPosition(y, 2 * want - 0.1, 2 * want + 0.1);
      assert.ok(y[Math.floor(second / db)] > 1, `${name} ${race}: a second harmonic at ${second.toFixed(3)} stands above the floor`);
    }
  }
});

test('the level of the signal does not reach the representation', () => {
  const eos = new EnvelopeOrderSpectrum(SPEC);
  const x = modulated(SKF_6205.bpfi * 29.95, 1.4);
  const a = eos.compute(x, RATE, 29.95, SKF_6205);
  const b = eos.compute(x.map((v) => v * 1000), RATE, 29.95, SKF_6205);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  assert.ok(d < 1e-5, `×1000 changed the input by ${d}`);
});

test('a spectrum uses the last 16 revolutions of the window, at most fftLength samples', () => {
  assert.equal(revolutionSamples(SPEC, RATE, 30), 6400);
  assert.equal(revolutionSamples(SPEC, RATE, 5), SPEC.fftLength, 'capped at low speed');
  const eos = new EnvelopeOrderSpectrum(SPEC);
  const x = modulated(SKF_6205.bpfo * 30, 1.4);
  const whole = eos.compute(x, RATE, 30, SKF_6205);
  const tail = eos.compute(x.subarray(x.length - 6400), RATE, 30, SKF_6205);
  assert.deepEqual(Array.from(whole), Array.from(tail));
});

test('the warp puts BPFO, BPFI and their second harmonics on the canonical positions, and drops the harmonics when they would cross', () => {
  assert.deepEqual(warpKnots(SKF_6205, SPEC.canonical), [[0, 3.5848, 5.4152, 7.1696, 10.8304], [0, 0.8, 1.2, 1.6, 2.4]]);
  // d/D·cos(angle) >= 1/3: 2·BPFO <= BPFI, so only the fundamentals are knots.
  assert.deepEqual(warpKnots({ bpfo: 2, bpfi: 4 }, SPEC.canonical), [[0, 2, 4], [0, 0.8, 1.2]]);
});

test('no speed or impossible orders is an error, not a silently wrong input', () => {
  const eos = new EnvelopeOrderSpectrum(SPEC);
  const x = new Float32Array(8192);
  assert.throws(() => eos.compute(x, RATE, 0, SKF_6205), /shaft Hz > 0/);
  assert.throws(() => eos.compute(x, RATE, 30, { bpfo: 5, bpfi: 3 }), /BPFO < BPFI/);
  assert.throws(() => new EnvelopeOrderSpectrum({ ...SPEC, fftLength: 10000 }), /power of two/);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { WindowAnalyzer } from '../../src/physics/indicators.js';
import { ISO_10816_3 } from '../../src/physics/machine.js';

const RATE = 12_000;
const N = 2048;
const G_MM_S2 = 9806.65;

function sine(amp: number, hz: number, n = N, rate = RATE, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => offset + amp * Math.sin((2 * Math.PI * hz * i) / rate + 0.3));
}

test('a sine: RMS A/√2, peak A, crest √2, kurtosis 1.5, whatever its offset', () => {
  // 187.5 Hz = 32 whole periods in 2048 samples at 12 kHz, so the closed forms hold exactly.
  const ind = new WindowAnalyzer(N, RATE).analyse(sine(0.5, 187.5, N, RATE, 1.0), 1, null);
  assert.ok(Math.abs(ind.rmsG - 0.5 / Math.SQRT2) < 1e-6, `rms ${ind.rmsG}`);
  assert.ok(Math.abs(ind.peakG - 0.5) < 1e-3, `peak ${ind.peakG}`);
  assert.ok(Math.abs(ind.crest - Math.SQRT2) < 3e-3, `crest ${ind.crest}`);
  assert.ok(Math.abs(ind.kurtosis - 1.5) < 1e-3, `kurtosis ${ind.kurtosis}`);
  assert.equal(ind.isoZone, null);
});

test('velocity: a known acceleration sine gives A·g/(2πf)/√2 mm/s, out-of-band lines give nothing', () => {
  const analyzer = new WindowAnalyzer(N, RATE);
  for (const hz of [30, 100, 400, 900]) {
    const a = 0.1; // g
    const v = analyzer.analyse(sine(a, hz), 1, null).velocityMmS;
    const expected = (a * G_MM_S2) / (2 * Math.PI * hz) / Math.SQRT2;
    assert.ok(Math.abs(v / expected - 1) < 0.03, `${hz} Hz: ${v} mm/s vs ${expected}`);
  }
  // 2 kHz is outside 10-1000 Hz: a large acceleration there has (nearly) no ISO velocity.
  assert.ok(analyzer.analyse(sine(1, 2000), 1, null).velocityMmS < 0.05);
  // Units: the same signal in m/s² (toG = 1/9.80665) gives the same velocity.
  const inMs2 = analyzer.analyse(sine(0.1 * 9.80665, 100), 1 / 9.80665, null).velocityMmS;
  assert.ok(Math.abs(inMs2 / ((0.1 * G_MM_S2) / (2 * Math.PI * 100) / Math.SQRT2) - 1) < 0.03);
});

test('ISO zone of the velocity for a configured machine class', () => {
  const zones = [...ISO_10816_3[2].rigid] as [number, number, number];
  const analyzer = new WindowAnalyzer(N, RATE);
  // 100 Hz at a g: v_rms = a·9806.65/(2π·100)/√2 = 11.04·a mm/s.
  const zoneAt = (vMmS: number) => analyzer.analyse(sine(vMmS / 11.036, 100), 1, zones).isoZone;
  assert.equal(zoneAt(1.0), 'A');
  assert.equal(zoneAt(2.0), 'B');
  assert.equal(zoneAt(3.5), 'C');
  assert.equal(zoneAt(6.0), 'D');
});

test('Gaussian noise has kurtosis ≈ 3; a flat window gives zeros, not NaN', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const x = Float32Array.from({ length: N }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  const k = new WindowAnalyzer(N, RATE).analyse(x, 1, null).kurtosis;
  assert.ok(k > 2.6 && k < 3.4, `kurtosis ${k}`);
  const flat = new WindowAnalyzer(N, RATE).analyse(new Float32Array(N).fill(0.2), 1, null);
  assert.deepEqual([flat.rmsG, flat.crest, flat.kurtosis, flat.velocityMmS], [0, 0, 0, 0]);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { emptyStats, featureNames, judge, learn, stdDb, windowFeatures, type BaselineLimits } from '../../src/baseline/stats.js';
import { BearingSimulator } from '../../src/data/bearing.js';
import { bandEdgesFor, bandLevelsDb, octaveBandEdges, WindowAnalyzer } from '../../src/physics/indicators.js';
import type { WindowPhysics } from '../../src/physics/types.js';

const RATE = 12_000;
const N = 2048;
const LIMITS: BaselineLimits = { alertRatio: 2, dangerRatio: 4, alertScore: 3, dangerScore: 6, minStdDb: 0.5 };

/** A window's physics as the signal path computes it (indicators + octave bands of the same spectrum). */
function physicsOf(x: Float32Array): WindowPhysics {
  const a = new WindowAnalyzer(N, RATE);
  const indicators = a.analyse(x, 1, null);
  return { indicators, evidence: null, sensorFaults: [], bandsDb: bandLevelsDb(a.spectrum, bandEdgesFor(RATE)) };
}

const scaled = (x: Float32Array, k: number) => x.map((v) => v * k);

function healthyWindows(count: number, seed = 3): Float32Array[] {
  const sim = new BearingSimulator({ rateHz: RATE, condition: 'normal', seed });
  return Array.from({ length: count }, () => sim.next(N));
}

function learnt(windows: Float32Array[]) {
  const names = featureNames(bandEdgesFor(RATE));
  const s = emptyStats(names);
  for (const w of windows) learn(s, windowFeatures(physicsOf(w))!);
  return s;
}

test('octave bands at the model rate: 10 Hz doubling up to 0.4 × the rate, a short last band merged', () => {
  assert.deepEqual(bandEdgesFor(12_000), [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 4800]);
  // 1300 Hz is less than half an octave above 1280: that sliver joins the band below.
  assert.deepEqual(octaveBandEdges(1300), [10, 20, 40, 80, 160, 320, 640, 1300]);
  assert.equal(featureNames(bandEdgesFor(12_000)).length, 4 + 9);
  assert.equal(featureNames(bandEdgesFor(12_000))[4 + 8], 'band 2560-4800 Hz');
});

test('band levels: a sine of amplitude A lands in its octave at A²/2, the others far below', () => {
  const a = new WindowAnalyzer(N, RATE);
  // 937.5 Hz: 160 whole periods in 2048 samples (no leakage between bins).
  const x = Float32Array.from({ length: N }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 937.5 * i) / RATE));
  a.analyse(x, 1, null);
  const levels = bandLevelsDb(a.spectrum, bandEdgesFor(RATE));
  const expected = 10 * Math.log10((0.3 * 0.3) / 2);
  assert.ok(Math.abs(levels[6] - expected) < 0.05, `640-1280 Hz: ${levels[6]} dB vs ${expected}`);
  for (const [i, l] of levels.entries()) if (i !== 6) assert.ok(l < expected - 60, `band ${i}: ${l} dB`);
});

test('learning: the running mean and spread equal the two-pass mean and sample standard deviation', () => {
  const s = emptyStats(['a', 'b']);
  const rows = [[1, 10], [2, 12], [4, 9], [7, 15], [11, 10]];
  for (const r of rows) learn(s, r);
  for (const c of [0, 1]) {
    const xs = rows.map((r) => r[c]);
    const mean = xs.reduce((p, v) => p + v, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((p, v) => p + (v - mean) ** 2, 0) / (xs.length - 1));
    assert.ok(Math.abs(s.mean[c] - mean) < 1e-12);
    assert.ok(Math.abs(stdDb(s, c, 0) - sd) < 1e-12);
  }
  assert.equal(s.n, rows.length);
  // The floor: a perfectly steady feature still gets minStdDb.
  const steady = emptyStats(['x']);
  for (let i = 0; i < 10; i++) learn(steady, [5]);
  assert.equal(stdDb(steady, 0, 0.5), 0.5);
});

test('a healthy machine stays within its baseline; ×3 is an alert and ×5 danger, with the ratio named', () => {
  const s = learnt(healthyWindows(120));
  const fresh = healthyWindows(40, 99);
  for (const w of fresh) {
    const j = judge(s, windowFeatures(physicsOf(w))!, LIMITS);
    assert.equal(j.level, 'normal', j.reason);
  }
  const three = judge(s, windowFeatures(physicsOf(scaled(fresh[0], 3)))!, LIMITS);
  assert.equal(three.level, 'alert', three.reason);
  assert.ok(Math.abs(three.ratio.value - 3) < 0.3, `ratio ${three.ratio.value}`);
  assert.match(three.reason, /departs from its baseline \(alert\): .*RMS [23]\.\d× baseline/);
  const five = judge(s, windowFeatures(physicsOf(scaled(fresh[1], 5)))!, LIMITS);
  assert.equal(five.level, 'danger', five.reason);
  // Louder is not another shape: the novelty score of a scaled healthy window is a healthy one's.
  assert.ok(three.score < LIMITS.alertScore && five.score < LIMITS.alertScore, `scores ${three.score}, ${five.score}`);
});

test('a small defect, far from doubling the level, is a novelty by the shape of its spectrum', () => {
  const s = learnt(healthyWindows(120));
  // Defect impacts at a quarter of the simulator's default severity: the RMS rises by less than half,
  // which no ratio alarm sees, but the windows turn impulsive and the resonance band fills.
  for (const condition of ['outer_race', 'inner_race', 'ball'] as const) {
    const fault = new BearingSimulator({ rateHz: RATE, condition, severity: 0.25, seed: 5 }).next(N);
    const j = judge(s, windowFeatures(physicsOf(fault))!, LIMITS);
    assert.ok(j.ratio.value < LIMITS.alertRatio, `${condition}: ratio ${j.ratio.value}`);
    assert.equal(j.level, 'alert', `${condition}: ${j.reason}`);
    assert.ok(j.score >= LIMITS.alertScore, `${condition}: score ${j.score}`);
    assert.match(j.reason, /^departs from its baseline \(alert\): novelty score/);
    assert.ok(j.top.length > 0 && j.top.every((d) => d.deltaDb > 0));
  }
});

test('a machine that runs quieter (or stops) is not a novelty: only rises count', () => {
  const s = learnt(healthyWindows(120));
  const quiet = judge(s, windowFeatures(physicsOf(scaled(healthyWindows(1, 7)[0], 0.2)))!, LIMITS);
  assert.equal(quiet.level, 'normal', quiet.reason);
  assert.ok(quiet.ratio.value < 0.3);
});

test('windows without band levels (pipeline.physics off) give no features', () => {
  const p = physicsOf(healthyWindows(1)[0]);
  delete p.bandsDb;
  assert.equal(windowFeatures(p), null);
  assert.equal(windowFeatures(undefined), null);
});

// The benchmark's own judgement: percentiles, trends and the end-to-end "holds real time" verdict
// must call a lagging daemon lagging and a keeping-up daemon real time (bench/e2e.ts summarize).
import test from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../bench/e2e.js';
import type { DaemonSample } from '../../bench/e2e-daemon.js';
import { percentile, percentileSorted, Series, slope } from '../../bench/lib/stats.js';

test('percentile is nearest-rank and slope is least squares', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs.slice().reverse(), 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.equal(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2);
  assert.equal(slope([0, 1, 2], [4, 4, 4]), 0);
});

test('Series grows past its first capacity and answers time ranges', () => {
  const s = new Series();
  for (let i = 0; i < 5000; i++) s.push(i / 1000, 5000 - i);
  assert.equal(s.n, 5000);
  assert.equal(s.indexAt(1), 1000);
  const v = s.sortedValues(1, 2);
  assert.equal(v.length, 1000);
  assert.equal(v[0], 3001);
  assert.equal(percentileSorted(v, 100), 4000);
});

/** A 20 s trial of `sensors` replay channels: per-second daemon samples and diagnoses received. */
function trial(sensors: number, opts: { deliveredFraction: number; latencyMs: (t: number) => number; dropped?: (t: number) => number }) {
  const perSec = (sensors * 12_000) / 1024 * (58 / 59);
  const samples: DaemonSample[] = [];
  for (let t = 1; t <= 21; t++) {
    samples.push({ type: 'sample', t: t * 1000, windows: Math.round(perSec * t), diagnoses: 0, dropped: opts.dropped?.(t) ?? 0, rssMiB: 300, heapUsedMiB: 50, externalMiB: 5, arrayBuffersMiB: 5, cpuSeconds: t * 0.5, loopDelayP99Ms: 12, engine: 'onnx/cpu' });
  }
  const received = new Series();
  const every = 1 / (perSec * opts.deliveredFraction);
  for (let t = 0.3; t < 20; t += every) received.push(t, opts.latencyMs(t));
  return summarize({ sensors, seconds: 20, warmupSeconds: 5 }, samples, received, 'onnx/cpu', 12_000, 0.01);
}

test('a daemon that keeps up holds real time; its latency percentiles come from the received diagnoses', () => {
  const r = trial(100, { deliveredFraction: 1, latencyMs: (t) => 100 + 10 * Math.sin(t * 7) });
  assert.equal(r.realTime, true, r.verdict);
  assert.ok(r.latencyMs.p50 > 85 && r.latencyMs.p50 < 115);
  assert.ok(Math.abs(r.windowsPerSec - r.expectedWindowsPerSec) / r.expectedWindowsPerSec < 0.02);
});

test('growing lag, a growing backlog or dropped windows are not real time', () => {
  const lag = trial(100, { deliveredFraction: 1, latencyMs: (t) => 100 + 80 * t });
  assert.equal(lag.realTime, false);
  assert.match(lag.verdict, /latency growing/);
  const behind = trial(100, { deliveredFraction: 0.8, latencyMs: () => 100 });
  assert.equal(behind.realTime, false);
  assert.match(behind.verdict, /backlog growing|diagnoses received/);
  // 10 windows dropped in the warm-up (first 5 s), then 2 per second up to the last sample (t = 21 s).
  const dropped = trial(100, { deliveredFraction: 1, latencyMs: () => 100, dropped: (t) => (t <= 5 ? 10 : 10 + 2 * (t - 5)) });
  assert.equal(dropped.realTime, false);
  assert.match(dropped.verdict, /32 windows dropped after the warm-up/);
  assert.equal(dropped.droppedInWarmup, 10);
});

test('windows dropped only during the warm-up are reported, not held against the trial', () => {
  const r = trial(100, { deliveredFraction: 1, latencyMs: () => 100, dropped: (t) => (t <= 3 ? 25 * t : 75) });
  assert.equal(r.realTime, true, r.verdict);
  assert.equal(r.droppedWindows, 0);
  assert.equal(r.droppedInWarmup, 75);
});

test('a soak reports latency and loop delay per minute, so a tail can be placed in time', () => {
  const perSec = 100;
  const slow = (t: number) => t >= 65 && t < 125;
  const samples: DaemonSample[] = [];
  for (let t = 1; t <= 151; t++) {
    samples.push({ type: 'sample', t: t * 1000, windows: perSec * t, diagnoses: perSec * t, dropped: 0, rssMiB: 300, heapUsedMiB: 50, externalMiB: 5, arrayBuffersMiB: 5, cpuSeconds: t * 0.5, loopDelayP99Ms: slow(t) ? 50 : 12, engine: 'onnx/cpu' });
  }
  const received = new Series();
  for (let t = 0.005; t < 150; t += 1 / perSec) received.push(t, slow(t) ? 400 : 100);
  const r = summarize({ sensors: 1, seconds: 150, warmupSeconds: 5, rssEverySeconds: 10 }, samples, received, 'onnx/cpu', 12_000, 0.01);
  assert.deepEqual(r.latencyByMinute?.map((m) => m.fromS), [5, 65, 125]);
  const [before, during, after] = r.latencyByMinute!;
  assert.equal(before.p99, 100);
  assert.equal(during.p50, 400);
  assert.equal(during.loopDelayP99Ms, 50);
  assert.equal(after.max, 100);
  assert.equal(after.loopDelayP99Ms, 12);
});

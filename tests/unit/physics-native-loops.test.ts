// The physics' per-frame and per-window loops in C (native/physics.c) against the TypeScript they replace
// where the addon is built (src/physics/sensor-physics.ts, indicators.ts, sensor-faults.ts): the same
// findings, indicators and band levels window by window, on every generated sensor fault and on
// simulated bearings, in g and in m/s², with frames that finish several drift blocks at once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { BearingSimulator } from '../../src/data/bearing.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import { faultOrders, lookupBearing } from '../../src/physics/bearing.js';
import { ISO_10816_1 } from '../../src/physics/machine.js';
import { nativePhysics, useNativePhysics } from '../../src/physics/native-physics.js';
import { FAULT_SIGNALS } from '../../src/physics/test-signals.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../../src/types.js';
import { nativeUnavailable } from '../helpers/model-fixture.js';

const model: ModelMetadata = {
  id: 'm', version: '1', architecture: 'drsn-cw',
  input: { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 }, files: {}, classes: [],
};

async function windowsOf(x: Float32Array, rateHz: number, unit: Frame['unit'], frame: number, native: boolean): Promise<Window[]> {
  useNativePhysics(native);
  assert.equal(nativePhysics() !== null, native);
  const sensor: SensorMeta = {
    id: 's', asset: 'a', rateHz, unit, axes: ['x'],
    machine: { orders: faultOrders(lookupBearing('6205')!.geometry), speed: { mode: 'fixed', hz: 1797 / 60 }, isoZones: [...ISO_10816_1.II], envelopeBandHz: null },
  };
  const frames: Frame[] = [];
  for (let i = 0; i < x.length; i += frame) frames.push({ sensorId: 's', t0: (i / rateHz) * 1000, rateHz, unit, axes: ['x'], channels: [x.slice(i, i + frame)] });
  return lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model, hop: null }), toArray()));
}

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: native ${a} vs TypeScript ${b}`);
}

const G = 9.80665;
const signals = [
  ...FAULT_SIGNALS.map((s) => ({ name: s.name, generate: (rate: number) => s.generate(rate, 3) })),
  ...(['normal', 'inner_race', 'outer_race'] as const).map((condition, i) => ({
    name: `simulated ${condition}`,
    generate: (rate: number) => new BearingSimulator({ rateHz: rate, condition, severity: 1, rpm: 1797, noiseRms: 0.02, seed: i + 1, gain: 1 }).next(3 * rate),
  })),
];

test('native physics loops give the TypeScript\'s findings, indicators and bands on every window', async (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native addon not built here (${why}): the physics runs its TypeScript loops`);
  t.after(() => useNativePhysics(true));
  let windows = 0;
  let faults = 0;
  for (const rate of [12_000, 20_000]) {
    for (const s of signals) {
      const g = s.generate(rate);
      for (const [unit, frame] of [['g', 1000], ['m/s2', 5000]] as const) {
        const x = unit === 'g' ? g : g.map((v) => v * G);
        const [c, ts] = [await windowsOf(x, rate, unit, frame, true), await windowsOf(x, rate, unit, frame, false)];
        assert.equal(c.length, ts.length);
        assert.ok(c.length >= 20, `${s.name}: ${c.length} windows`);
        c.forEach((w, i) => {
          const a = w.physics!;
          const b = ts[i].physics!;
          const at = `${s.name} at ${rate} Hz in ${unit}, window ${i}`;
          assert.deepEqual(a.sensorFaults, b.sensorFaults, at);
          assert.equal(a.settling, b.settling, at);
          for (const k of ['rmsG', 'peakG', 'crest', 'kurtosis', 'velocityMmS'] as const) close(a.indicators[k], b.indicators[k], `${at} ${k}`);
          assert.equal(a.indicators.isoZone, b.indicators.isoZone, at);
          a.bandsDb!.forEach((v, j) => close(v, b.bandsDb![j], `${at} band ${j}`));
          assert.equal(a.evidence?.at, b.evidence?.at, at);
          windows++;
          faults += a.sensorFaults.length;
        });
      }
    }
  }
  // The comparison covered windows with findings of every kind, not only clean ones.
  assert.ok(windows > 1000 && faults > 500, `${windows} windows, ${faults} findings`);
});

// The baseline component on a real SQLite file: learn, stop → active (stored), a restart resumes it,
// a louder machine's normal verdicts become `novelty` (which the alert state machine raises as its own
// kind), and the requests' error cases say what is wrong.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BaselineComponent } from '../../src/baseline/baselines.js';
import { settingsSchema, type Settings } from '../../src/config/schema.js';
import { BearingSimulator } from '../../src/data/bearing.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { AlertTracker, alertKindOf } from '../../src/pipeline/alert-state.js';
import { bandEdgesFor, bandLevelsDb, WindowAnalyzer } from '../../src/physics/indicators.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis, SensorMeta } from '../../src/types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp.js';

const RATE = 12_000;
const N = 2048;
const SENSORS: SensorMeta[] = [{ id: 'pump1', asset: 'plant', rateHz: RATE, unit: 'g', axes: ['x', 'y'] }];

function settingsOf(dir: string): Settings {
  return settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db') }, baseline: { minWindows: 50 } });
}

async function openStore(t: test.TestContext, settings: Settings) {
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(() => store.stop());
  return store;
}

/** A diagnosis as the signal path and fusion make it for a healthy-sounding window (the DRSN said Normal). */
function diagnosis(x: Float32Array, channel: string, at: number): Diagnosis {
  const a = new WindowAnalyzer(N, RATE);
  const indicators = a.analyse(x, 1, null);
  return {
    sensorId: 'pump1', asset: 'plant', channel, windowStart: at - 170, windowEnd: at, classIndex: 0, className: 'Normal', kind: 'normal',
    probabilities: [1, 0], confidence: 1, modelId: 'm', modelVersion: '1', latencyMs: 1,
    physics: { indicators, evidence: null, sensorFaults: [], bandsDb: bandLevelsDb(a.spectrum, bandEdgesFor(RATE)) },
    fusion: { component: 'normal', confidence: 1, severity: 'none', reason: 'DRSN Normal (100 %)' },
  };
}

function component(settings: Settings, store: Store, clock = new ManualClock()) {
  const b = new BaselineComponent({ settings, sensors: SENSORS, store, modelRateHz: RATE, log: createLogger('silent'), clock, now: () => 1_700_000_000_000 });
  b.start();
  return b;
}

test('learn → stop → stored and resumed after a restart; a machine 3× louder becomes novelty and raises a novelty alert', async (t) => {
  const dir = tempDir(t);
  const settings = settingsOf(dir);
  const sim = new BearingSimulator({ rateHz: RATE, condition: 'normal', seed: 4 });
  {
    const store = await openStore(t, settings);
    const b = component(settings, store);
    const [x, y] = b.request('start', 'pump1');
    assert.deepEqual([x.channel, x.state, y.channel, y.state], ['x', 'learning', 'y', 'learning']);
    for (let i = 0; i < 60; i++) for (const ch of ['x', 'y']) {
      const d = diagnosis(sim.next(N), ch, 1_700_000_000_000 + i * 170);
      b.observe(d);
      assert.equal(d.fusion?.component, 'normal', 'nothing is judged while learning');
    }
    const stopped = b.request('stop', 'pump1');
    assert.deepEqual(stopped.map((s) => [s.state, s.active?.windows]), [['active', 60], ['active', 60]]);
    const rms = stopped[0].active!.levels.find((l) => l.feature === 'rms')!;
    assert.ok(Math.abs(rms.alert / rms.baseline - 2) < 1e-9 && Math.abs(rms.danger / rms.baseline - 4) < 1e-9);
    b.stop();
    await store.stop();
  }
  // A new process on the same database: the active baselines are there.
  const store = await openStore(t, settings);
  const b = component(settings, store);
  assert.deepEqual(b.request('status', 'pump1').map((s) => s.state), ['active', 'active']);
  const tracker = new AlertTracker(settings.alerts);
  const healthy = diagnosis(sim.next(N), 'x', 1_700_000_100_000);
  b.observe(healthy);
  assert.equal(healthy.fusion?.component, 'normal', healthy.fusion?.reason);
  let raised: ReturnType<AlertTracker['update']> = null;
  for (let i = 0; i < 5 && !raised; i++) {
    const d = diagnosis(sim.next(N).map((v) => 3 * v), 'x', 1_700_000_200_000 + i * 170);
    b.observe(d);
    assert.equal(d.fusion?.component, 'novelty');
    assert.equal(d.fusion?.severity, 'medium');
    assert.match(d.fusion!.reason, /RMS [23]\.\d× baseline .*; before the baseline: DRSN Normal/);
    raised = tracker.update(d);
  }
  assert.equal(raised?.transition, 'raised');
  assert.equal(raised?.className, 'novelty');
  assert.equal(alertKindOf(raised!.className), 'novelty');
  const last = b.request('status', 'pump1', 'x')[0].last!;
  assert.equal(last.level, 'alert');
  // A sensor fault is not overruled, and is not judged.
  const broken = diagnosis(sim.next(N).map((v) => 3 * v), 'x', 1_700_000_300_000);
  broken.physics!.sensorFaults.push({ kind: 'spikes', detail: 'test' });
  broken.fusion = { component: 'sensor_fault', confidence: 1, severity: 'none', reason: 'sensor fault' };
  b.observe(broken);
  assert.equal(broken.fusion.component, 'sensor_fault');
});

test('requests: unknown sensor or channel, stop too early, start twice, cancel', async (t) => {
  const dir = tempDir(t);
  const settings = settingsOf(dir);
  const store = await openStore(t, settings);
  const b = component(settings, store);
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(isDrsndError(e), String(e));
      return [e.code, e.message];
    }
    assert.fail('no error');
  };
  const [c1, m1] = code(() => b.request('start', 'nosuch'));
  assert.equal(c1, ErrorCodes.NOT_FOUND);
  assert.match(m1, /no sensor "nosuch".*pump1/);
  assert.equal(code(() => b.request('start', 'pump1', 'z'))[0], ErrorCodes.NOT_FOUND);
  assert.equal(code(() => b.request('stop', 'pump1'))[0], ErrorCodes.CONFLICT, 'not learning');
  b.request('start', 'pump1', 'x');
  assert.match(code(() => b.request('start', 'pump1'))[1], /already learning/);
  const sim = new BearingSimulator({ rateHz: RATE, condition: 'normal', seed: 1 });
  for (let i = 0; i < 10; i++) b.observe(diagnosis(sim.next(N), 'x', 1_700_000_000_000 + i * 170));
  assert.match(code(() => b.request('stop', 'pump1', 'x'))[1], /learnt 10 windows, fewer than baseline\.minWindows \(50\)/);
  const cancelled = b.request('cancel', 'pump1', 'x');
  assert.equal(cancelled[0].state, 'none');
  assert.deepEqual(store.baselines.learningAndActive(), []);
});

test('a learning baseline is saved as it goes and resumed after a restart; start --for ends it by itself', async (t) => {
  const dir = tempDir(t);
  const settings = settingsOf(dir);
  const sim = new BearingSimulator({ rateHz: RATE, condition: 'normal', seed: 2 });
  const t0 = 1_700_000_000_000;
  {
    const store = await openStore(t, settings);
    const clock = new ManualClock();
    const b = component(settings, store, clock);
    // "now" is t0 (component()): learning ends with the first window at or after t0 + 20 s, once 50 windows are in.
    b.request('start', 'pump1', 'x', 20_000);
    for (let i = 0; i < 30; i++) b.observe(diagnosis(sim.next(N), 'x', t0 + i * 170));
    await clock.advance(30_000);
    assert.equal(store.baselines.learningAndActive()[0].windows, 30, 'saved by the 30 s timer');
    for (let i = 30; i < 40; i++) b.observe(diagnosis(sim.next(N), 'x', t0 + i * 170));
    b.stop();
    await store.stop();
  }
  const store = await openStore(t, settings);
  const b = component(settings, store);
  assert.equal(b.request('status', 'pump1', 'x')[0].learning?.windows, 40, 'stop() saved the rest');
  // Past the end time but short of minWindows: still learning; the 50th window ends it.
  for (let i = 0; i < 9; i++) b.observe(diagnosis(sim.next(N), 'x', t0 + 30_000 + i * 170));
  assert.equal(b.request('status', 'pump1', 'x')[0].state, 'learning');
  b.observe(diagnosis(sim.next(N), 'x', t0 + 40_000));
  const [s] = b.request('status', 'pump1', 'x');
  assert.equal(s.state, 'active');
  assert.equal(s.active?.windows, 50);
});

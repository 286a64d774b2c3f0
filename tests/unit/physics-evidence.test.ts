import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { BearingSimulator, type BearingCondition } from '../../src/data/bearing.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import { MIN_BAND_SK, physicsVerdict, scoreEvidence } from '../../src/physics/evidence.js';
import { EnvelopeAnalyzer } from '../../src/physics/envelope.js';
import { resolveMachine } from '../../src/physics/machine.js';
import { estimateShaftHz } from '../../src/physics/speed.js';
import { settingsSchema } from '../../src/config/schema.js';
import type { BearingEvidence } from '../../src/physics/types.js';
import type { Frame, ModelMetadata, SensorMeta } from '../../src/types.js';

const model: ModelMetadata = {
  id: 'm', version: '1', architecture: 'drsn-cw',
  input: { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 }, files: {}, classes: [],
};

function machine(m: unknown) {
  return resolveMachine(settingsSchema.parse({ sensors: [{ id: 's', asset: 'a', rateHz: 12000, source: { type: 'simulator' }, machine: m }] }).sensors[0].machine);
}

/** Runs a simulated bearing through the signal path; returns the last window's evidence (or its note). */
async function evidence(condition: BearingCondition, rpm: number, rate: number, speed: unknown, seconds = 4): Promise<BearingEvidence | string> {
  const sensor: SensorMeta = { id: 's', asset: 'a', rateHz: rate, unit: 'g', axes: ['x'], machine: machine(speed === undefined ? { bearing: { designation: "6205" } } : { bearing: { designation: "6205" }, speed }) };
  const x = new BearingSimulator({ rateHz: rate, condition, rpm, seed: 9 }).next(Math.round(rate * seconds));
  const frames: Frame[] = [];
  for (let i = 0; i < x.length; i += 1024) frames.push({ sensorId: 's', t0: (i / rate) * 1000, rateHz: rate, unit: 'g', axes: ['x'], channels: [x.slice(i, i + 1024)] });
  const ws = await lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model, hop: null }), toArray()));
  const last = ws[ws.length - 1].physics!;
  return last.evidence ?? last.evidenceNote ?? 'none';
}

const EXPECT = { normal: null, outer_race: 'outer_race', inner_race: 'inner_race', ball: 'ball' } as const;

for (const [rpm, rate] of [[900, 12_000], [1797, 20_000], [3000, 25_600]] as const) {
  test(`simulated 6205 at ${rpm} rpm, ${rate / 1000} kHz, speed fixed: the envelope names each condition`, async () => {
    for (const condition of ['normal', 'outer_race', 'inner_race', 'ball'] as const) {
      const e = await evidence(condition, rpm, rate, { rpm });
      assert.ok(typeof e !== 'string', `${condition}: ${String(e)}`);
      assert.equal(e.speedSource, 'fixed');
      assert.equal(physicsVerdict(e), EXPECT[condition], `${condition}: ${JSON.stringify(e.strengthDb)}`);
      if (condition === 'normal') assert.ok(Math.max(e.scores.outer_race, e.scores.inner_race, e.scores.ball) < 0.25, JSON.stringify(e.scores));
      else assert.ok(e.scores[condition] >= 0.9, `${condition} score ${e.scores[condition]}`);
      if (condition === 'inner_race') assert.ok(e.bpfiSidebandsDb > 10, `BPFI ±1× sidebands ${e.bpfiSidebandsDb} dB`);
    }
  });
  test(`simulated 6205 at ${rpm} rpm, speed estimated within ±25 %: within 1 % of the truth, same verdicts`, async () => {
    for (const condition of ['outer_race', 'inner_race', 'ball'] as const) {
      const e = await evidence(condition, rpm, rate, { estimate: { minRpm: rpm * 0.75, maxRpm: rpm * 1.25 } });
      assert.ok(typeof e !== 'string', `${condition}: ${String(e)}`);
      assert.equal(e.speedSource, 'estimated');
      assert.ok(Math.abs(e.shaftHz / (rpm / 60) - 1) < 0.01, `${condition}: estimated ${e.shaftHz} Hz, true ${rpm / 60}`);
      assert.equal(physicsVerdict(e), condition);
    }
  });
}

test('speed estimation: a machine whose 2x outweighs 1x, next to a mains line, is read at 1x', () => {
  const rate = 12_000;
  const n = 16_384;
  const fr = 23.4;
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);
  const x = Float64Array.from({ length: n }, (_, i) => {
    const t = i / rate;
    return 0.01 * Math.sin(2 * Math.PI * fr * t) + 0.03 * Math.sin(2 * Math.PI * 2 * fr * t + 1) + 0.004 * Math.sin(2 * Math.PI * 3 * fr * t)
      + 0.05 * Math.sin(2 * Math.PI * 50 * t) + 0.01 * rand();
  });
  const env = new EnvelopeAnalyzer(n, rate);
  const { amp, df } = env.spectrum(x);
  const est = estimateShaftHz(amp, df, 10, 60)!;
  assert.ok(Math.abs(est.hz - fr) < 0.05, `estimated ${est.hz} Hz, true ${fr}`);
  // Nothing periodic in range: no estimate rather than a guess.
  const noise = Float64Array.from({ length: n }, () => rand());
  const none = estimateShaftHz(env.spectrum(noise).amp, df, 10, 60);
  assert.ok(none === null || none.strengthDb < 8, JSON.stringify(none));
});

test('without machine metadata every window says physics evidence is unavailable, and why', async () => {
  const sensor: SensorMeta = { id: 's', asset: 'a', rateHz: 12000, unit: 'g', axes: ['x'] };
  const x = new BearingSimulator({ rateHz: 12000, condition: 'outer_race', seed: 1 }).next(12000 * 2);
  const frames: Frame[] = [{ sensorId: 's', t0: 0, rateHz: 12000, unit: 'g', axes: ['x'], channels: [x] }];
  const ws = await lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model, hop: null }), toArray()));
  assert.ok(ws.length > 10);
  for (const w of ws) {
    assert.equal(w.physics!.evidence, null);
    assert.match(w.physics!.evidenceNote!, /no machine metadata/);
    assert.ok(w.physics!.indicators.rmsG > 0);
  }
  // With a bearing but no speed, the note says what is missing.
  const noSpeed = await evidence('outer_race', 1797, 12000, undefined, 2);
  assert.match(String(noSpeed), /no shaft speed/);
});

test('lines count only from an impulsive band: a smooth modulation at BPFO is not evidence, impacts at the same rate are', () => {
  const rate = 12_000;
  const n = 16_384;
  const shaftHz = 29.95;
  const orders = { bpfo: 3.585, bpfi: 5.415, bsf: 2.357, ftf: 0.398 };
  const bpfo = orders.bpfo * shaftHz;
  let seed = 11;
  const gauss = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const u = (seed + 1) / (2 ** 31 + 1);
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * seed) / 2 ** 31);
  };
  const noise = Float64Array.from({ length: n }, gauss);
  const analyse = (x: Float64Array) => {
    const env = new EnvelopeAnalyzer(n, rate);
    env.spectrum(x);
    const maxHz = 3.6 * orders.bpfi * shaftHz + 2 * shaftHz;
    const band = env.kurtogram(maxHz);
    const s = env.squaredEnvelope(band.bandHz, maxHz);
    return { sk: s.sk, ...scoreEvidence({ ses: s.ses, df: s.df, sk: s.sk, shaftHz, orders }) };
  };
  // Broadband noise whose power swings ±70 % at BPFO: a clear envelope line (strong evidence without the
  // gate: score ≥ 0.5 from 14 dB), but no impacts (SK of noise power-modulated by depth m is m², 0.49).
  const smooth = analyse(noise.map((v, i) => v * Math.sqrt(1 + 0.7 * Math.cos((2 * Math.PI * bpfo * i) / rate))));
  assert.ok(smooth.linesDb.bpfo[0] > 14, `the modulation's line ${smooth.linesDb.bpfo[0]} dB`);
  assert.ok(smooth.sk < MIN_BAND_SK, `SK ${smooth.sk}`);
  assert.equal(smooth.scores.outer_race, 0);
  assert.equal(physicsVerdict(smooth), null);
  // The same noise with a 3 kHz resonance struck at BPFO (decay 2 ms): impulsive, the line is evidence.
  const struck = Float64Array.from(noise, (v, i) => {
    const t = i / rate;
    const since = t - Math.floor(t * bpfo) / bpfo;
    return 0.3 * v + 4 * Math.exp(-since / 0.002) * Math.sin(2 * Math.PI * 3000 * since);
  });
  const impacts = analyse(struck);
  assert.ok(impacts.sk >= MIN_BAND_SK, `SK ${impacts.sk}`);
  assert.ok(impacts.scores.outer_race >= 0.9, JSON.stringify(impacts.scores));
  assert.equal(physicsVerdict(impacts), 'outer_race');
});

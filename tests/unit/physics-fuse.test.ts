import test from 'node:test';
import assert from 'node:assert/strict';
import { drsnByComponent, fuse, type FusionInput } from '../../src/physics/fuse.js';
import type { BearingEvidence, WindowPhysics } from '../../src/physics/types.js';

const quiet = { rmsG: 0.07, peakG: 0.25, crest: 3.6, kurtosis: 3.0, velocityMmS: 0.8, isoZone: 'A' as const };

function evidence(scores: Partial<BearingEvidence['scores']>): BearingEvidence {
  const s = { outer_race: 0, inner_race: 0, ball: 0, cage: 0, ...scores };
  const db = (x: number) => 8 + 12 * x;
  return {
    shaftHz: 29.95, speedSource: 'fixed', bandHz: [2250, 3000], band: 'kurtogram', bandSk: 6, at: 0,
    linesDb: { bpfo: [db(s.outer_race), 0, 0], bpfi: [db(s.inner_race), 0, 0], bsf2: [db(s.ball), 0, 0], ftf: [db(s.cage), 0, 0] },
    bpfiSidebandsDb: 0, strengthDb: { outer_race: db(s.outer_race), inner_race: db(s.inner_race), ball: db(s.ball), cage: db(s.cage) }, scores: s,
  };
}
const physics = (e: BearingEvidence | null, over: Partial<WindowPhysics> = {}): WindowPhysics =>
  ({ indicators: quiet, evidence: e, sensorFaults: [], ...(e ? {} : { evidenceNote: 'physics evidence unavailable: no machine metadata' }), ...over });
const drsn = (c: keyof FusionInput['drsn'], p = 0.98): FusionInput['drsn'] => {
  const out = { normal: 0, inner_race: 0, outer_race: 0, ball: 0 };
  out[c] = p;
  const rest = (1 - p) / 3;
  for (const k of Object.keys(out) as (keyof typeof out)[]) if (k !== c) out[k] = rest;
  return out;
};

test('a sensor fault outranks everything: the DRSN\'s confident Normal becomes sensor_fault with the reason', () => {
  const f = fuse({ drsn: drsn('normal', 1), drsnClass: 'Normal', physics: physics(evidence({}), { sensorFaults: [{ kind: 'mains', detail: '97 % at 50 Hz' }] }) });
  assert.deepEqual([f.component, f.confidence], ['sensor_fault', 1]);
  assert.match(f.reason, /sensor fault: mains \(97 % at 50 Hz\)/);
});

test('an out-of-distribution score above its threshold gives unknown; below it changes nothing', () => {
  const f = fuse({ drsn: drsn('inner_race'), drsnClass: 'IR007', physics: physics(null), ood: { score: 3, threshold: 2 } });
  assert.equal(f.component, 'unknown');
  assert.ok(f.confidence > 0.5 && f.confidence <= 1);
  assert.match(f.reason, /out-of-distribution score 3\.00 > 2\.00\); DRSN IR007 \(98 %\) not trusted/);
  assert.equal(fuse({ drsn: drsn('inner_race'), drsnClass: 'IR007', physics: physics(null), ood: { score: 1, threshold: 2 } }).component, 'inner_race');
});

test('without evidence the DRSN decides alone and the reason says why the physics is missing', () => {
  const f = fuse({ drsn: drsn('outer_race', 0.97), drsnClass: 'OR007@6', physics: physics(null) });
  assert.deepEqual([f.component, f.confidence], ['outer_race', 0.97]);
  assert.match(f.reason, /DRSN OR007@6 \(97 %\); physics evidence unavailable: no machine metadata/);
  // No physics at all (a window from outside the signal path): the same.
  assert.equal(fuse({ drsn: drsn('ball'), drsnClass: 'B007' }).component, 'ball');
});

test('clear envelope lines decide the component; agreement raises the confidence', () => {
  const agree = fuse({ drsn: drsn('inner_race', 0.9), drsnClass: 'IR021', physics: physics(evidence({ inner_race: 1 })) });
  assert.equal(agree.component, 'inner_race');
  assert.ok(agree.confidence > 0.99);
  assert.match(agree.reason, /and the envelope agree: BPFI line 20\.0 dB/);
  const overruled = fuse({ drsn: drsn('outer_race', 0.99), drsnClass: 'OR007@6', physics: physics(evidence({ inner_race: 1, outer_race: 0.1 })) });
  assert.equal(overruled.component, 'inner_race');
  assert.ok(overruled.confidence >= 0.8, 'unmistakable lines alone reach the default alert threshold');
  assert.match(overruled.reason, /overruled/);
  const missed = fuse({ drsn: drsn('normal', 1), drsnClass: 'Normal', physics: physics(evidence({ outer_race: 0.7 })) });
  assert.equal(missed.component, 'outer_race');
});

test('a DRSN fault the envelope does not show: kept at 0.9 when impulsive or loud, else normal (nothing physical backs it)', () => {
  const plain = fuse({ drsn: drsn('ball', 0.98), drsnClass: 'B007', physics: physics(evidence({ ball: 0.1 })) });
  assert.deepEqual([plain.component, plain.confidence, plain.severity], ['normal', 0.5, 'none']);
  assert.match(plain.reason, /DRSN B007 \(98 %\) not confirmed: no 2xBSF line in the envelope, kurtosis 3\.0, ISO zone A; read as normal/);
  const loud = fuse({ drsn: drsn('ball', 0.98), drsnClass: 'B007', physics: physics(evidence({}), { indicators: { ...quiet, isoZone: 'C' } }) });
  assert.deepEqual([loud.component, loud.severity], ['ball', 'medium']);
  assert.match(loud.reason, /no 2xBSF line, but ISO zone C/);
  const impulsive = fuse({ drsn: drsn('ball', 0.98), drsnClass: 'B014', physics: physics(evidence({}), { indicators: { ...quiet, kurtosis: 6.5 } }) });
  assert.ok(Math.abs(impulsive.confidence - 0.882) < 1e-9);
  assert.match(impulsive.reason, /kurtosis 6\.5/);
  const weak = fuse({ drsn: drsn('outer_race', 0.9), drsnClass: 'OR014@6', physics: physics(evidence({ outer_race: 0.3 })) });
  assert.match(weak.reason, /weakly confirmed/);
  assert.ok(Math.abs(weak.confidence - 0.72) < 1e-9);
});

test('severity: ISO zone where configured (D high, C medium), else the strength of the lines; a healthy bearing in zone C still has one', () => {
  const e = evidence({ outer_race: 1 });
  assert.equal(fuse({ drsn: drsn('outer_race'), drsnClass: 'OR', physics: physics(e, { indicators: { ...quiet, isoZone: 'D' } }) }).severity, 'high');
  assert.equal(fuse({ drsn: drsn('outer_race'), drsnClass: 'OR', physics: physics(e, { indicators: { ...quiet, isoZone: null } }) }).severity, 'high');
  assert.equal(fuse({ drsn: drsn('outer_race'), drsnClass: 'OR', physics: physics(evidence({ outer_race: 0.6 }), { indicators: { ...quiet, isoZone: null } }) }).severity, 'medium');
  const loudHealthy = fuse({ drsn: drsn('normal'), drsnClass: 'Normal', physics: physics(evidence({}), { indicators: { ...quiet, isoZone: 'C' } }) });
  assert.deepEqual([loudHealthy.component, loudHealthy.severity], ['normal', 'medium']);
  assert.equal(fuse({ drsn: drsn('normal'), drsnClass: 'Normal', physics: physics(evidence({})) }).severity, 'none');
});

test('the DRSN\'s probabilities are summed by each class\'s component', () => {
  const classes = [
    { index: 0, kind: 'normal', component: null }, { index: 1, kind: 'fault', component: 'ball' },
    { index: 2, kind: 'fault', component: 'ball' }, { index: 3, kind: 'fault', component: 'inner_race' }, { index: 4, kind: 'fault', component: 'outer_race' },
  ];
  assert.deepEqual(drsnByComponent([0.1, 0.2, 0.3, 0.15, 0.25], classes), { normal: 0.1, ball: 0.5, inner_race: 0.15, outer_race: 0.25 });
});

test('while the sensor checks settle after a start or a gap, Normal is not claimed: unknown, confidence 0; faults still stand', () => {
  const settling = physics(evidence({}), { settling: true });
  const f = fuse({ drsn: drsn('normal', 1), drsnClass: 'Normal', physics: settling });
  assert.deepEqual([f.component, f.confidence], ['unknown', 0]);
  assert.match(f.reason, /^sensor checks settling/);
  assert.equal(fuse({ drsn: drsn('normal', 1), drsnClass: 'Normal', physics: physics(evidence({ inner_race: 1 }), { settling: true }) }).component, 'inner_race');
});

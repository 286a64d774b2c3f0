import test from 'node:test';
import assert from 'node:assert/strict';
import { AlertTracker, SensorAlertState, alertKindOf, type AlertSettings } from '../../src/pipeline/alert-state.js';
import type { AlertEvent, Diagnosis } from '../../src/types.js';

const settings: AlertSettings = { threshold: 0.8, raiseK: 3, raiseN: 5, clearM: 4 };

let clock = 0;
function diag(className: string, confidence: number, sensorId = 's1'): Diagnosis {
  clock += 100;
  const kind = className === 'Normal' ? 'normal' : 'fault';
  return {
    sensorId, asset: 'pump', channel: 'x', windowStart: clock - 170, windowEnd: clock, classIndex: 0, className, kind,
    probabilities: [], confidence, modelId: 'm', modelVersion: '1', latencyMs: 1,
  };
}

/** Feeds a stream (class:confidence, "N" = Normal 0.95) and returns the transitions with their index. */
function feed(tracker: SensorAlertState, stream: string[]): [number, AlertEvent][] {
  const events: [number, AlertEvent][] = [];
  stream.forEach((s, i) => {
    const [cls, conf] = s === 'N' ? ['Normal', 0.95] : [s.split(':')[0], Number(s.split(':')[1] ?? 0.9)];
    const e = tracker.update(diag(cls, conf as number));
    if (e) events.push([i, e]);
  });
  return events;
}

test('raises when one fault class has k confident votes in the last n windows', () => {
  const t = new SensorAlertState(settings);
  const events = feed(t, ['N', 'IR:0.9', 'N', 'IR:0.85', 'N', 'IR:0.95', 'N']);
  assert.equal(events.length, 1);
  const [i, e] = events[0];
  assert.equal(i, 5);
  assert.equal(e.transition, 'raised');
  assert.equal(e.className, 'IR');
  assert.equal(e.previousClassName, null);
  assert.ok(Math.abs(e.confidence - (0.9 + 0.85 + 0.95) / 3) < 1e-12);
  assert.equal(e.sensorId, 's1');
  assert.equal(e.asset, 'pump');
  assert.equal(t.active, 'IR');
});

test('votes spread over more than n windows, or split between classes, do not raise', () => {
  assert.deepEqual(feed(new SensorAlertState(settings), ['IR', 'N', 'N', 'N', 'IR', 'N', 'N', 'N', 'IR', 'N', 'N']), []);
  assert.deepEqual(feed(new SensorAlertState(settings), ['IR', 'OR', 'IR', 'OR', 'B']), []);
});

test('faults below the confidence threshold neither raise nor clear', () => {
  const t = new SensorAlertState(settings);
  assert.deepEqual(feed(t, Array(20).fill('IR:0.79')), []);
  feed(t, ['IR', 'IR', 'IR']);
  assert.equal(t.active, 'IR');
  // Low-confidence faults interrupt the run of normal windows, so no clear here.
  assert.deepEqual(feed(t, ['N', 'N', 'N', 'IR:0.5', 'N', 'N', 'N', 'IR:0.3']), []);
  assert.equal(t.active, 'IR');
});

test('changes when another fault class takes over; clears after m consecutive normal windows', () => {
  const t = new SensorAlertState(settings);
  const before = clock;
  const events = feed(t, ['IR', 'IR', 'IR', 'OR', 'OR', 'OR', 'OR', 'N', 'N', 'N', 'N', 'N']);
  assert.equal(events[2][1].at, before + 11 * 100); // the window end of the clearing window
  assert.deepEqual(events.map(([i, e]) => [i, e.transition, e.className, e.previousClassName]), [
    [2, 'raised', 'IR', null],
    [5, 'changed', 'OR', 'IR'], // OR has 3 of the last 5, IR only 2
    [10, 'cleared', 'OR', null],
  ]);
  assert.equal(t.active, null);
  // After a clear, old votes are gone: one new fault window does not re-raise.
  assert.deepEqual(feed(t, ['OR', 'N']), []);
});

test('an alert restored at start-up can be cleared', () => {
  const t = new SensorAlertState(settings, 'B');
  const events = feed(t, ['N', 'N', 'N', 'N']);
  assert.deepEqual(events.map(([, e]) => [e.transition, e.className]), [['cleared', 'B']]);
});

test('borderline streams do not flap', () => {
  const count = (stream: string[]) => feed(new SensorAlertState(settings), stream).length;
  // Confidence oscillating around the threshold: at most one raise, ever.
  const oscillating = Array.from({ length: 1000 }, (_, i) => `IR:${i % 2 === 0 ? 0.81 : 0.79}`);
  assert.ok(count(oscillating) <= 1, `oscillating: ${count(oscillating)}`);
  // Alternating normal / confident fault: raised once, never cleared (no m normal run).
  const alternating = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 'N' : 'IR'));
  assert.equal(count(alternating), 1);
  // Short fault bursts (2 of every 7 windows) never reach k of n.
  const bursts = Array.from({ length: 1000 }, (_, i) => (i % 7 < 2 ? 'IR' : 'N'));
  assert.equal(count(bursts), 0);
  // Two classes alternating with k ≤ n/2 (both always hold k votes): no change back and forth.
  const loose: AlertSettings = { threshold: 0.8, raiseK: 2, raiseN: 5, clearM: 4 };
  const twoClasses = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 'IR' : 'OR'));
  const events = feed(new SensorAlertState(loose), twoClasses);
  assert.equal(events.length, 1);
  assert.equal(events[0][1].transition, 'raised');
});

test('AlertTracker keeps one state machine per sensor', () => {
  const t = new AlertTracker(settings, new Map([['c', 'B']]));
  for (let i = 0; i < 3; i++) {
    assert.equal(t.update(diag('IR', 0.9, 'a'))?.transition, i === 2 ? 'raised' : undefined);
    assert.equal(t.update(diag('OR', 0.9, 'b'))?.transition, i === 2 ? 'raised' : undefined);
  }
  assert.equal(t.active('a'), 'IR');
  assert.equal(t.active('b'), 'OR');
  assert.equal(t.active('c'), 'B'); // restored, not yet seen
  assert.equal(t.active('unknown'), null);
});

test('with a fused verdict the alert is about the component; sensor faults are an alert of their own kind', () => {
  const fused = (component: NonNullable<Diagnosis['fusion']>['component'], confidence: number, drsnClass = 'Normal'): Diagnosis =>
    ({ ...diag(drsnClass, 1), fusion: { component, confidence, severity: 'low', reason: 'test' } });
  const t = new SensorAlertState(settings);
  // The DRSN says Normal at 1.000 while the envelope shows BPFO: the fused verdict votes, not the DRSN.
  const events = [0, 1, 2].map(() => t.update(fused('outer_race', 0.9)));
  assert.deepEqual(events.map((e) => e?.transition ?? null), [null, null, 'raised']);
  assert.equal(events[2]!.className, 'outer_race');
  assert.equal(alertKindOf(events[2]!.className), 'bearing');
  // A fault call below the alert threshold does not vote; neither does it count as normal.
  const s = new SensorAlertState(settings);
  for (let i = 0; i < 5; i++) assert.equal(s.update(fused('ball', 0.49, 'B007')), null);
  // A broken sensor raises a sensor_fault alert, and normal fused windows clear it.
  const changes = [0, 1, 2].map(() => s.update(fused('sensor_fault', 1)));
  assert.equal(changes[2]?.className, 'sensor_fault');
  assert.equal(alertKindOf('sensor_fault'), 'sensor_fault');
  const clears = [0, 1, 2, 3].map(() => s.update(fused('normal', 0.95, 'IR007')));
  assert.equal(clears[3]?.transition, 'cleared', 'a fused normal counts as normal even where the DRSN said IR007');
});

test('uncertain normal windows do not clear an alert (a machine at the edge of fusion rule 5)', () => {
  const fused = (component: NonNullable<Diagnosis['fusion']>['component'], confidence: number): Diagnosis =>
    ({ ...diag('B007', 0.99), fusion: { component, confidence, severity: 'low', reason: 'test' } });
  const rules: AlertSettings = { ...settings, clearConfidence: 0.6 };
  // The fusion alternates "ball, impulsive" (0.9) with runs of "DRSN ball not confirmed: normal" (0.5).
  const edge = Array.from({ length: 600 }, (_, i) => (i % 10 < 3 ? fused('ball', 0.9) : fused('normal', 0.5)));
  const t = new SensorAlertState(rules);
  const events = edge.map((d) => t.update(d)).filter((e) => e !== null);
  assert.deepEqual(events.map((e) => e.transition), ['raised'], 'raised once, never cleared by uncertain normals');
  // The same stream without the rule flaps: what the rule is for.
  const flapping = new SensorAlertState(settings);
  assert.ok(edge.map((d) => flapping.update(d)).filter((e) => e !== null).length > 20);
  // Uncertain normals between confident ones neither count nor break the run: 4 confident ones clear.
  const mixed = [0.95, 0.5, 0.95, 0.5, 0.5, 0.95, 0.95].map((c) => t.update(fused('normal', c)));
  assert.deepEqual(mixed.map((e) => e?.transition ?? null), [null, null, null, null, null, null, 'cleared']);
});

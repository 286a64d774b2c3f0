// Payloads on the topics: what a dashboard parses. Health status follows the debounced alert, not one window.
import test from 'node:test';
import assert from 'node:assert/strict';
import { alertEventPayload, diagnosisPayload, healthPayload, messageId, type ActiveAlert } from '../../src/publish/payloads.js';
import type { Diagnosis } from '../../src/types.js';

const d: Diagnosis = {
  sensorId: 'de', asset: 'pump1', channel: 'y', windowStart: 0, windowEnd: 170, classIndex: 2, className: 'B007',
  kind: 'fault', probabilities: [0.1234567891, 0.2, 0.6765432109], confidence: 0.6765432109,
  modelId: 'm', modelVersion: '2', latencyMs: 3.14159,
};
const alert: ActiveAlert = {
  alertId: 5, sensorId: 'de', asset: 'pump1', className: 'B007', previousClassName: null,
  confidence: 0.9, peakConfidence: 0.95, raisedAt: 1_000, changedAt: 1_000,
};

test('diagnosis payload: stable id, ISO times, rounded numbers, gateway id', () => {
  const p = diagnosisPayload('gw', messageId('a1b2c3', 'd', 42), d);
  assert.equal(p.id, 'a1b2c3-d42');
  assert.equal(p.gatewayId, 'gw');
  assert.equal(p.windowStart, '1970-01-01T00:00:00.000Z');
  assert.equal(p.windowEnd, '1970-01-01T00:00:00.170Z');
  assert.deepEqual(p.probabilities, [0.123457, 0.2, 0.676543]);
  assert.equal(p.confidence, 0.676543);
  assert.equal(p.latencyMs, 3.14);
  assert.equal(p.channel, 'y');
});

test('a diagnosis built from memory equals the same row read back from SQLite (integer ms, float32 probabilities)', () => {
  const live: Diagnosis = { ...d, windowStart: 1_000.6, windowEnd: 1_171.4, probabilities: [0.1000000014901, 0.9] };
  const stored: Diagnosis = { ...d, windowStart: 1_001, windowEnd: 1_171, probabilities: [Math.fround(0.1000000014901), Math.fround(0.9)] };
  assert.deepEqual(diagnosisPayload('gw', 'x-d1', live), diagnosisPayload('gw', 'x-d1', stored));
  assert.equal(diagnosisPayload('gw', 'x-d1', live).windowStart, '1970-01-01T00:00:01.001Z', 'rounded as SQLite rounds, not truncated');
});

test('health status: unknown before data, ok without an alert even on a faulty window, fault with an alert', () => {
  assert.equal(healthPayload('gw', 'de', 'pump1', undefined, undefined, 0).status, 'unknown');
  const ok = healthPayload('gw', 'de', 'pump1', d, undefined, 0);
  assert.equal(ok.status, 'ok');
  assert.equal(ok.lastClass, 'B007');
  assert.equal(ok.lastKind, 'fault');
  const fault = healthPayload('gw', 'de', 'pump1', d, alert, 2_000);
  assert.equal(fault.status, 'fault');
  assert.deepEqual(fault.activeAlert, { alertId: 5, className: 'B007', raisedAt: '1970-01-01T00:00:01.000Z' });
  assert.equal(fault.updatedAt, '1970-01-01T00:00:02.000Z');
  assert.equal(healthPayload('gw', 'de', 'pump1', undefined, alert, 0).status, 'fault');
  const hinted = healthPayload('gw', 'de', 'pump1', d, undefined, 0, 'B007');
  assert.equal(hinted.status, 'fault', 'an alert known only to the tracker still counts');
  assert.deepEqual(hinted.activeAlert, { alertId: null, className: 'B007', raisedAt: null });
  assert.equal(ok.problem, null);
});

test('health is degraded while the store fails, with the reason, and keeps the alert it knows', () => {
  const h = healthPayload('gw', 'de', 'pump1', d, alert, 0, null, 'storage: SQLITE_FULL: database or disk is full');
  assert.equal(h.status, 'degraded');
  assert.equal(h.problem, 'storage: SQLITE_FULL: database or disk is full');
  assert.equal(h.activeAlert?.alertId, 5);
});

test('alert event payload carries the transition and both class names', () => {
  const p = alertEventPayload('gw', 'a1b2c3-e7', 5, { sensorId: 'de', asset: 'pump1', transition: 'changed', className: 'B014', previousClassName: 'B007', confidence: 0.91, at: 3_000 });
  assert.deepEqual(p, { id: 'a1b2c3-e7', gatewayId: 'gw', alertId: 5, sensorId: 'de', asset: 'pump1', transition: 'changed', className: 'B014', alertKind: 'bearing', previousClassName: 'B007', confidence: 0.91, at: '1970-01-01T00:00:03.000Z' });
});

test('the physics in a payload is what SQLite keeps: the live diagnosis and its stored row give the same bytes', async () => {
  const { physicsFromRow, physicsParams } = await import('../../src/store/physics-columns.js');
  const live: Diagnosis = {
    ...d,
    physics: {
      indicators: { rmsG: 0.2553941, peakG: 1.4292681, crest: 5.59612, kurtosis: 12.04611, velocityMmS: 0.4731, isoZone: 'A' },
      evidence: {
        shaftHz: 29.90812, speedSource: 'estimated', bandHz: [4800, 8000], band: 'kurtogram', bandSk: 6, at: 0,
        linesDb: { bpfo: [30.4, 20, 10], bpfi: [7.4, 1, 1], bsf2: [6.8, 1, 1], ftf: [0.2, 0, 0] }, bpfiSidebandsDb: 1,
        strengthDb: { outer_race: 35, inner_race: 7.4, ball: 6.8, cage: 0.2 }, scores: { outer_race: 1, inner_race: 0, ball: 0, cage: 0 },
      },
      sensorFaults: [{ kind: 'spikes', detail: '1 isolated spike' }],
    },
    fusion: { component: 'sensor_fault', confidence: 1, severity: 'none', reason: 'sensor fault: spikes (1 isolated spike)' },
  };
  const stored = { ...d, ...physicsFromRow(physicsParams(live)) };
  const p = diagnosisPayload('gw', 'x-d2', live);
  assert.equal(JSON.stringify(p), JSON.stringify(diagnosisPayload('gw', 'x-d2', stored)));
  assert.deepEqual([p.component, p.componentConfidence, p.severity, p.shaftHz, p.speedSource, p.sensorFaults], ['sensor_fault', 1, 'none', 29.908, 'estimated', ['spikes']]);
  assert.deepEqual(p.indicators, { rmsG: 0.255394, peakG: 1.429268, crest: 5.596, kurtosis: 12.046, velocityMmS: 0.473, isoZone: 'A' });
  assert.deepEqual(p.evidence, { outer_race: 1, inner_race: 0, ball: 0, cage: 0 });
  // No physics (a diagnosis from outside the signal path): none of its fields.
  assert.equal(diagnosisPayload('gw', 'x-d3', d).component, undefined);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { convertUnits, STANDARD_GRAVITY, unitFactor } from '../../src/pipeline/convert-units.js';
import type { Frame, Unit } from '../../src/types.js';

const frame = (unit: Unit, values: number[]): Frame =>
  ({ sensorId: 's', t0: 5, rateHz: 100, unit, axes: ['x'], channels: [Float32Array.from(values)], seq: 3 });

test('g = 9.80665 m/s² exactly and mg = 1e-3 g, in every direction', () => {
  assert.equal(STANDARD_GRAVITY, 9.80665);
  assert.equal(unitFactor('g', 'm/s2'), 9.80665);
  assert.equal(unitFactor('m/s2', 'g'), 1 / 9.80665);
  assert.equal(unitFactor('mg', 'g'), 0.001);
  assert.equal(unitFactor('g', 'mg'), 1000);
  assert.ok(Math.abs(unitFactor('mg', 'm/s2') - 0.00980665) < 1e-15);
  assert.ok(Math.abs(unitFactor('m/s2', 'mg') - 1000 / 9.80665) < 1e-9);
  for (const u of ['g', 'm/s2', 'mg'] as Unit[]) assert.equal(unitFactor(u, u), 1);
});

test('frames are converted into the model unit with new arrays; other fields kept', async () => {
  const inputs = [frame('m/s2', [9.80665, -19.6133, 0]), frame('mg', [1000, -250]), frame('g', [0.5])];
  const out = await lastValueFrom(from(inputs).pipe(convertUnits('g'), toArray()));
  assert.deepEqual(Array.from(out[0].channels[0]).map((v) => Math.round(v * 1e5) / 1e5), [1, -2, 0]);
  assert.deepEqual(Array.from(out[1].channels[0]), [1, -0.25]);
  for (const f of out) assert.equal(f.unit, 'g');
  assert.equal(out[0].t0, 5);
  assert.equal(out[0].seq, 3);
  assert.notEqual(out[0].channels[0], inputs[0].channels[0]);
  assert.deepEqual(Array.from(inputs[0].channels[0]).map((v) => Math.round(v * 1e4) / 1e4), [9.8067, -19.6133, 0]); // input untouched
  assert.equal(out[2], inputs[2]); // already in g: passed through
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { normalizeData, normalizeWindows } from '../../src/pipeline/normalize.js';
import type { Window } from '../../src/types.js';

test('window-zscore gives mean 0 and population std 1 (numpy convention)', () => {
  const x = Float32Array.from({ length: 2048 }, (_, i) => 3 + 0.5 * Math.sin(i / 5) + (i % 7) * 0.01);
  const y = normalizeData(x, { method: 'window-zscore', epsilon: 1e-8 });
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const std = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length);
  assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 1e-5, `std ${std}`);
  // Hand-computed case: [1, 3] → mean 2, population std 1.
  assert.deepEqual(Array.from(normalizeData(Float32Array.of(1, 3), { method: 'window-zscore', epsilon: 0 })), [-1, 1]);
});

test('a constant window stays finite thanks to epsilon', () => {
  const y = normalizeData(new Float32Array(16).fill(2), { method: 'window-zscore', epsilon: 1e-8 });
  assert.ok(y.every((v) => v === 0));
});

test('global normalization uses the model statistics', () => {
  assert.deepEqual(Array.from(normalizeData(Float32Array.of(1, 2, 4), { method: 'global', mean: 2, std: 2 })), [-0.5, 0, 1]);
});

test('operator returns new windows with new arrays and keeps the metadata', async () => {
  const w: Window = { sensorId: 's', asset: 'a', channel: 'x', start: 1, end: 2, data: Float32Array.of(1, 3), completedAt: 7 };
  const [out] = await lastValueFrom(from([w]).pipe(normalizeWindows({ method: 'window-zscore', epsilon: 0 }), toArray()));
  assert.deepEqual(Array.from(out.data), [-1, 1]);
  assert.deepEqual(Array.from(w.data), [1, 3]);
  assert.deepEqual({ ...out, data: null }, { ...w, data: null });
});

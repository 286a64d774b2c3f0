import test from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalClock } from '../../src/ingest/decoders/arrival-clock.js';

test('blocks arriving with jitter are placed back to back at the nominal rate', () => {
  const c = new ArrivalClock(1000, 250);
  // 100 samples = 100 ms per block; arrivals jitter by up to 30 ms.
  const arrivals = [1100, 1230, 1290, 1405];
  const t0s = arrivals.map((a) => c.place(100, a));
  assert.deepEqual(t0s.map((p) => p.t0), [1000, 1100, 1200, 1300]);
  assert.ok(t0s.every((p) => p.continuous));
});

test('a stall beyond the tolerance restarts from the arrival time and reports the break', () => {
  const c = new ArrivalClock(1000, 250);
  c.place(100, 1100);
  const p = c.place(100, 2000);
  assert.deepEqual(p, { t0: 1900, continuous: false });
  assert.deepEqual(c.place(100, 2100), { t0: 2000, continuous: true });
});

test('reset forgets the previous block', () => {
  const c = new ArrivalClock(500, 250);
  c.place(50, 1000);
  c.reset();
  assert.deepEqual(c.place(50, 5000), { t0: 4900, continuous: true });
});

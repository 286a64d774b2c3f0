// The HTTP thread's CPU budget (src/http/cpu-budget.ts) on a simulated clock: each request "costs" a
// known busy time when it runs, so how many run in a second is exact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CpuBudget } from '../../src/http/cpu-budget.js';

/** A thread whose requests each cost `costMs` of busy time; ticks every 50 ms of simulated time. */
function simulate(share: number, costMs: number, opts: { maxQueued?: number; burstMs?: number } = {}) {
  let now = 0;
  let busy = 0;
  const budget = new CpuBudget({ share, maxQueued: opts.maxQueued ?? 10_000, busyMs: () => busy, now: () => now, burstMs: opts.burstMs });
  const ran: number[] = [];
  /** A request that costs `ms` when it runs; records when. */
  const spend = (ms: number) => { busy += ms; ran.push(now); };
  const request = () => budget.submit(() => spend(costMs));
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      now += 50;
      budget.tick();
    }
  };
  return { budget, ran, request, spend, advance, busy: () => busy };
}

test('cpu budget: a flood runs at the budgeted share of a core, in arrival order, nothing dropped', () => {
  const r = simulate(0.25, 5, { burstMs: 50 });
  const order: number[] = [];
  for (let i = 0; i < 400; i++) assert.equal(r.budget.submit(() => { order.push(i); r.spend(5); }), true);
  r.advance(10_000);
  // 10 s at 0.25 of a core = 2.5 s of busy time = 500 requests of 5 ms: all 400 ran, first come first served.
  assert.deepEqual(order, Array.from({ length: 400 }, (_, i) => i));
  const inFirst4s = r.ran.filter((t) => t <= 4_000).length;
  // 4 s × 0.25 = 1,000 ms → ~200 requests (+ the 50 ms burst and one estimate's overdraw per tick).
  assert.ok(inFirst4s >= 190 && inFirst4s <= 215, `requests run in the first 4 s: ${inFirst4s}`);
});

test('cpu budget: the measured busy time, not the estimate, decides (expensive requests run less often)', () => {
  const cheap = simulate(0.25, 1, { burstMs: 50 });
  const dear = simulate(0.25, 20, { burstMs: 50 });
  for (let i = 0; i < 2_000; i++) { cheap.request(); dear.request(); }
  cheap.advance(2_000);
  dear.advance(2_000);
  // 2 s × 0.25 = 500 ms of busy time: ~500 requests of 1 ms, ~25 of 20 ms.
  assert.ok(cheap.ran.length >= 450 && cheap.ran.length <= 560, `1 ms requests in 2 s: ${cheap.ran.length}`);
  assert.ok(dear.ran.length >= 22 && dear.ran.length <= 32, `20 ms requests in 2 s: ${dear.ran.length}`);
  assert.ok(dear.busy() <= 0.25 * 2_000 + 50 + 2 * 20, `busy ${dear.busy()} ms within the share (+ burst and one overdraw)`);
});

test('cpu budget: an idle thread answers at once; a full queue refuses; stop drops what waits', () => {
  const s = simulate(0.25, 5, { maxQueued: 3, burstMs: 10 });
  assert.equal(s.request(), true);
  assert.equal(s.ran.length, 1, 'ran at once while within the budget');
  assert.equal(s.request(), true);
  assert.equal(s.ran.length, 2, 'the burst allowance still had tokens');
  for (let i = 0; i < 3; i++) assert.equal(s.request(), true);
  assert.equal(s.budget.queued, 3);
  assert.equal(s.request(), false, 'a fourth waiting request is refused');
  s.budget.stop();
  assert.equal(s.budget.queued, 0);
  s.advance(1_000);
  assert.equal(s.ran.length, 2, 'dropped requests never run');
});

test('cpu budget: share must be in (0, 1]', () => {
  const base = { maxQueued: 1, busyMs: () => 0, now: () => 0 };
  assert.throws(() => new CpuBudget({ ...base, share: 0 }), RangeError);
  assert.throws(() => new CpuBudget({ ...base, share: 1.5 }), RangeError);
  assert.doesNotThrow(() => new CpuBudget({ ...base, share: 1 }));
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BadInputCounter } from '../../src/bad-input.js';
import { createLogger } from '../../src/log.js';
import { RejectReasons, validateFrames } from '../../src/pipeline/validate.js';
import type { Frame, SensorMeta } from '../../src/types.js';

const sensor: SensorMeta = { id: 's1', asset: 'pump', rateHz: 1000, unit: 'g', axes: ['x', 'y'] };

function frame(t0: number, n = 100, extra: Partial<Frame> = {}): Frame {
  const ch = () => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  return { sensorId: 's1', t0, rateHz: 1000, unit: 'g', axes: ['x', 'y'], channels: [ch(), ch()], ...extra };
}

function setup() {
  const badInput = new BadInputCounter(createLogger('silent'));
  const op = validateFrames({ sensor, range: 10, gapTolerancePeriods: 2, badInput });
  const run = (frames: Frame[]) => lastValueFrom(from(frames).pipe(op, toArray()));
  return { badInput, run };
}

test('continuous frames pass untouched, unmarked', async () => {
  const { badInput, run } = setup();
  const input = [frame(0), frame(100), frame(200.5), frame(299.2)]; // jitter within 2 periods (2 ms)
  const out = await run(input);
  assert.equal(out.length, 4);
  out.forEach((f, i) => assert.equal(f, input[i]));
  assert.equal(badInput.count(), 0);
});

test('each kind of malformed frame is rejected with its own reason and not passed on', async () => {
  const { badInput, run } = setup();
  const nan = frame(100);
  nan.channels[1][5] = NaN;
  const inf = frame(100);
  inf.channels[0][0] = -Infinity;
  const big = frame(100);
  big.channels[0][99] = 10.5;
  const cases: [Frame, string][] = [
    [nan, RejectReasons.nonFinite],
    [inf, RejectReasons.nonFinite],
    [big, RejectReasons.range],
    [{ ...frame(100), channels: [new Float32Array(100)] }, RejectReasons.channelCount],
    [{ ...frame(100), channels: [new Float32Array(100), new Float32Array(99)] }, RejectReasons.length],
    [frame(100, 0), RejectReasons.length],
    [frame(100, 100, { unit: 'm/s2' }), RejectReasons.unit],
    [frame(100, 100, { rateHz: 2000 }), RejectReasons.rate],
    [frame(100, 100, { axes: ['y', 'x'] }), RejectReasons.axes],
    [frame(100, 100, { sensorId: 'other' }), RejectReasons.sensor],
    [frame(NaN), RejectReasons.time],
  ];
  for (const [bad, reason] of cases) {
    const out = await run([frame(0), bad]);
    assert.equal(out.length, 1, reason);
    assert.equal(badInput.count('s1', reason) >= 1, true, `expected a "${reason}" reject`);
  }
  assert.equal(badInput.count(), cases.length);
});

test('a value exactly at the range limit is accepted', async () => {
  const { badInput, run } = setup();
  const f = frame(0);
  f.channels[0][3] = -10;
  assert.equal((await run([f])).length, 1);
  assert.equal(badInput.count(), 0);
});

test('timestamps going backwards (or repeating) are rejected', async () => {
  const { badInput, run } = setup();
  const out = await run([frame(1000), frame(1100), frame(1050), frame(1100), frame(1200)]);
  assert.deepEqual(out.map((f) => f.t0), [1000, 1100, 1200]);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 2);
  // A replayed old frame loses no samples: the stream still continues without a break.
  assert.deepEqual(out.map((f) => !!f.discontinuity), [false, false, false]);
});

test('a time gap beyond the tolerance, a seq jump, or a rejected frame marks a discontinuity', async () => {
  const { run } = setup();
  const bad = frame(300);
  bad.channels[0][0] = NaN;
  const out = await run([
    frame(0, 100, { seq: 1 }),
    frame(100, 100, { seq: 2 }), // continues
    frame(202.5, 100, { seq: 3 }), // 2.5 ms late at 1 kHz: beyond 2 periods
    frame(302.5, 100, { seq: 5 }), // seq jump
    bad, // rejected: samples lost
    frame(502.5, 100, { seq: 7 }),
    frame(602.5, 100, { seq: 8 }),
  ]);
  assert.deepEqual(out.map((f) => !!f.discontinuity), [false, false, true, true, true, false]);
});

test('seq counters wrapping at 16 bits are not gaps', async () => {
  const { run } = setup();
  const out = await run([frame(0, 100, { seq: 65534 }), frame(100, 100, { seq: 65535 }), frame(200, 100, { seq: 0 })]);
  assert.deepEqual(out.map((f) => !!f.discontinuity), [false, false, false]);
});

test('marbles: frames keep their timing, errors and completion pass through', () => {
  const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
  scheduler.run(({ cold, expectObservable }) => {
    const { badInput } = setup();
    const op = validateFrames({ sensor, range: 10, gapTolerancePeriods: 2, badInput });
    const bad = frame(100);
    bad.channels[0][1] = Infinity;
    const values = { a: frame(0), b: bad, c: frame(100) };
    expectObservable(cold('a 9ms b 9ms c|', values).pipe(op)).toBe('a 19ms c|', { a: values.a, c: { ...values.c, discontinuity: true } }); // samples were lost
    expectObservable(cold('a 5ms #', values, new Error('port closed')).pipe(op)).toBe('a 5ms #', values, new Error('port closed'));
  });
});

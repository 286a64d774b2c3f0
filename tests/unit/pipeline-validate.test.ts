import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BadInputCounter } from '../../src/bad-input.js';
import { createLogger } from '../../src/log.js';
import { NoteReasons, RejectReasons, validateFrames } from '../../src/pipeline/validate.js';
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
  const cases: [Frame, string][] = [
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

test('a bad sample drops that sample only (on every axis), with its own reason; the rest goes on in pieces that never stitch', async () => {
  const cases: [string, (f: Frame) => void, string][] = [
    ['NaN', (f) => { f.channels[1][5] = NaN; }, RejectReasons.nonFinite],
    ['-Infinity', (f) => { f.channels[0][5] = -Infinity; }, RejectReasons.nonFinite],
    ['beyond range', (f) => { f.channels[0][5] = 10.5; }, RejectReasons.range],
  ];
  for (const [what, spoil, reason] of cases) {
    const { badInput, run } = setup();
    const bad = frame(100);
    spoil(bad);
    const out = await run([frame(0), bad, frame(200)]);
    assert.deepEqual(out.map((f) => [f.t0, f.channels[0].length, !!f.discontinuity]), [[0, 100, false], [100, 5, false], [106, 94, true], [200, 100, false]], what);
    assert.equal(out[2].channels[1][0], bad.channels[1][6], 'the samples after the hole are the frame\'s own');
    assert.equal(badInput.count('s1', reason), 1, what);
    assert.equal(badInput.count(), 1, what);
  }
});

test('bad samples at a frame\'s end mean the next frame does not continue it; a frame of nothing but bad samples is dropped whole', async () => {
  const { badInput, run } = setup();
  const tail = frame(100);
  tail.channels[0][99] = NaN;
  const all = frame(300);
  all.channels[0].fill(1e6);
  const out = await run([frame(0), tail, frame(200), all, frame(400)]);
  assert.deepEqual(out.map((f) => [f.t0, f.channels[0].length, !!f.discontinuity]), [[0, 100, false], [100, 99, false], [200, 100, true], [400, 100, true]]);
  assert.equal(badInput.count(), 2);
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
  const out = await run([frame(1000), frame(1100), frame(1050), frame(1200)]);
  assert.deepEqual(out.map((f) => f.t0), [1000, 1100, 1200]);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 1);
  // The overlapping frame carried samples the stream does not have: no stitching across them.
  assert.deepEqual(out.map((f) => !!f.discontinuity), [false, false, true]);
});

test('a repeat of the last frame (a QoS 1 redelivery) is rejected and costs the stream nothing', async () => {
  const { badInput, run } = setup();
  const out = await run([frame(1000), frame(1100), frame(1100), frame(1200)]);
  assert.deepEqual(out.map((f) => [f.t0, !!f.discontinuity]), [[1000, false], [1100, false], [1200, false]]);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 1);
});

test('a time gap beyond the tolerance, a seq jump, or a rejected frame marks a discontinuity', async () => {
  const { run } = setup();
  const out = await run([
    frame(0, 100, { seq: 1 }),
    frame(100, 100, { seq: 2 }), // continues
    frame(202.5, 100, { seq: 3 }), // 2.5 ms late at 1 kHz: beyond 2 periods
    frame(302.5, 100, { seq: 5 }), // seq jump
    frame(402.5, 100, { seq: 6, unit: 'mg' }), // rejected: samples lost
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
    const values = { a: frame(0), b: frame(100, 100, { unit: 'mg' }), c: frame(100) };
    expectObservable(cold('a 9ms b 9ms c|', values).pipe(op)).toBe('a 19ms c|', { a: values.a, c: { ...values.c, discontinuity: true } }); // samples were lost
    expectObservable(cold('a 5ms #', values, new Error('port closed')).pipe(op)).toBe('a 5ms #', values, new Error('port closed'));
  });
});

// Issue 19: no timestamp can silence a sensor.
const NOW = Date.UTC(2026, 3, 1, 12);
const DAY = 86_400_000;

function timed(opts: { futureToleranceMs?: number | null; clockResetMs?: number } = {}) {
  const badInput = new BadInputCounter(createLogger('silent'));
  const op = validateFrames({ sensor, range: 10, gapTolerancePeriods: 2, badInput, now: () => NOW, ...opts });
  const run = (frames: Frame[]) => lastValueFrom(from(frames).pipe(op, toArray()));
  return { badInput, run };
}
const stream = (t0: number, count: number, extra: Partial<Frame> = {}) => Array.from({ length: count }, (_, i) => frame(t0 + i * 100, 100, extra));
const shape = (out: Frame[]) => out.map((f) => [f.t0 - NOW, !!f.discontinuity]);

test('a frame a day ahead, or at 1e300, is rejected without moving the clock: the next frames carry on', async () => {
  const { badInput, run } = timed();
  const out = await run([...stream(NOW - 300, 2), frame(NOW + DAY), frame(1e300), ...stream(NOW - 100, 3)]);
  // Whatever the wild frames carried is not in the stream, hence the gap.
  assert.deepEqual(shape(out), [[-300, false], [-200, false], [-100, true], [0, false], [100, false]]);
  assert.equal(badInput.count('s1', RejectReasons.future), 2);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 0);
});

test('a wild future frame in the middle of a stream leaves a gap where its samples were', async () => {
  const { run } = timed();
  const out = await run([...stream(NOW - 300, 2), frame(NOW + DAY), frame(NOW - 0)]);
  // frame(NOW - 100) was the wild one's place: the stream does not stitch across its lost samples.
  assert.deepEqual(shape(out), [[-300, false], [-200, false], [0, true]]);
});

test('futureToleranceMs is configurable and null turns the check off', async () => {
  assert.equal((await timed({ futureToleranceMs: 1_000 }).run([frame(NOW + 2_000)])).length, 0);
  assert.equal((await timed({ futureToleranceMs: 5_000 }).run([frame(NOW + 2_000)])).length, 1);
  assert.equal((await timed({ futureToleranceMs: null }).run([frame(NOW + DAY)])).length, 1);
});

test('a device clock restarting at 1970 restarts the stream (a gap), counted with its own reason; no frame is lost', async () => {
  const { badInput, run } = timed();
  const out = await run([...stream(NOW - 1_000, 3), ...stream(0, 4)]);
  assert.deepEqual(out.map((f) => [f.t0 < 1e6 ? f.t0 : f.t0 - NOW, !!f.discontinuity]),
    [[-1000, false], [-900, false], [-800, false], [0, true], [100, false], [200, false], [300, false]]);
  assert.equal(badInput.noted('s1', NoteReasons.clockReset), 1);
  assert.equal(badInput.count(), 0);
});

test('a clock set back by an hour restarts the stream too, with seq numbers continuing', async () => {
  const { badInput, run } = timed();
  const before = stream(NOW - 300, 3).map((f, i) => ({ ...f, seq: 10 + i }));
  const after = stream(NOW - 3_600_000, 3).map((f, i) => ({ ...f, seq: 13 + i }));
  const out = await run([...before, ...after]);
  assert.equal(out.length, 6);
  assert.deepEqual(out.map((f) => !!f.discontinuity), [false, false, false, true, false, false]);
  assert.equal(badInput.noted('s1', NoteReasons.clockReset), 1);
});

test('one stray frame from long ago is rejected and costs the stream nothing', async () => {
  const { badInput, run } = timed();
  const out = await run([...stream(NOW - 500, 2), frame(NOW - DAY), ...stream(NOW - 300, 2)]);
  assert.deepEqual(shape(out), [[-500, false], [-400, false], [-300, false], [-200, false]]);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 1);
  assert.equal(badInput.noted(), 0);
});

test('a small step back is an overlap: rejected only until the device time passes the old one, then a gap', async () => {
  const { badInput, run } = timed({ clockResetMs: 5_000 });
  // The stream reached NOW - 2000; the device clock steps back 1 s and carries on.
  const out = await run([...stream(NOW - 3_000, 10), ...stream(NOW - 3_000, 15)]);
  assert.deepEqual(out.slice(10).map((f) => [f.t0 - NOW, !!f.discontinuity]), [[-2000, true], [-1900, false], [-1800, false], [-1700, false], [-1600, false]]);
  assert.equal(badInput.count('s1', RejectReasons.backwards), 10);
});

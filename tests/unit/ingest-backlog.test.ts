// The backlog gate (src/ingest/decoders/backlog.ts): timeless samples that waited at a port open.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BacklogGate } from '../../src/ingest/decoders/backlog.js';
import type { Frame } from '../../src/types.js';

const block = (from: number, n: number): Frame => ({
  sensorId: 's', t0: 0, rateHz: 1000, unit: 'g', axes: ['x'], channels: [Float32Array.from({ length: n }, (_, i) => from + i)],
});

test('held frames are placed back to back so the last ends when it arrived; the clock continues there', () => {
  const g = new BacklogGate(1000, 10_000);
  g.open(10_000);
  for (let k = 0; k < 5; k++) assert.equal(g.hold(block(k * 100, 100), 10_005), true);
  const r = g.release()!;
  assert.deepEqual(r.frames.map((f) => f.t0), [9_505, 9_605, 9_705, 9_805, 9_905]);
  assert.equal(r.next, 10_005);
  assert.equal(r.samples, 500);
  assert.ok(Math.abs(r.excessMs - 495) < 1e-9, 'half a second more than 5 ms of real time could bring');
  assert.equal(g.hold(block(0, 1), 10_010), false, 'released: frames pass');
});

test('beyond the bound the oldest frames are dropped and the first kept one is a discontinuity', () => {
  const g = new BacklogGate(1000, 250);
  g.open(0);
  for (let k = 0; k < 5; k++) g.hold(block(k * 100, 100), 1);
  const r = g.release()!;
  assert.equal(r.droppedSamples, 300);
  assert.deepEqual(r.frames.map((f) => f.channels[0][0]), [300, 400]);
  assert.equal(r.frames[0].discontinuity, true);
});

test('a backlog reaching back before the previous session ended loses its oldest samples, exactly', () => {
  const g = new BacklogGate(1000, 10_000);
  g.open(1_000);
  for (let k = 0; k < 3; k++) g.hold(block(k * 100, 100), 1_000);
  // The previous session's samples ended at 850: only 150 ms of backlog can be true.
  const r = g.release(850)!;
  assert.equal(r.overlapSamples, 150);
  assert.deepEqual(r.frames.map((f) => [f.t0, f.channels[0].length, f.channels[0][0]]), [[850, 50, 150], [900, 100, 200]]);
  assert.equal(r.frames[0].discontinuity, true);
});

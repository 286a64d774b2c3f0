// The publisher's offline queue (what is kept for the topics while the broker is away): bounded,
// oldest diagnosis dropped first, alert events kept as long as any diagnosis can go instead.
import test from 'node:test';
import assert from 'node:assert/strict';
import { OfflineQueue, type QueuedMessage } from '../../src/publish/offline-queue.js';

const d = (n: number): QueuedMessage => ({ topic: 'b/a/s/diagnosis', payload: `d${n}`, kind: 'diagnosis' });
const e = (n: number): QueuedMessage => ({ topic: 'b/events/alert', payload: `e${n}`, kind: 'event' });

test('below the bound everything is kept in order', () => {
  const q = new OfflineQueue(10);
  [d(1), e(1), d(2)].forEach((m) => q.push(m));
  assert.equal(q.size, 3);
  assert.deepEqual(q.drain().map((m) => m.payload), ['d1', 'e1', 'd2']);
  assert.equal(q.size, 0);
  assert.deepEqual(q.drain(), []);
});

test('at the bound the oldest diagnosis goes, events stay, order is preserved', () => {
  const q = new OfflineQueue(4);
  [e(1), d(1), d(2), e(2), d(3), d(4), e(3)].forEach((m) => q.push(m));
  assert.equal(q.size, 4);
  assert.deepEqual(q.drain().map((m) => m.payload), ['e1', 'e2', 'd4', 'e3']);
  assert.deepEqual(q.dropped, { diagnosis: 3, event: 0 });
});

test('with only events left, the oldest event goes', () => {
  const q = new OfflineQueue(2);
  [e(1), e(2), e(3)].forEach((m) => q.push(m));
  assert.deepEqual(q.drain().map((m) => m.payload), ['e2', 'e3']);
  assert.deepEqual(q.dropped, { diagnosis: 0, event: 1 });
});

test('a long outage stays bounded and keeps the newest diagnoses', () => {
  const q = new OfflineQueue(100);
  for (let i = 0; i < 100_000; i++) q.push(i % 2000 === 0 ? e(i) : d(i));
  const out = q.drain();
  assert.equal(out.length, 100);
  // All 50 events survive (there was always a diagnosis to drop instead), with the 50 newest diagnoses.
  assert.equal(out.filter((m) => m.kind === 'event').length, 50);
  assert.deepEqual(out.filter((m) => m.kind === 'diagnosis').map((m) => m.payload).slice(-2), ['d99998', 'd99999']);
  assert.equal(q.dropped.diagnosis, 99_900);
  // And after draining, the queue is reusable.
  q.push(d(1));
  assert.deepEqual(q.drain().map((m) => m.payload), ['d1']);
});

test('surviving diagnoses are the newest ones', () => {
  const q = new OfflineQueue(3);
  for (let i = 0; i < 50; i++) q.push(d(i));
  assert.deepEqual(q.drain().map((m) => m.payload), ['d47', 'd48', 'd49']);
});

// SQLite is the outbox (issue 19): diagnoses and alert events reach MQTT from committed rows, marked only
// at the broker's PUBACK. A broker unreachable for any length of time, a restart, or rows the broker never
// acknowledged: everything goes out afterwards, in order, at a bounded rate, each message once per send
// with a stable id; what retention deleted before it was published is counted, never waited for.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../helpers/manual-clock.js';
import { deliveryHarness, diag } from '../helpers/delivery.js';

const T0 = Date.parse('2026-04-01T12:00:00Z');
const ALERTS = { threshold: 0.8, raiseK: 3, raiseN: 5, clearM: 5 };
const ids = (got: Array<{ payload: string }>) => got.map((g) => JSON.parse(g.payload).id as string);

test('broker unreachable at start: nothing is held in memory, everything committed goes out in order on connect', async (t) => {
  const h = await deliveryHarness(t, { offline: true, alerts: ALERTS });
  const g = await h.gateway();
  const sub = await h.live(['drsnd/gw-a/+/+/diagnosis', 'drsnd/gw-a/events/alert', 'drsnd/gw-a/+/+/alert']);
  for (let i = 0; i < 30; i++) h.commit(diag(T0 + i * 85, i >= 10 && i < 13 ? 'IR007' : 'Normal', 0.9));
  assert.equal(g.publisher.connected, false);
  assert.equal(g.publisher.stats.published, 0, 'nothing handed to the client while offline (mqtt.js would queue it in memory)');
  assert.equal(g.relay.stats.pending, 30);

  await h.gate.open();
  await sub.until((r) => r.filter((m) => m.topic.endsWith('/diagnosis')).length === 30 && r.some((m) => m.topic.endsWith('events/alert')), 'the backlog');
  const diagnoses = sub.got.filter((m) => m.topic.endsWith('/diagnosis'));
  const storeId = h.store.outbox.storeId;
  assert.deepEqual(ids(diagnoses), Array.from({ length: 30 }, (_, i) => `${storeId}-d${i + 1}`), 'every diagnosis once, in id order');
  const event = JSON.parse(sub.got.find((m) => m.topic.endsWith('events/alert'))!.payload);
  assert.equal(event.transition, 'raised');
  assert.match(event.id, new RegExp(`^${storeId}-e\\d+$`));
  assert.ok(sub.got.some((m) => m.topic.endsWith('/alert') && m.retain === false && JSON.parse(m.payload).className === 'IR007'), 'the retained alert state went out on connect');
  await sub.until(() => g.relay.stats.pending === 0 && h.store.outbox.cursor('diagnoses').acked === 30, 'the cursor recorded in SQLite');
  // Caught up and connected, a committed batch goes out within the commit itself, from memory: the
  // latency of normal operation has no SQLite read and no timer in it.
  const before = g.publisher.stats.published;
  h.commit(diag(T0 + 30 * 85), diag(T0 + 31 * 85));
  assert.equal(g.publisher.stats.published - before, 2, 'published synchronously by the commit');
  await sub.until((r) => r.filter((m) => m.topic.endsWith('/diagnosis')).length === 32, 'the next diagnoses');
});

test('a restart resends exactly what the broker never acknowledged, with the same ids', async (t) => {
  const h = await deliveryHarness(t);
  const first = await h.gateway();
  const sub = await h.live('drsnd/gw-a/+/+/diagnosis');
  h.commit(...Array.from({ length: 10 }, (_, i) => diag(T0 + i * 85)));
  await sub.until((r) => r.length === 10, 'ten diagnoses');
  await first.stop();
  // Offline while the daemon was down and after: rows pile up in SQLite only.
  await h.gate.close();
  h.commit(...Array.from({ length: 15 }, (_, i) => diag(T0 + (10 + i) * 85)));
  const second = await h.gateway();
  h.commit(...Array.from({ length: 5 }, (_, i) => diag(T0 + (25 + i) * 85)));
  assert.equal(second.relay.stats.pending, 20);
  await h.gate.open();
  await sub.until((r) => r.length === 30, 'the 20 unacknowledged');
  const storeId = h.store.outbox.storeId;
  assert.deepEqual(ids(sub.got), Array.from({ length: 30 }, (_, i) => `${storeId}-d${i + 1}`), 'no gap, no duplicate, in order');
});

test('a backlog goes out at most ratePerSec messages a second (virtual time)', async (t) => {
  const relayClock = new ManualClock();
  const h = await deliveryHarness(t, { offline: true, relayClock, mqtt: { outbox: { ratePerSec: 200, maxInflight: 2_000 } } });
  const g = await h.gateway();
  const sub = await h.live('drsnd/gw-a/+/+/diagnosis');
  h.commit(...Array.from({ length: 100 }, (_, i) => diag(T0 + i * 85)));
  await h.gate.open();
  await g.publisher.ready();
  await relayClock.advance(0);
  assert.equal(g.publisher.stats.published - 1, 20, 'a burst of a tenth of a second'); // - the retained health
  await relayClock.advance(99);
  assert.equal(g.publisher.stats.published - 1, 20 + 19, 'then one message every 5 ms');
  await relayClock.advance(301);
  assert.equal(g.publisher.stats.published - 1, 100);
  await sub.until((r) => r.length === 100, 'all of it');
  assert.deepEqual(ids(sub.got), Array.from({ length: 100 }, (_, i) => `${h.store.outbox.storeId}-d${i + 1}`));
});

test('rows retention deletes before the broker acknowledged them are counted as lost and skipped', async (t) => {
  // maxRows 70: tables of 10 rows; the ring holds 70 at most.
  const h = await deliveryHarness(t, { offline: true, store: { batchMaxRows: 10, retention: { maxRows: 70 } } });
  const g = await h.gateway();
  const sub = await h.live('drsnd/gw-a/+/+/diagnosis');
  const t1 = Date.now(); // recent windows: only the row cap deletes here, not maxAgeDays
  for (let b = 0; b < 12; b++) h.commit(...Array.from({ length: 10 }, (_, i) => diag(t1 + (b * 10 + i) * 85)));
  await h.store.prune();
  const kept = h.store.history({ limit: 1_000 }).map((r) => r.id).sort((a, b) => a - b);
  assert.ok(kept.length <= 70 && kept.length >= 60, `kept ${kept.length}`);
  assert.equal(h.store.outbox.cursor('diagnoses').lost, 120 - kept.length, 'every deleted row was unpublished: all counted');
  await h.gate.open();
  await sub.until((r) => r.length === kept.length, 'the rows still in SQLite');
  assert.deepEqual(ids(sub.got), kept.map((id) => `${h.store.outbox.storeId}-d${id}`));
  await sub.until(() => g.relay.stats.pending === 0, 'nothing pending: the gap does not block the cursor');
});

// Alert, health and diagnosis topics on a real mosquitto, from committed SQLite rows: retained alert set
// and cleared, events with stable ids, health with an MQTT 5 expiry, coalesced per batch and deferred
// within healthIntervalMs (virtual time), degraded while the store fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../helpers/manual-clock.js';
import { deliveryHarness, diag } from '../helpers/delivery.js';

const T0 = Date.parse('2026-04-01T12:00:00Z');
const ALERTS = { threshold: 0.8, raiseK: 3, raiseN: 5, clearM: 5 };

test('an alert raised, changed and cleared by committed diagnoses: retained while active, emptied after, three events with ids', async (t) => {
  const { gateway, commit, snapshot, live, store } = await deliveryHarness(t, { alerts: ALERTS });
  await gateway();
  const events = await live('drsnd/gw-a/events/alert');

  commit(diag(T0, 'IR007', 0.9), diag(T0 + 85, 'IR007', 0.9), diag(T0 + 170, 'IR007', 0.9));
  await events.until((r) => r.length === 1, 'the raise');
  let seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].retain, true);
  const alert = JSON.parse(seen[0].payload);
  const [stored] = store.alerts({ active: true });
  assert.deepEqual(
    { alertId: alert.alertId, state: alert.state, className: alert.className, raisedAt: alert.raisedAt, gatewayId: alert.gatewayId },
    { alertId: stored.id, state: 'active', className: 'IR007', raisedAt: new Date(T0 + 170).toISOString(), gatewayId: 'gw-a' },
  );

  commit(diag(T0 + 255, 'IR014', 0.95), diag(T0 + 340, 'IR014', 0.95), diag(T0 + 425, 'IR014', 0.95));
  await events.until((r) => r.length === 2, 'the change');
  seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  const changed = JSON.parse(seen[0].payload);
  assert.equal(changed.className, 'IR014');
  assert.equal(changed.previousClassName, 'IR007');
  assert.equal(changed.raisedAt, new Date(T0 + 170).toISOString(), 'a change keeps the raise time');

  commit(...Array.from({ length: 5 }, (_, i) => diag(T0 + 510 + i * 85)));
  await events.until((r) => r.length === 3, 'three transition events');
  seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  assert.deepEqual(seen, [], 'nothing retained after the clear');

  const payloads = events.got.map((e) => JSON.parse(e.payload));
  assert.deepEqual(payloads.map((p) => p.transition), ['raised', 'changed', 'cleared']);
  const dbEvents = store.alertEvents(stored.id);
  assert.deepEqual(payloads.map((p) => p.id), dbEvents.map((e) => `${store.outbox.storeId}-e${e.id}`), 'each event carries its row as stable id');
  assert.ok(events.got.every((e) => !e.retain && e.packet.qos === 1), 'events are QoS 1 and not retained');
  assert.deepEqual(await snapshot('drsnd/gw-a/events/alert'), [], 'a late subscriber gets no old events');
  assert.deepEqual(store.outbox.unackedClears(), [], 'the broker acknowledged the empty retained alert');
});

test('diagnoses are QoS 1, not retained, JSON with a stable id, gateway id and ISO times', async (t) => {
  const { gateway, commit, snapshot, live, store } = await deliveryHarness(t);
  await gateway();
  const sub = await live('drsnd/gw-a/+/+/diagnosis');
  commit(diag(T0), diag(T0 + 85, 'B007'));
  await sub.until((r) => r.length === 2, 'two diagnoses');
  const [a, b] = sub.got.map((g) => JSON.parse(g.payload));
  assert.equal(sub.got[0].topic, 'drsnd/gw-a/pump1/de/diagnosis');
  assert.ok(sub.got.every((g) => !g.retain && g.packet.qos === 1));
  assert.deepEqual([a.id, b.id], [`${store.outbox.storeId}-d1`, `${store.outbox.storeId}-d2`]);
  assert.equal(a.gatewayId, 'gw-a');
  assert.equal(a.windowEnd, '2026-04-01T12:00:00.000Z');
  assert.equal(a.windowStart, '2026-04-01T11:59:59.830Z');
  assert.deepEqual(a.probabilities, [0.123457, 0.876543]);
  assert.equal(b.className, 'B007');
  assert.equal(b.kind, 'fault');
  assert.deepEqual(await snapshot('drsnd/gw-a/pump1/de/diagnosis'), [], 'nothing retained');
});

test('health is retained with an MQTT 5 message expiry and follows diagnoses and alerts; 3.1.1 has no expiry', async (t) => {
  const { gateway, commit, snapshot, live } = await deliveryHarness(t, { alerts: ALERTS, mqtt: { healthIntervalMs: 0 } });
  await gateway();
  const events = await live('drsnd/gw-a/events/alert');
  commit(diag(T0), diag(T0 + 85));
  let [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  assert.equal(health.retain, true);
  const expiry = health.packet.properties?.messageExpiryInterval;
  assert.ok(typeof expiry === 'number' && expiry > 0 && expiry <= 120, `message expiry ${expiry}`);
  let h = JSON.parse(health.payload);
  assert.deepEqual([h.status, h.lastClass, h.time, h.activeAlert, h.problem], ['ok', 'Normal', new Date(T0 + 85).toISOString(), null, null]);

  commit(diag(T0 + 170, 'IR007', 0.9), diag(T0 + 255, 'IR007', 0.9), diag(T0 + 340, 'IR007', 0.9));
  await events.until((r) => r.length === 1, 'the raise');
  [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  h = JSON.parse(health.payload);
  assert.equal(h.status, 'fault');
  assert.equal(h.activeAlert.className, 'IR007');
  assert.equal(h.activeAlert.raisedAt, new Date(T0 + 340).toISOString());
});

test('on MQTT 3.1.1 health is still retained, without expiry', async (t) => {
  const { gateway, commit, snapshot } = await deliveryHarness(t, { mqtt: { protocolVersion: 4 } });
  await gateway();
  commit(diag(Date.now()));
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  assert.equal(health.retain, true);
  assert.equal(health.packet.properties?.messageExpiryInterval, undefined);
});

test('alerts open in the database at start are resumed and published as retained state, with the last diagnosis as health', async (t) => {
  const { gateway, snapshot, store, commit } = await deliveryHarness(t);
  commit(diag(T0, 'OR007@6', 0.97));
  const { alertId } = store.recordAlertEvent({ sensorId: 'de', asset: 'pump1', transition: 'raised', className: 'OR007@6', previousClassName: null, confidence: 0.97, at: T0 });
  await gateway();
  const [alert] = await snapshot('drsnd/gw-a/pump1/de/alert');
  const a = JSON.parse(alert.payload);
  assert.deepEqual([a.alertId, a.className, a.raisedAt], [alertId, 'OR007@6', new Date(T0).toISOString()]);
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  const h = JSON.parse(health.payload);
  assert.equal(h.status, 'fault');
  assert.equal(h.lastClass, 'OR007@6', 'the newest stored diagnosis');
  assert.equal(h.activeAlert.alertId, alertId);
});

test('a batch of diagnoses yields one health message per sensor; health waits for healthIntervalMs unless it has news (virtual time)', async (t) => {
  const clock = new ManualClock();
  const interval = 2_000;
  const { gateway, commit, live } = await deliveryHarness(t, { clock, mqtt: { healthIntervalMs: interval } });
  const g = await gateway();
  const sub = await live(['drsnd/gw-a/pump1/de/health', 'drsnd/gw-a/barrier']);
  const healths = () => sub.got.filter((m) => m.topic.endsWith('/health')).map((m) => JSON.parse(m.payload));
  // Whatever the gateway sent before this marker has reached the subscriber once the marker has (one
  // connection, one subscriber: the broker keeps the order), so "no health" is checked without a sleep.
  let barriers = 0;
  const barrier = async () => {
    const n = ++barriers;
    // Health goes out at the end of the turn of the commit: let that turn finish first.
    await new Promise((r) => setImmediate(r));
    g.publisher.publish('drsnd/gw-a/barrier', String(n), () => undefined);
    await sub.until((r) => r.filter((m) => m.topic.endsWith('barrier')).length === n, 'the barrier');
  };

  commit(...Array.from({ length: 20 }, (_, i) => diag(T0 + i * 85)));
  await barrier();
  assert.equal(healths().length, 1, 'one health for the whole batch');
  assert.equal(healths()[0].time, new Date(T0 + 19 * 85).toISOString(), 'with its newest window');
  await clock.advance(10);
  // Same class, same status: nothing new to say, so it waits for the interval.
  commit(diag(T0 + 20 * 85));
  await clock.advance(interval - 11);
  commit(diag(T0 + 21 * 85));
  await barrier();
  assert.equal(healths().length, 1, 'no health within the interval');
  await clock.advance(1);
  await barrier();
  assert.equal(healths().length, 2, 'the deferred health when the interval ends');
  assert.equal(healths()[1].time, new Date(T0 + 21 * 85).toISOString(), 'the deferred health carries the newest window');
  // A new class is news: sent at once, although the interval has just restarted.
  commit(diag(T0 + 22 * 85, 'B007'));
  await barrier();
  assert.equal(healths().length, 3);
  assert.equal(healths()[2].lastClass, 'B007');
  // A deferred health goes out at stop, before offline, so the retained state is the newest.
  commit(diag(T0 + 23 * 85, 'B007'));
  await barrier();
  assert.equal(healths().length, 3);
  await g.stop();
  await sub.until((r) => healths().length === 4, 'the health flushed at stop');
  assert.equal(healths()[3].time, new Date(T0 + 23 * 85).toISOString());
});

test('while the store cannot write, every sensor\'s health is degraded with the reason; ok again once it can', async (t) => {
  const { gateway, commit, live, store } = await deliveryHarness(t, { mqtt: { healthIntervalMs: 0 } });
  await gateway();
  const sub = await live('drsnd/gw-a/pump1/de/health');
  commit(diag(T0));
  await sub.until((r) => r.length === 1, 'health ok');
  const db = store.database!;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`); // a full disk, as far as SQLite can tell
  commit(...Array.from({ length: 200 }, (_, i) => diag(T0 + (i + 1) * 85)));
  await sub.until((r) => JSON.parse(r.at(-1)!.payload).status === 'degraded', 'health degraded');
  assert.match(JSON.parse(sub.got.at(-1)!.payload).problem, /^storage: SQLITE_FULL/);
  db.pragma(`max_page_count = ${pages * 100}`);
  commit(diag(T0 + 300 * 85));
  await sub.until((r) => JSON.parse(r.at(-1)!.payload).status === 'ok', 'health ok again');
  assert.equal(JSON.parse(sub.got.at(-1)!.payload).problem, null);
});

// The outbox at the edges of a connection (issue 19, the broker-kill e2e). A connection that drops again
// while mqtt.js is still resending what the broker had not acknowledged: mqtt.js reports itself
// connected from the CONNACK on, but holds every new publish in a queue until its replay of stored
// messages is through, and when the connection closes first it fails that queue with "Connection
// closed". Those rows were never sent; they must go out on the next connection, not be counted as
// refused and skipped. And a clean stop: what is committed goes out before it, not at the next start.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Packet } from 'mqtt';
import { deliveryHarness, diag } from '../helpers/delivery.js';
import { ManualClock } from '../helpers/manual-clock.js';

const T0 = Date.parse('2026-04-01T12:00:00Z');

test('rows committed while mqtt.js replays its unacknowledged messages survive the connection dropping again', async (t) => {
  const h = await deliveryHarness(t);
  const g = await h.gateway();
  const sub = await h.live('drsnd/gw-a/+/+/diagnosis');
  const storeId = h.store.outbox.storeId;

  // Ten rows handed to mqtt.js, then the connection is cut in the same turn: none can be acknowledged,
  // so mqtt.js keeps all ten and resends them, one PUBACK at a time, after the next CONNACK.
  const client = g.publisher.client!;
  const closed = () => new Promise<void>((resolve) => client.once('close', () => resolve()));
  h.commit(...Array.from({ length: 10 }, (_, i) => diag(T0 + i * 85)));
  await Promise.all([closed(), h.gate.close()]);
  const holdAtConnack = (p: Packet) => { if (p.cmd === 'connack') h.gate.hold(); };
  client.on('packetreceive', holdAtConnack);
  await h.gate.open();
  // Connected, and the replay stuck on its first message: the broker answers nothing more.
  while (!g.publisher.connected) await sleep(5);
  client.off('packetreceive', holdAtConnack);
  await sleep(50);
  assert.equal(g.publisher.connected, true);
  // Ten more rows while the replay is stuck: the relay sees a connected client and hands them over.
  h.commit(...Array.from({ length: 10 }, (_, i) => diag(T0 + (10 + i) * 85)));
  // The connection drops before the replay is through; then the broker is back for good.
  await Promise.all([closed(), h.gate.close()]);
  await h.gate.open();

  await sub.until(() => g.relay.stats.pending === 0, 'the relay caught up');
  assert.equal(g.relay.stats.refused, 0, 'a connection that closed is no refusal: nothing skipped');
  const want = Array.from({ length: 20 }, (_, i) => `${storeId}-d${i + 1}`);
  await sub.until((r) => want.every((id) => r.some((m) => JSON.parse(m.payload).id === id)), 'all twenty rows on MQTT');
  assert.deepEqual([...new Set(sub.got.map((m) => JSON.parse(m.payload).id as string))].sort(), [...want].sort(), 'nothing else');
  await sub.until(() => h.store.outbox.cursor('diagnoses').acked === 20, 'the cursor at the last row in SQLite');
});

test('a clean stop sends what is committed but still waits for the pump', async (t) => {
  // The relay's timers in virtual time, never advanced: the pump the connect scheduled never runs.
  const relayClock = new ManualClock();
  const h = await deliveryHarness(t, { offline: true, relayClock });
  const g = await h.gateway();
  const sub = await h.live('drsnd/gw-a/+/+/diagnosis');
  h.commit(...Array.from({ length: 5 }, (_, i) => diag(T0 + i * 85)));
  await h.gate.open();
  await g.publisher.ready();
  assert.equal(g.relay.stats.pending, 5, 'behind: the rows wait for the pump');
  await g.relay.stop();
  assert.equal(g.relay.stats.pending, 0, 'sent and acknowledged within the stop');
  assert.equal(h.store.outbox.cursor('diagnoses').acked, 5, 'the cursor written at stop');
  await sub.until((r) => r.length === 5, 'the five rows on MQTT');
});

test('a stop while the broker is unreachable says how many rows wait for the next start', async (t) => {
  const h = await deliveryHarness(t, { offline: true });
  const g = await h.gateway();
  h.commit(...Array.from({ length: 3 }, (_, i) => diag(T0 + i * 85)));
  await g.relay.stop();
  assert.equal(g.relay.stats.pending, 3, 'the stop line\'s unpublished count');
  assert.equal(h.store.outbox.cursor('diagnoses').acked, 0);
});

// Alert, health and diagnosis topics on a real mosquitto: retained alert set and cleared, health
// carries an MQTT 5 expiry, diagnoses and events are not retained.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Publisher } from '../../src/publish/publisher.js';
import type { AlertEvent, Diagnosis } from '../../src/types.js';
import { startTestBroker } from '../helpers/broker.js';

interface Received { topic: string; payload: string; retain: boolean; packet: IPublishPacket }

async function setup(t: test.TestContext, mqtt: Record<string, unknown> = {}) {
  const broker = await startTestBroker();
  const clients: MqttClient[] = [];
  const settings = settingsSchema.parse({ gateway: { id: 'gw-a' }, mqtt: { url: broker.url, reconnectMs: 100, healthExpirySec: 120, ...mqtt } });
  const pub = new Publisher({ settings, log: createLogger('silent') });
  t.after(async () => {
    await pub.stop();
    for (const c of clients) await c.endAsync(true);
    await broker.stop();
  });
  await pub.start();
  await pub.ready();

  /**
   * Subscribes a fresh client and returns what it got once the broker has delivered everything
   * retained: a marker published by the same client after SUBACK arrives after any retained message.
   */
  const snapshot = async (filter: string): Promise<Received[]> => {
    const c = await connectAsync(broker.url, { protocolVersion: 5, clientId: `snap-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
    clients.push(c);
    const got: Received[] = [];
    const marker = `marker/${c.options.clientId}`;
    const done = new Promise<void>((resolve) => c.on('message', (topic, payload, packet) => {
      if (topic === marker) resolve();
      else got.push({ topic, payload: payload.toString(), retain: packet.retain, packet });
    }));
    await c.subscribeAsync([filter, marker], { qos: 1 });
    await c.publishAsync(marker, 'x', { qos: 1 });
    await done;
    return got;
  };

  /** A live subscriber that keeps collecting. */
  const live = async (filter: string) => {
    const c = await connectAsync(broker.url, { protocolVersion: 5, clientId: `live-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
    clients.push(c);
    const got: Received[] = [];
    c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain, packet }));
    await c.subscribeAsync(filter, { qos: 1, rap: true });
    const until = async (pred: (r: Received[]) => boolean, what: string) => {
      const deadline = Date.now() + 8_000;
      while (!pred(got)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(got.map((g) => [g.topic, g.payload]))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    return { got, until };
  };
  return { pub, snapshot, live };
}

const ev = (transition: AlertEvent['transition'], className: string, previousClassName: string | null, at: number): AlertEvent =>
  ({ sensorId: 'de', asset: 'pump1', transition, className, previousClassName, confidence: 0.91, at });

function diag(windowEnd: number, className = 'Normal'): Diagnosis {
  return {
    sensorId: 'de', asset: 'pump1', channel: 'x', windowStart: windowEnd - 170, windowEnd,
    classIndex: className === 'Normal' ? 0 : 1, className, kind: className === 'Normal' ? 'normal' : 'fault',
    probabilities: [0.123456789, 0.876543211], confidence: 0.876543211, modelId: 'drsn-cw-cwru', modelVersion: '1.0.0', latencyMs: 12.3456,
  };
}

test('an active alert is retained for late subscribers and an empty retained message removes it', async (t) => {
  const { pub, snapshot, live } = await setup(t);
  const events = await live('drsnd/gw-a/events/alert');
  const at = Date.parse('2026-04-01T12:00:00Z');

  pub.publishAlertEvent(ev('raised', 'IR007', null, at), 42);
  let seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].retain, true);
  const alert = JSON.parse(seen[0].payload);
  assert.deepEqual(
    { alertId: alert.alertId, state: alert.state, className: alert.className, raisedAt: alert.raisedAt, gatewayId: alert.gatewayId },
    { alertId: 42, state: 'active', className: 'IR007', raisedAt: '2026-04-01T12:00:00.000Z', gatewayId: 'gw-a' },
  );

  pub.publishAlertEvent(ev('changed', 'IR014', 'IR007', at + 1000), 42);
  seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  const changed = JSON.parse(seen[0].payload);
  assert.equal(changed.className, 'IR014');
  assert.equal(changed.previousClassName, 'IR007');
  assert.equal(changed.raisedAt, '2026-04-01T12:00:00.000Z', 'a change keeps the raise time');

  pub.publishAlertEvent(ev('cleared', 'IR014', null, at + 2000), 42);
  await events.until((r) => r.length === 3, 'three transition events');
  seen = await snapshot('drsnd/gw-a/pump1/de/alert');
  assert.deepEqual(seen, [], 'nothing retained after the clear');

  assert.deepEqual(events.got.map((e) => JSON.parse(e.payload).transition), ['raised', 'changed', 'cleared']);
  assert.ok(events.got.every((e) => !e.retain && e.packet.qos === 1), 'events are QoS 1 and not retained');
  assert.deepEqual(await snapshot('drsnd/gw-a/events/alert'), [], 'a late subscriber gets no old events');
});

test('health is retained with an MQTT 5 message expiry and follows diagnoses and alerts', async (t) => {
  const { pub, snapshot } = await setup(t);
  const t0 = Date.parse('2026-04-01T12:00:00Z');
  pub.publishDiagnoses([diag(t0), diag(t0 + 85)]);
  let [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  assert.equal(health.retain, true);
  const expiry = health.packet.properties?.messageExpiryInterval;
  assert.ok(typeof expiry === 'number' && expiry > 0 && expiry <= 120, `message expiry ${expiry}`);
  let h = JSON.parse(health.payload);
  assert.equal(h.status, 'ok');
  assert.equal(h.lastClass, 'Normal');
  assert.equal(h.time, new Date(t0 + 85).toISOString(), 'health reports the newest window');
  assert.equal(h.activeAlert, null);

  pub.publishAlertEvent(ev('raised', 'IR007', null, t0 + 100), 7);
  [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  h = JSON.parse(health.payload);
  assert.equal(h.status, 'fault');
  assert.deepEqual(h.activeAlert, { alertId: 7, className: 'IR007', raisedAt: new Date(t0 + 100).toISOString() });
});

test('on MQTT 3.1.1 health is still retained, without expiry', async (t) => {
  const { pub, snapshot } = await setup(t, { protocolVersion: 4 });
  pub.publishDiagnoses([diag(Date.now())]);
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  assert.equal(health.retain, true);
  assert.equal(health.packet.properties?.messageExpiryInterval, undefined);
});

test('diagnoses are QoS 1, not retained, JSON with gateway id and ISO times', async (t) => {
  const { pub, snapshot, live } = await setup(t);
  const sub = await live('drsnd/gw-a/+/+/diagnosis');
  const t0 = Date.parse('2026-04-01T12:00:00Z');
  pub.publishDiagnoses([diag(t0), diag(t0 + 85, 'B007')]);
  await sub.until((r) => r.length === 2, 'two diagnoses');
  const [a, b] = sub.got.map((g) => JSON.parse(g.payload));
  assert.equal(sub.got[0].topic, 'drsnd/gw-a/pump1/de/diagnosis');
  assert.ok(sub.got.every((g) => !g.retain && g.packet.qos === 1));
  assert.equal(a.gatewayId, 'gw-a');
  assert.equal(a.windowEnd, '2026-04-01T12:00:00.000Z');
  assert.equal(a.windowStart, '2026-04-01T11:59:59.830Z');
  assert.deepEqual(a.probabilities, [0.123457, 0.876543]);
  assert.equal(b.className, 'B007');
  assert.equal(b.kind, 'fault');
  assert.deepEqual(await snapshot('drsnd/gw-a/pump1/de/diagnosis'), [], 'nothing retained');
});

test('alerts restored from the store at start-up are published as retained state', async (t) => {
  const { pub, snapshot } = await setup(t);
  pub.restoreAlerts([{ id: 9, sensorId: 'de', asset: 'pump1', className: 'OR007@6', raisedAt: Date.parse('2026-04-01T10:00:00Z'), lastChangedAt: Date.parse('2026-04-01T10:05:00Z'), peakConfidence: 0.97 }]);
  const [alert] = await snapshot('drsnd/gw-a/pump1/de/alert');
  const a = JSON.parse(alert.payload);
  assert.deepEqual([a.alertId, a.className, a.raisedAt, a.changedAt], [9, 'OR007@6', '2026-04-01T10:00:00.000Z', '2026-04-01T10:05:00.000Z']);
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  const h = JSON.parse(health.payload);
  assert.equal(h.status, 'fault');
  assert.equal(h.lastClass, null, 'no diagnosis yet since the restart');
});

test('a batch of diagnoses yields one health message per sensor, not one per diagnosis', async (t) => {
  const { pub, live } = await setup(t);
  const sub = await live('drsnd/gw-a/#');
  const t0 = Date.parse('2026-04-01T12:00:00Z');
  pub.publishDiagnoses(Array.from({ length: 20 }, (_, i) => diag(t0 + i * 85)));
  await Promise.resolve(); // health goes out at the end of the current turn
  pub.publishAlertEvent(ev('raised', 'IR007', null, t0 + 2_000), 1);
  await sub.until((r) => r.filter((m) => m.topic.endsWith('/health')).length === 2, 'two health messages');
  const kinds = sub.got.map((m) => m.topic.split('/').at(-1)).filter((k) => k !== 'status');
  const firstEvent = kinds.indexOf('alert', 20);
  assert.equal(kinds.slice(0, 20).filter((k) => k === 'diagnosis').length, 20);
  assert.equal(kinds.slice(0, firstEvent).filter((k) => k === 'health').length, 1, 'one health for the whole batch');
  const healths = sub.got.filter((m) => m.topic.endsWith('/health')).map((m) => JSON.parse(m.payload));
  assert.equal(healths[0].time, new Date(t0 + 19 * 85).toISOString());
  assert.equal(healths[1].status, 'fault');
});

test('the alert tracker\'s view marks health as fault when no alert event was seen', async (t) => {
  const { pub, snapshot } = await setup(t);
  const d = diag(Date.parse('2026-04-01T12:00:00Z'), 'IR007');
  pub.publishDiagnosis(d);
  pub.publishHealth(d, 'IR007');
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  const h = JSON.parse(health.payload);
  assert.equal(h.status, 'fault');
  assert.deepEqual(h.activeAlert, { alertId: null, className: 'IR007', raisedAt: null });
});

test('health goes out at once when it says something new, otherwise at most once per healthIntervalMs', async (t) => {
  const interval = 2_000;
  const { pub, live } = await setup(t, { healthIntervalMs: interval });
  const sub = await live('drsnd/gw-a/pump1/de/health');
  const healths = () => sub.got.map((m) => JSON.parse(m.payload));
  const t0 = Date.parse('2026-04-01T12:00:00Z');
  pub.publishDiagnoses([diag(t0)]);
  await sub.until((r) => r.length === 1, 'the first health');
  // Same class, same status: nothing new to say, so it waits for the interval.
  pub.publishDiagnoses([diag(t0 + 85)]);
  await new Promise((r) => setTimeout(r, 20));
  pub.publishDiagnoses([diag(t0 + 170)]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sub.got.length, 1, 'no health for a diagnosis that changes nothing, within the interval');
  await sub.until((r) => r.length === 2, 'the deferred health');
  const deferredAt = Date.now();
  assert.equal(healths()[1].time, new Date(t0 + 170).toISOString(), 'the deferred health carries the newest window');
  // A new class is news: sent without waiting, although the interval has just restarted.
  pub.publishDiagnoses([diag(t0 + 255, 'B007')]);
  await sub.until((r) => r.length === 3, 'the health for the new class');
  assert.ok(Date.now() - deferredAt < interval * 0.75, `sent at once, not after the interval (${Date.now() - deferredAt} ms)`);
  assert.equal(healths()[2].lastClass, 'B007');
});

test('a deferred health is sent at stop, before offline, so the retained state is the newest', async (t) => {
  const { pub, snapshot, live } = await setup(t, { healthIntervalMs: 60_000 });
  const sub = await live('drsnd/gw-a/pump1/de/health');
  const t0 = Date.parse('2026-04-01T12:00:00Z');
  pub.publishDiagnoses([diag(t0)]);
  await sub.until((r) => r.length === 1, 'the first health');
  pub.publishDiagnoses([diag(t0 + 85)]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sub.got.length, 1, 'deferred: the interval has not passed');
  await pub.stop();
  const [health] = await snapshot('drsnd/gw-a/pump1/de/health');
  assert.equal(JSON.parse(health.payload).time, new Date(t0 + 85).toISOString(), 'the retained health is the newest');
});

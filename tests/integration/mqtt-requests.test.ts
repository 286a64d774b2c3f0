// Request/response over MQTT on a real mosquitto with the delivery path as the app wires it: an MQTT 5
// requester gets its reply on its response topic with its correlation data, a 3.1.1 requester on
// <base>/response/<op> with its transaction id; bad requests get a stable code; an acknowledgement
// over MQTT and one by `drsnd alerts ack` (another connection to the database, as the CLI process has)
// both reach MQTT as an event and on the retained alert.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { MqttRequests } from '../../src/api/mqtt-requests.js';
import { ReadPool } from '../../src/api/read-pool.js';
import { ApiService } from '../../src/api/service.js';
import { alertsCommand } from '../../src/cli/alerts.js';
import { createLogger } from '../../src/log.js';
import { deliveryHarness, diag } from '../helpers/delivery.js';

const T0 = 1_700_000_000_000;

test('MQTT requests: 5 and 3.1.1 replies, errors with codes, acks over MQTT and from the CLI published as events and on the retained alert', { timeout: 60_000 }, async (t) => {
  const h = await deliveryHarness(t, { alerts: { raiseK: 2, raiseN: 3 } });
  const g = await h.gateway();
  const log = createLogger('silent');
  const reads = new ReadPool({ path: h.store.path, maxPending: 16, log });
  await reads.start();
  t.after(() => reads.stop());
  const api = new ApiService({
    reads, maxPageSize: 100,
    live: {
      sensors: () => g.alerts.sensorStates(),
      readiness: () => ({ broker: { ok: g.publisher.connected }, store: { ok: true }, engine: { ok: true } }),
      model: () => ({}),
      acknowledge: (id, by) => g.alerts.acknowledge(id, by),
    },
  });
  const requests = new MqttRequests({ publisher: g.publisher, api, log });
  requests.start();
  t.after(() => requests.stop());
  await h.flushed(); // a QoS 1 marker on the same connection: acknowledged after the SUBSCRIBE
  h.commit(...Array.from({ length: 10 }, (_, i) => diag(T0 + i * 85)), diag(T0 + 900, 'IR007', 0.95), diag(T0 + 985, 'IR007', 0.95));
  const alertId = h.store.alerts({ active: true })[0].id;
  const events = await h.live(['drsnd/gw-a/events/alert', 'drsnd/gw-a/pump1/de/alert']);

  // MQTT 5: response topic and correlation data.
  const v5 = await connectAsync(h.broker.url, { protocolVersion: 5, clientId: 'req-v5', reconnectPeriod: 0 });
  t.after(() => v5.endAsync(true));
  const v5got: Array<{ topic: string; body: any; corr?: Buffer }> = [];
  v5.on('message', (topic, payload, packet) => v5got.push({ topic, body: JSON.parse(payload.toString()), corr: packet.properties?.correlationData as Buffer | undefined }));
  await v5.subscribeAsync('me/replies', { qos: 1 });
  const ask5 = async (op: string, params: unknown, corr: string) => {
    await v5.publishAsync(`drsnd/gw-a/request/${op}`, JSON.stringify(params), { qos: 1, properties: { responseTopic: 'me/replies', correlationData: Buffer.from(corr) } });
    const deadline = Date.now() + 5_000;
    while (!v5got.some((m) => m.corr?.toString() === corr)) {
      if (Date.now() > deadline) throw new Error(`no reply to ${op} (${corr})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return v5got.find((m) => m.corr?.toString() === corr)!.body;
  };
  const hist = await ask5('history', { limit: 5 }, 'c1');
  assert.equal(hist.ok, true);
  assert.equal(hist.result.items.length, 5);
  assert.equal(hist.result.items[0].className, 'IR007', 'newest first');
  assert.ok(hist.result.next);
  const page2 = await ask5('history', { limit: 5, cursor: hist.result.next }, 'c2');
  assert.ok(page2.result.items.every((d: { id: number }) => d.id < hist.result.items[4].id));
  const bad = await ask5('history', { limit: 'many' }, 'c3');
  assert.deepEqual([bad.ok, bad.error.code], [false, 'DRSND_USAGE']);
  assert.equal((await ask5('reboot', {}, 'c4')).error.code, 'DRSND_USAGE');
  assert.equal((await ask5('alert', { alertId: 999 }, 'c5')).error.code, 'DRSND_NOT_FOUND');
  const one = await ask5('alert', { alertId }, 'c6');
  assert.equal(one.result.events[0].transition, 'raised');
  assert.equal((await ask5('sensors', {}, 'c7')).result.items[0].status, 'fault');

  // MQTT 3.1.1: the id in the payload, the reply on <base>/response/<op>.
  const v4 = await connectAsync(h.broker.url, { protocolVersion: 4, clientId: 'req-v4', reconnectPeriod: 0 });
  t.after(() => v4.endAsync(true));
  const v4got: any[] = [];
  v4.on('message', (_topic, payload) => v4got.push(JSON.parse(payload.toString())));
  await v4.subscribeAsync('drsnd/gw-a/response/+', { qos: 1 });
  await v4.publishAsync('drsnd/gw-a/request/alerts', JSON.stringify({ id: 'tx-1', state: 'active' }), { qos: 1 });
  await v4.publishAsync('drsnd/gw-a/request/alerts', 'not json', { qos: 1 });
  await v4.publishAsync('drsnd/gw-a/request/ack', JSON.stringify({ id: 'tx-2', alertId, by: 'bob' }), { qos: 1 });
  const deadline = Date.now() + 5_000;
  while (v4got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const byId = (id: unknown) => v4got.find((m) => m.id === id);
  assert.equal(byId('tx-1').result.items[0].id, alertId);
  assert.equal(byId(null).error.code, 'DRSND_USAGE', 'unparsable: an error reply without id');
  assert.equal(byId('tx-2').result.acknowledgedBy, 'bob');
  await events.until((r) => r.some((m) => m.topic.endsWith('events/alert') && JSON.parse(m.payload).by === 'bob'), 'the MQTT ack as an event');
  await events.until((r) => r.some((m) => m.topic.endsWith('/alert') && m.payload !== '' && JSON.parse(m.payload).acknowledgedBy === 'bob'), 'the retained alert acknowledged by bob');

  // `drsnd alerts ack` writes the database from its own process; the daemon publishes it within ~2 s.
  let text = '';
  const out = { write: (s: string) => { text += s; return true; } } as unknown as NodeJS.WritableStream;
  assert.equal(await alertsCommand(['ack', String(alertId), '--by', 'carol'], { settings: h.settings, out, err: out, cwd: process.cwd() }), 0, text);
  await events.until((r) => r.some((m) => m.topic.endsWith('events/alert') && JSON.parse(m.payload).by === 'carol'), 'the CLI ack as an event', 8_000);
  await events.until((r) => r.some((m) => m.topic.endsWith('/alert') && m.payload !== '' && JSON.parse(m.payload).acknowledgedBy === 'carol'), 'the retained alert acknowledged by carol', 8_000);
  const acks = events.got.filter((m) => m.topic.endsWith('events/alert') && JSON.parse(m.payload).transition === 'acknowledged');
  assert.equal(acks.length, 2, 'each acknowledgement once');
  assert.equal(requests.stats.requests, 10);
});

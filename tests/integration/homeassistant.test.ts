// Home Assistant discovery on a real mosquitto: retained config messages, one device per asset with
// four entities per sensor, availability on <base>/status, state from the retained health topic whose
// fields the templates read, and everything sent again when Home Assistant announces `online`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.js';
import { HomeAssistantDiscovery } from '../../src/integrations/homeassistant.js';
import { waitFor } from '../helpers/capture.js';
import { deliveryHarness, diag, SENSOR } from '../helpers/delivery.js';

test('Home Assistant discovery: a device per asset, four entities per sensor, retained, sent again when HA comes online', { timeout: 30_000 }, async (t) => {
  const h = await deliveryHarness(t);
  const g = await h.gateway();
  const other = { ...SENSOR, id: 'nde', axes: ['x'] };
  const ha = new HomeAssistantDiscovery({
    settings: { enabled: true, discoveryPrefix: 'homeassistant' }, gatewayId: 'gw-a', sensors: [SENSOR, other],
    publisher: g.publisher, modelId: 'drsn-cw-cwru', log: createLogger('silent'),
  });
  ha.start();
  t.after(() => ha.stop());
  // A topic the gateway's connection also takes, to know when it has handled what came before on it
  // (subscribed before the first flushed() marker, which the broker acknowledges after the SUBSCRIBE).
  let barriers = 0;
  t.after(g.publisher.subscribe('test/ha-barrier', () => { barriers++; }));
  h.commit(diag(1_700_000_000_000, 'IR007', 0.95));

  // A Home Assistant that starts later finds the retained configs.
  const configs = (await h.snapshot('homeassistant/#')).filter((m) => m.topic.endsWith('/config'));
  assert.equal(configs.length, 8);
  assert.ok(configs.every((m) => m.retain));
  const parsed = configs.map((m) => ({ topic: m.topic, c: JSON.parse(m.payload) }));
  assert.deepEqual(new Set(parsed.map((p) => JSON.stringify(p.c.device.identifiers))), new Set(['["drsnd_gw-a_pump1"]']), 'one device: the asset');
  assert.equal(new Set(parsed.map((p) => p.c.unique_id)).size, 8, 'unique ids');
  const status = parsed.find((p) => p.topic === 'homeassistant/sensor/drsnd_gw_a/de_status/config')!.c;
  assert.equal(status.state_topic, 'drsnd/gw-a/pump1/de/health');
  assert.equal(status.availability_topic, 'drsnd/gw-a/status');
  assert.ok(parsed.some((p) => p.topic === 'homeassistant/binary_sensor/drsnd_gw_a/nde_alert/config' && p.c.device_class === 'problem'));

  // The fields the templates read are in the retained health message.
  const [health] = (await h.snapshot('drsnd/gw-a/pump1/de/health')).map((m) => JSON.parse(m.payload));
  for (const p of parsed.filter((x) => x.topic.includes('/de_'))) {
    const field = /value_json\.(\w+)/.exec(p.c.value_template)![1];
    assert.ok(field in health, `${p.topic}: health has ${field}`);
  }
  assert.equal(health.lastClass, 'IR007');

  // HA restarts and says online: the configs come again (live, not only as retained).
  // With the flushed() markers: everything the gateway published before one has reached this subscriber.
  const live = await h.live(['homeassistant/+/+/+/config', 'drsnd/gw-a/flushed']);
  const liveConfigs = () => live.got.filter((m) => m.topic.endsWith('/config'));
  const markers = () => live.got.filter((m) => m.topic === 'drsnd/gw-a/flushed').length;
  await live.until(() => liveConfigs().length === 8, 'the retained configs on subscribe');
  const c = await (await import('mqtt')).connectAsync(h.broker.url, { clientId: 'fake-ha', reconnectPeriod: 0 });
  t.after(() => c.endAsync(true));
  await c.publishAsync('homeassistant/status', 'online', { qos: 1 });
  // (The subscriber keeps the retain flag as published: resent configs are retained too.)
  await live.until(() => liveConfigs().length === 16, 'the configs sent again');
  // A barrier, not a sleep: the gateway gets offline, then the barrier, in order on one connection; once
  // it has handled the barrier and its output is flushed to this subscriber, all offline caused is here.
  await c.publishAsync('homeassistant/status', 'offline', { qos: 1 });
  await c.publishAsync('test/ha-barrier', 'x', { qos: 1 });
  await waitFor(() => barriers === 1, 'the gateway to handle what followed offline');
  const before = markers();
  await h.flushed();
  await live.until(() => markers() > before, 'the gateway\'s output so far');
  assert.equal(liveConfigs().length, 16, 'offline triggers nothing');
});

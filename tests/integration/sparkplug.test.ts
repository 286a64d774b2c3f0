// Sparkplug B on a real mosquitto, decoded with Eclipse Tahu's own decoder (sparkplug-payload): NBIRTH
// with bdSeq and the rebirth control, a DBIRTH per sensor, DDATA with what changed, seq counting from
// the birth, rebirth on the NCMD, NDEATH as the last will when the connection drops (same bdSeq), the
// next birth with the next bdSeq, and NDEATH before a clean stop.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import { createLogger } from '../../src/log.js';
import { SparkplugNode } from '../../src/integrations/sparkplug.js';
import { deliveryHarness, diag } from '../helpers/delivery.js';

const tahu = sparkplug.get('spBv1.0')!;
type Decoded = { timestamp?: unknown; seq?: unknown; metrics?: Array<{ name?: string; type?: string; value?: unknown }> };
const num = (v: unknown) => (typeof v === 'object' && v !== null && 'low' in v ? Number((v as { toString(): string }).toString()) : Number(v));
const metric = (p: Decoded, name: string) => p.metrics?.find((m) => m.name === name);

test('Sparkplug B: births with bdSeq, DDATA on change, rebirth on NCMD, NDEATH as will and at stop, all readable by Tahu', { timeout: 40_000 }, async (t) => {
  const h = await deliveryHarness(t, { alerts: { raiseK: 1, raiseN: 1 } });
  const g = await h.gateway();
  const scada = await connectAsync(h.broker.url, { clientId: 'scada', reconnectPeriod: 0 });
  t.after(() => scada.endAsync(true));
  const got: Array<{ type: string; device?: string; p: Decoded }> = [];
  scada.on('message', (topic, payload) => {
    const [, , type, , device] = topic.split('/');
    got.push({ type, device, p: tahu.decodePayload(payload) as Decoded });
  });
  await scada.subscribeAsync('spBv1.0/plant/#', { qos: 1 });
  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(got.map((m) => [m.type, m.device]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const of = (type: string) => got.filter((m) => m.type === type);

  const node = new SparkplugNode({
    settings: { enabled: true, groupId: 'plant', edgeNodeId: 'gw1' }, mqtt: h.settings.mqtt, url: h.settings.mqtt.url!, gatewayId: 'gw-a',
    alerts: g.alerts, components: new Map([['IR007', 'inner_race'], ['Normal', null]]), log: createLogger('silent'),
  });
  node.start();
  t.after(() => node.stop());
  await until(() => of('DBIRTH').length === 1, 'NBIRTH and DBIRTH');
  const nbirth = of('NBIRTH')[0].p;
  assert.equal(num(metric(nbirth, 'bdSeq')?.value), 0);
  assert.equal(metric(nbirth, 'bdSeq')?.type, 'Int64');
  assert.equal(metric(nbirth, 'Node Control/Rebirth')?.value, false);
  assert.equal(num(nbirth.seq), 0);
  const dbirth = of('DBIRTH')[0];
  assert.equal(dbirth.device, 'de');
  assert.equal(num(dbirth.p.seq), 1);
  assert.deepEqual(dbirth.p.metrics?.map((m) => `${m.name}:${m.type}`), ['status:String', 'class:String', 'component:String', 'confidence:Double', 'alert/active:Boolean', 'alert/class:String']);

  // A fault diagnosis: health changes, DDATA carries only what changed.
  h.commit(diag(1_700_000_000_000, 'IR007', 0.95));
  await until(() => of('DDATA').some((m) => metric(m.p, 'alert/active')?.value === true), 'DDATA with the alert');
  const ddata = of('DDATA').at(-1)!.p;
  assert.equal(metric(ddata, 'class')?.value, 'IR007');
  assert.equal(metric(ddata, 'component')?.value, 'inner_race');
  assert.equal(metric(ddata, 'status')?.value, 'fault');
  assert.ok(Math.abs(Number(metric(ddata, 'confidence')?.value) - 0.95) < 1e-6);
  assert.equal(num(of('DDATA')[0].p.seq), 2, 'seq counts on from the births');

  // Rebirth on command (encoded by Tahu).
  await scada.publishAsync('spBv1.0/plant/NCMD/gw1', Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })), { qos: 1 });
  await until(() => of('NBIRTH').length === 2 && of('DBIRTH').length === 2, 'the rebirth');
  assert.equal(num(metric(of('NBIRTH')[1].p, 'bdSeq')?.value), 0, 'same session, same bdSeq');
  assert.equal(num(of('NBIRTH')[1].p.seq), 0);
  assert.equal(metric(of('DBIRTH')[1].p, 'class')?.value, 'IR007', 'the birth carries the current state');

  // The connection drops: the broker publishes the will, NDEATH with this session's bdSeq; the next birth has the next.
  await h.gate.close();
  await until(() => of('NDEATH').length === 1, 'NDEATH as last will');
  assert.equal(num(metric(of('NDEATH')[0].p, 'bdSeq')?.value), 0);
  await h.gate.open();
  await until(() => of('NBIRTH').length === 3, 'the birth after reconnect');
  assert.equal(num(metric(of('NBIRTH')[2].p, 'bdSeq')?.value), 1);

  await node.stop();
  await until(() => of('NDEATH').length === 2, 'NDEATH at a clean stop');
  assert.equal(num(metric(of('NDEATH')[1].p, 'bdSeq')?.value), 1);
});

// The HTTP API on a running daemon (createApp in-process: real mosquitto, real SQLite, the shipped
// model, simulated bearings): every endpoint answers what the store and the alert state say, paging
// walks the history without gaps or repeats, bad parameters are 400 with a stable code, an
// acknowledgement reaches MQTT as an event and on the retained alert, and every response matches the
// served OpenAPI description, and /metrics counts what happened.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { createApp } from '../../src/app.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { startTestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/capture.js';
import { projectRoot } from '../helpers/data.js';
import { request, type HttpReply } from '../helpers/http.js';
import { checkSchema, responseSchema } from '../helpers/json-schema.js';
import { tempDir } from '../helpers/temp.js';

const simulated = (id: string, asset: string, condition: string, seed: number) => ({
  id, asset, rateHz: 12_000, unit: 'g', axes: ['x'], range: 50, source: { type: 'simulator', condition, severity: 1, rpm: 1797, seed },
});

test('HTTP API on a running daemon: sensors, paged diagnoses, alerts, ack to MQTT, health, model, all as documented', { timeout: 120_000 }, async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const dir = tempDir(t, 'drsnd-http-');
  const settings = settingsSchema.parse({
    gateway: { id: 'api' },
    mqtt: { url: broker.url, reconnectMs: 200 },
    store: { path: path.join(dir, 'd.db') },
    model: { dir: path.join(projectRoot, 'models', 'drsn-cw-cwru') },
    inference: { workers: 1 },
    http: { port: 0, maxPageSize: 40 },
    sensors: [simulated('fan2-de', 'fan2', 'outer_race', 2), simulated('pump1-de', 'pump1', 'normal', 1)],
  });
  const sub = await connectAsync(broker.url, { clientId: 'api-observer', protocolVersion: 5 });
  t.after(() => sub.endAsync(true));
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  sub.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await sub.subscribeAsync('drsnd/api/#', { qos: 1 });

  const app = createApp(settings, { log: createLogger('silent'), cwd: dir });
  t.after(() => app.stop());
  await app.start();
  const base = app.httpUrl();
  assert.match(base ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on loopback, on the port it was given');
  const doc = (await request(`${base}/api/v1/openapi.json`)).body;
  assert.equal(doc.openapi, '3.1.0');
  const documented = (template: string, method: string, r: HttpReply) => {
    assert.deepEqual(checkSchema(r.body, responseSchema(doc, template, method, r.status), doc), [], `${method.toUpperCase()} ${template} ${r.status} as documented`);
  };
  const get = async (p: string, template = p.split('?')[0]) => {
    const r = await request(`${base}${p}`);
    documented(template, 'get', r);
    return r;
  };

  // The faulty bearing raises an alert; enough history for three pages.
  let active: HttpReply | undefined;
  await waitFor(() => (active?.body?.items?.length ?? 0) > 0, 'an active alert over HTTP', 60_000,
    () => { void request(`${base}/api/v1/alerts?state=active`).then((r) => { active = r; }, () => undefined); });
  await waitFor(() => got.filter((m) => m.topic.endsWith('/diagnosis')).length >= 60, '60 diagnoses', 60_000);

  const health = await get('/api/v1/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.ready, true, JSON.stringify(health.body));
  assert.equal((await get('/api/v1/health/live')).body.status, 'alive');

  const sensors = await get('/api/v1/sensors');
  const byId = Object.fromEntries(sensors.body.items.map((s: { sensorId: string }) => [s.sensorId, s]));
  assert.deepEqual(Object.keys(byId).sort(), ['fan2-de', 'pump1-de']);
  assert.equal(byId['fan2-de'].status, 'fault');
  assert.equal(byId['pump1-de'].status, 'ok');
  assert.equal(byId['pump1-de'].lastClass, 'Normal');

  // Paging: three pages of 10 are the newest 30 rows, in order, none twice.
  const pages: Array<{ id: number; windowEnd: string }> = [];
  let cursor: string | null = null;
  for (let i = 0; i < 3; i++) {
    const r: HttpReply = await get(`/api/v1/diagnoses?limit=10${cursor ? `&cursor=${cursor}` : ''}`, '/api/v1/diagnoses');
    assert.equal(r.body.items.length, 10);
    assert.ok(r.body.next, 'a full page has a next cursor');
    pages.push(...r.body.items);
    cursor = r.body.next;
  }
  const keys = pages.map((d) => [Date.parse(d.windowEnd), d.id] as const);
  for (let i = 1; i < keys.length; i++) {
    assert.ok(keys[i][0] < keys[i - 1][0] || (keys[i][0] === keys[i - 1][0] && keys[i][1] < keys[i - 1][1]), 'strictly older, page after page');
  }
  // The daemon goes on writing between requests: the long page is asked as of the first page's newest row.
  const newest30 = await get(`/api/v1/diagnoses?limit=30&until=${pages[0].windowEnd}`, '/api/v1/diagnoses');
  assert.deepEqual(newest30.body.items.map((d: { id: number }) => d.id), pages.map((d) => d.id), 'pages join up to one long page');
  assert.equal((await get('/api/v1/diagnoses?limit=1000')).body.items.length, 40, 'limit capped at http.maxPageSize');
  const pump = await get('/api/v1/diagnoses?sensor=pump1-de&since=1h&limit=5');
  assert.ok(pump.body.items.length > 0 && pump.body.items.every((d: { sensorId: string }) => d.sensorId === 'pump1-de'));
  assert.deepEqual((await get('/api/v1/diagnoses?class=NoSuchClass')).body, { items: [], next: null });

  for (const bad of ['limit=0', 'limit=x', 'since=yesterday', 'cursor=abc', 'sensorr=x']) {
    const r = await get(`/api/v1/diagnoses?${bad}`, '/api/v1/diagnoses');
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error.code, 'DRSND_USAGE', bad);
  }

  // Alerts: the list, one with its events, the acknowledgement and where it shows.
  const alerts = await get('/api/v1/alerts?state=active');
  const alert = alerts.body.items[0];
  assert.equal(alert.sensorId, 'fan2-de');
  assert.equal(alert.acknowledgedAt, null);
  const one = await get(`/api/v1/alerts/${alert.id}`, '/api/v1/alerts/{id}');
  assert.equal(one.body.events[0].transition, 'raised');
  const missing = await get('/api/v1/alerts/999999', '/api/v1/alerts/{id}');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'DRSND_NOT_FOUND');
  assert.equal((await get('/api/v1/alerts/abc', '/api/v1/alerts/{id}')).status, 400);

  const ack = await request(`${base}/api/v1/alerts/${alert.id}/ack`, { method: 'POST', body: JSON.stringify({ by: 'alice' }) });
  documented('/api/v1/alerts/{id}/ack', 'post', ack);
  assert.equal(ack.status, 200);
  assert.equal(ack.body.acknowledgedBy, 'alice');
  assert.ok(ack.body.acknowledgedAt);
  const badBody = await request(`${base}/api/v1/alerts/${alert.id}/ack`, { method: 'POST', body: '[1]' });
  assert.equal(badBody.status, 400);
  await waitFor(() => got.some((m) => m.topic === 'drsnd/api/events/alert' && JSON.parse(m.payload).transition === 'acknowledged'), 'the acknowledged event on MQTT');
  const event = JSON.parse(got.find((m) => m.topic === 'drsnd/api/events/alert' && JSON.parse(m.payload).transition === 'acknowledged')!.payload);
  assert.equal(event.alertId, alert.id);
  assert.equal(event.by, 'alice');
  await waitFor(() => got.some((m) => m.topic === 'drsnd/api/fan2/fan2-de/alert' && m.payload && JSON.parse(m.payload).acknowledgedBy === 'alice'), 'the retained alert saying who acknowledged');
  const after = await get(`/api/v1/alerts/${alert.id}`, '/api/v1/alerts/{id}');
  assert.ok(after.body.events.some((e: { transition: string }) => e.transition === 'acknowledged'));
  const unknownAck = await request(`${base}/api/v1/alerts/999999/ack`, { method: 'POST' });
  assert.equal(unknownAck.status, 404);

  // On-site baselines (docs/baseline.md): status of every channel, start, cancel, as documented.
  const baselines = await get('/api/v1/baselines');
  assert.deepEqual(baselines.body.items.map((b: { sensorId: string; state: string }) => [b.sensorId, b.state]), [['fan2-de', 'none'], ['pump1-de', 'none']]);
  const startB = await request(`${base}/api/v1/baselines/pump1-de/start`, { method: 'POST', body: JSON.stringify({ for: '8h' }) });
  documented('/api/v1/baselines/{sensor}/{action}', 'post', startB);
  assert.equal(startB.body.items[0].state, 'learning');
  assert.ok(startB.body.items[0].learning.until);
  const learning = await get('/api/v1/baselines?sensor=pump1-de', '/api/v1/baselines');
  assert.equal(learning.body.items[0].state, 'learning');
  const cancelB = await request(`${base}/api/v1/baselines/pump1-de/cancel`, { method: 'POST' });
  documented('/api/v1/baselines/{sensor}/{action}', 'post', cancelB);
  assert.equal(cancelB.body.items[0].state, 'none');
  const unknownB = await request(`${base}/api/v1/baselines/nosuch/start`, { method: 'POST' });
  documented('/api/v1/baselines/{sensor}/{action}', 'post', unknownB);
  assert.deepEqual([unknownB.status, unknownB.body.error.code], [404, 'DRSND_NOT_FOUND']);
  const badB = await request(`${base}/api/v1/baselines/pump1-de/start`, { method: 'POST', body: JSON.stringify({ for: 'soon' }) });
  assert.deepEqual([badB.status, badB.body.error.code], [400, 'DRSND_USAGE']);

  // Prometheus: every line parses; the counters agree with what happened.
  const metrics = await request(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of metrics.text.trimEnd().split('\n')) {
    if (line.startsWith('#')) { assert.match(line, /^# (HELP|TYPE) [a-z_]+ /); continue; }
    const m = /^([a-z_]+(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|\+Inf)$/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  const sum = (prefix: string) => [...samples].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  assert.ok((samples.get('drsnd_diagnoses_total{sensor="pump1-de",class="Normal"}') ?? 0) > 0);
  assert.ok(sum('drsnd_diagnoses_total{sensor="fan2-de"') > 0);
  assert.ok(sum('drsnd_diagnoses_total') >= 60);
  assert.equal(samples.get(`drsnd_alert_events_total{sensor="fan2-de",class="${alert.className}",transition="acknowledged"}`), 1);
  assert.ok(sum('drsnd_alert_events_total{sensor="fan2-de"') >= 2);
  assert.ok((samples.get('drsnd_window_to_commit_seconds_count') ?? 0) >= 60);
  assert.ok((samples.get('drsnd_window_to_publish_seconds_count') ?? 0) >= 60);
  assert.ok((samples.get('drsnd_store_commit_seconds_count') ?? 0) > 0);
  assert.equal(samples.get('drsnd_mqtt_connected'), 1);
  assert.equal(samples.get('drsnd_inference_threads'), 1);
  assert.ok((samples.get('process_resident_memory_bytes') ?? 0) > 1e6);
  assert.ok(samples.has('nodejs_eventloop_delay_seconds{quantile="0.99"}'));

  const model = await get('/api/v1/model');
  assert.equal(model.body.id, 'drsn-cw-cwru');
  assert.equal(model.body.classes.length, 10);
  assert.match(model.body.engine, /\w+\/\w+/);

  assert.equal((await request(`${base}/api/v1/sensors`, { method: 'DELETE' })).status, 405);
  const nope = await request(`${base}/api/v1/nope`);
  assert.equal(nope.status, 404);
  assert.equal(nope.body.error.code, 'DRSND_NOT_FOUND');

  await app.stop();
  assert.equal(app.httpUrl(), undefined);
  await assert.rejects(fetch(`${base}/api/v1/health/live`), 'nothing listens after stop');
});

// The newcomer's experience: `npm start` with config/default.yaml on a fresh machine — embedded broker,
// simulated sensors (one healthy, two faulty), SQLite under the given path — shows diagnoses and an
// alert within a minute, and `drsnd history` can query them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { settingsSchema } from '../../src/config/schema.js';
import { freePort } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { runCli, spawnDaemon } from '../helpers/daemon.js';

test('embedded default: diagnoses for every simulated sensor, alerts for the faulty ones only, history works', { timeout: 180_000 }, async (t) => {
  const model = settingsSchema.parse({}).model.dir;
  assert.ok(existsSync(path.join(projectRoot, model, 'drsn.json')), `the default model is shipped in ${model}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-default-'));
  const port = await freePort();
  const env = { DRSND_MQTT_EMBEDDED_PORT: String(port), DRSND_STORE_PATH: path.join(dir, 'drsnd.db'), DRSND_INFERENCE_WORKERS: '1' };
  const daemon = spawnDaemon(['run'], env, projectRoot);
  const seen: Array<{ topic: string; payload: string }> = [];
  let sub: mqtt.MqttClient | undefined;
  t.after(async () => {
    await daemon.stop('SIGKILL').catch(() => undefined);
    await sub?.endAsync().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'daemon running', 60_000);
  sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'newcomer', protocolVersion: 4 });
  sub.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  await sub.subscribeAsync('drsnd/demo/#', { qos: 1 });

  const deadline = Date.now() + 60_000;
  // An alert raised before this client subscribed shows as the sensor's retained alert topic; later
  // ones also as an event.
  const raisedFor = (s: string) => seen.some((m) =>
    (m.topic === 'drsnd/demo/events/alert' && m.payload.includes('"raised"') && m.payload.includes(`"${s}"`))
    || (m.topic.endsWith(`/${s}/alert`) && m.payload.length > 0));
  while (Date.now() < deadline && !(raisedFor('fan2-de') && raisedFor('motor3-de'))) await sleep(200);
  // Keep watching the healthy pump for 60 more diagnosed windows (~5 s of signal; an alert needs 3 of 5),
  // counted, not timed: its alert events go out right after its diagnoses, on the same connection.
  const healthyDiagnoses = () => seen.filter((m) => m.topic === 'drsnd/demo/pump1/pump1-de/diagnosis').length;
  const watched = healthyDiagnoses() + 60;
  while (Date.now() < deadline + 30_000 && healthyDiagnoses() < watched) await sleep(200);
  assert.ok(healthyDiagnoses() >= watched, `the healthy pump was diagnosed ${healthyDiagnoses()} times`);

  for (const [asset, sensor] of [['pump1', 'pump1-de'], ['fan2', 'fan2-de'], ['motor3', 'motor3-de']]) {
    assert.ok(seen.some((m) => m.topic === `drsnd/demo/${asset}/${sensor}/diagnosis`), `diagnoses for ${sensor}`);
  }
  assert.ok(raisedFor('fan2-de'), 'the outer-race sensor raised an alert within a minute');
  assert.ok(raisedFor('motor3-de'), 'the inner-race sensor raised an alert within a minute');
  assert.ok(!raisedFor('pump1-de'), 'the healthy sensor raised no alert');
  const health = seen.filter((m) => m.topic === 'drsnd/demo/pump1/pump1-de/health').at(-1);
  assert.ok(health && JSON.parse(health.payload).status === 'ok', `healthy pump health: ${health?.payload}`);

  const hist = runCli(['history', '--limit', '5', '--format', 'json'], env, projectRoot);
  assert.equal(hist.status, 0, hist.stderr);
  assert.equal((JSON.parse(hist.stdout) as unknown[]).length, 5);
  const alerts = runCli(['alerts', '--format', 'json'], env, projectRoot);
  assert.equal(alerts.status, 0, alerts.stderr);
  const active = JSON.parse(alerts.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(new Set(active.map((a) => a.sensorId)), new Set(['fan2-de', 'motor3-de']));

  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
});

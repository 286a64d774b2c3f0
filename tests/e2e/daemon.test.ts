// The whole daemon, spawned as a user runs it: a real mosquitto, a real serial pty (socat), a real SQLite
// file, the shipped model, real CWRU records streamed in as a live sensor would send them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { decodeF32LE } from '../../src/data/recording.js';
import { startTestBroker } from '../helpers/broker.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { ptyPair } from '../helpers/pty.js';
import { runCli, spawnDaemon } from '../helpers/daemon.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

const RATE = 12_000;
const MODEL_DIR = path.join(projectRoot, 'models', 'drsn-cw-cwru');

function readF32(dir: string, file: string, from: number, count: number): Float32Array {
  const buf = readFileSync(path.join(dir, file));
  const all = decodeF32LE(buf);
  const start = from < 0 ? all.length + from : from;
  return all.slice(start, start + count);
}

interface Received { topic: string; payload: string; retain: boolean }

let daemonFailed: () => string | undefined = () => undefined;

async function until<T>(fn: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    const failed = daemonFailed();
    if (failed) throw new Error(`drsnd exited while waiting for ${what}: ${failed}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('daemon: MQTT, serial and replayed CWRU sensors → diagnoses in SQLite and on MQTT, alert raised and cleared, history, SIGTERM drains', { timeout: 240_000 }, async (t) => {
  const cwru = cwruDir(t);
  if (!cwru) return;
  assert.ok(existsSync(path.join(MODEL_DIR, 'drsn.json')), `shipped model missing at ${MODEL_DIR}`);
  const broker = await startTestBroker();
  const pty = await ptyPair();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-e2e-'));
  const dbPath = path.join(dir, 'drsnd.db');
  const cfg = path.join(dir, 'config.yaml');
  writeFileSync(cfg, `
gateway: { id: e2e }
log: { level: info }
mqtt: { url: "${broker.url}" }
store: { path: "${dbPath}", batchMaxMs: 100 }
model: { dir: "${MODEL_DIR}" }
inference: { workers: 1 }
alerts: { threshold: 0.8, raiseK: 3, raiseN: 5, clearM: 5 }
sensors:
  - id: m1
    asset: pumpA
    rateHz: ${RATE}
    unit: g
    axes: [x]
    source: { type: mqtt, topic: "e2e/in/m1", format: json }
  - id: s1
    asset: pumpB
    rateHz: ${RATE}
    unit: g
    axes: [x]
    source:
      type: serial
      path: "${pty.a}"
      baudRate: 921600
      format: csv
      csv: { columns: [t, x], timestampColumn: t, frameSamples: 512 }
  - id: r1
    asset: pumpC
    rateHz: ${RATE}
    unit: g
    axes: [x]
    source: { type: replay, file: "${path.join(cwru, '105_DE.f32')}", speed: 20, loop: false }
`);
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'e2e-observer' });
  const received: Received[] = [];
  sub.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await sub.subscribeAsync('drsnd/e2e/#', { qos: 1 });
  const daemon = spawnDaemon(['run', '--config', cfg]);
  daemonFailed = () => (daemon.child.exitCode !== null ? `exit ${daemon.child.exitCode}: ${daemon.stderr()}` : undefined);
  t.after(async () => {
    if (process.env.E2E_DEBUG) {
      console.error(daemon.logs.filter((l) => Number(l.level) >= 40 || l.msg === 'alert').slice(0, 30));
      console.error(received.slice(0, 5), received.length, daemon.stderr(), daemon.child.exitCode);
    }
    await daemon.stop('SIGKILL').catch(() => undefined);
    await sub.endAsync().catch(() => undefined);
    await pty.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  await until(() => received.find((m) => m.topic === 'drsnd/e2e/status' && m.payload === 'online'), 'status online');
  // 'online' says the publisher is connected, not that the sensors' sources are: frames sent before the
  // MQTT sensor's subscription would find nobody at the broker (no session yet).
  await daemon.waitForLog((l) => l.msg === 'subscribed' && l.sensor === 'm1', 'the MQTT sensor subscribed', 60_000);

  // 1. A faulty stream over MQTT: outer race 0.007" (CWRU 130), from the end of the record (the test split).
  const fault = readF32(cwru, '130_DE.f32', -18_432, 18_432);
  const normal = readF32(cwru, '97_DE_12k.f32', -24_576, 24_576);
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'e2e-sensor' });
  const t0 = Date.now() - 60_000;
  let sent = 0;
  const send = async (x: Float32Array) => {
    for (let i = 0; i < x.length; i += 1024) {
      const chunk = Array.from(x.subarray(i, i + 1024));
      const ts = t0 + (sent / RATE) * 1000;
      await pub.publishAsync('e2e/in/m1', JSON.stringify({ ts, rate: RATE, unit: 'g', samples: chunk }), { qos: 1 });
      sent += chunk.length;
      await sleep(5);
    }
  };
  await send(fault);
  // The documented payload fields only (docs/topics.md, <base>/events/alert and <base>/<asset>/<sensor>/alert).
  const raised = await until(() => received.filter((r) => r.topic === 'drsnd/e2e/events/alert')
    .map((r) => JSON.parse(r.payload) as Record<string, unknown>)
    .find((e) => e.transition === 'raised' && e.sensorId === 'm1'), 'alert raised for m1');
  // The alert is about the verdict's component (the DRSN said OR007@6; these sensors have no machine metadata).
  assert.deepEqual([raised.asset, raised.className, raised.alertKind], ['pumpA', 'outer_race', 'bearing']);
  const retainedAlert = await until(() => received.find((r) => r.topic === 'drsnd/e2e/pumpA/m1/alert' && r.payload.length > 0), 'retained alert topic');
  const active = JSON.parse(retainedAlert.payload) as Record<string, unknown>;
  assert.deepEqual([active.sensorId, active.state, active.className, active.alertId], ['m1', 'active', 'outer_race', raised.alertId]);

  // 2. The machine recovers: normal data continues the same stream → alert cleared, retained topic emptied.
  await send(normal);
  await until(() => received.find((r) => r.topic === 'drsnd/e2e/events/alert' && r.payload.includes('"cleared"') && r.payload.includes('"m1"')), 'alert cleared for m1');
  await until(() => received.find((r) => r.topic === 'drsnd/e2e/pumpA/m1/alert' && r.payload.length === 0), 'retained alert emptied');
  await pub.endAsync();

  // 3. A serial sensor speaking CSV with timestamps: inner race 0.021" (CWRU 209).
  const serialData = readF32(cwru, '209_DE.f32', -8_192, 8_192);
  const lines: string[] = [];
  for (let i = 0; i < serialData.length; i++) lines.push(`${(t0 + (i / RATE) * 1000).toFixed(3)},${serialData[i]!.toPrecision(7)}`);
  for (let i = 0; i < lines.length; i += 256) {
    pty.write(lines.slice(i, i + 256).join('\n') + '\n');
    await sleep(10);
  }
  await until(() => received.find((r) => r.topic === 'drsnd/e2e/pumpB/s1/diagnosis'), 'a diagnosis from the serial sensor');

  // 4. History works while the daemon runs (WAL readers).
  const hist = runCli(['history', '--config', cfg, '--sensor', 'm1', '--format', 'json', '--limit', '1000']);
  assert.equal(hist.status, 0, hist.stderr);
  const rows = JSON.parse(hist.stdout) as Array<Record<string, unknown>>;
  assert.ok(rows.length >= 20, `history has ${rows.length} rows for m1`);
  assert.ok(rows.every((r) => JSON.stringify(r).includes('m1')));

  // 5. SIGTERM right after more serial data: in-flight windows are committed and published, exit 0.
  for (let i = 0; i < 4096; i += 256) pty.write(lines.slice(i, i + 256).map((l, j) => `${(t0 + ((8192 + i + j) / RATE) * 1000).toFixed(3)},${l.split(',')[1]}`).join('\n') + '\n');
  await sleep(300);
  daemonFailed = () => undefined;
  const code = await daemon.stop('SIGTERM');
  assert.equal(code, 0, `exit code; stderr: ${daemon.stderr()}`);
  const stopped = daemon.logs.find((l) => l.msg === 'stopped');
  assert.ok(stopped, 'a final "stopped" log line with counters');
  assert.ok(daemon.logs.some((l) => l.msg === 'shutting down'));

  const db = new Database(dbPath, { readonly: true });
  const perSensor = db.prepare('SELECT sensor AS s, COUNT(*) AS n FROM diagnoses GROUP BY sensor').all() as Array<{ s: string; n: number }>;
  const count = (s: string) => perSensor.find((r) => r.s === s)?.n ?? 0;
  const published = (s: string, asset: string) => received.filter((r) => r.topic === `drsnd/e2e/${asset}/${s}/diagnosis`).length;
  // Every completed window was classified, stored and then published; nothing dropped on the way out.
  assert.equal(count('m1') + count('s1') + count('r1'), stopped.windows, 'stored diagnoses = windows completed');
  // The replayed record (CWRU 105, inner race 0.007", 121,265 samples) was played whole: ~117 windows at 50 % overlap.
  assert.ok(count('r1') >= 110, `replayed record diagnosed: ${count('r1')} windows`);
  assert.equal(published('r1', 'pumpC'), count('r1'));
  assert.deepEqual(db.prepare("SELECT class_name, state FROM alerts WHERE sensor = 'r1'").all(), [{ class_name: 'inner_race', state: 'active' }]);
  assert.equal(stopped.droppedWindows, 0);
  assert.equal(published('m1', 'pumpA'), count('m1'));
  assert.equal(published('s1', 'pumpB'), count('s1'));
  const alerts = db.prepare("SELECT sensor, class_name, state FROM alerts WHERE sensor IN ('m1', 's1') ORDER BY id").all() as Array<Record<string, unknown>>;
  // m1: outer race, then recovered; s1: inner race 0.021", still active at shutdown.
  assert.deepEqual(alerts, [
    { sensor: 'm1', class_name: 'outer_race', state: 'cleared' },
    { sensor: 's1', class_name: 'inner_race', state: 'active' },
  ]);
  const events = db.prepare('SELECT a.sensor, e.transition FROM alert_events e JOIN alerts a ON a.id = e.alert_id ORDER BY e.id').all() as Array<{ sensor: string; transition: string }>;
  assert.deepEqual(events.filter((e) => e.sensor === 'm1').map((e) => e.transition), ['raised', 'cleared']);
  assert.deepEqual(events.filter((e) => e.sensor === 's1').map((e) => e.transition), ['raised']);
  db.close();
  assert.ok(received.some((r) => r.topic === 'drsnd/e2e/status' && r.payload === 'offline'), 'offline published on clean stop');

  // 6. Restart: the alert left open (s1) is resumed, not forgotten; when the machine recovers it clears.
  received.length = 0;
  const again = spawnDaemon(['run', '--config', cfg]);
  daemonFailed = () => (again.child.exitCode !== null ? `exit ${again.child.exitCode}: ${again.stderr()}` : undefined);
  t.after(async () => { await again.stop('SIGKILL').catch(() => undefined); });
  await again.waitForLog((l) => l.msg === 'open alerts resumed', 'open alert resumed at start-up', 60_000);
  await until(() => received.find((m) => m.topic === 'drsnd/e2e/pumpB/s1/alert' && m.payload.includes('inner_race')), 'retained alert re-asserted after restart');
  const healthy = readF32(cwru, '97_DE_12k.f32', -20_480, 20_480);
  // A fresh process has no stream to continue; now, not ahead (pipeline.futureToleranceMs rejects that).
  const tNormal = Date.now();
  for (let i = 0; i < healthy.length; i += 512) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(i + 512, healthy.length); j++) chunk.push(`${(tNormal + (j / RATE) * 1000).toFixed(3)},${healthy[j]!.toPrecision(7)}`);
    pty.write(chunk.join('\n') + '\n');
    await sleep(10);
  }
  await until(() => received.find((r) => r.topic === 'drsnd/e2e/events/alert' && r.payload.includes('"cleared"') && r.payload.includes('"s1"')), 'the resumed alert clears on recovery');
  daemonFailed = () => undefined;
  assert.equal(await again.stop('SIGTERM'), 0);
  const db2 = new Database(dbPath, { readonly: true });
  const after = db2.prepare("SELECT sensor, class_name, state FROM alerts WHERE sensor IN ('m1', 's1') ORDER BY id").all();
  db2.close();
  assert.deepEqual(after, [
    { sensor: 'm1', class_name: 'outer_race', state: 'cleared' },
    { sensor: 's1', class_name: 'inner_race', state: 'cleared' },
  ], 'the same alert row was closed, no duplicate raised');
});

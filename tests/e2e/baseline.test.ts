// Commissioning end to end (issue 18 item 6), as a user does it: the daemon spawned on a real mosquitto
// and a real SQLite file, with a healthy simulated bearing replayed as a live sensor; `drsnd baseline
// start`, learn, `stop`; `drsnd record` captures labelled samples; the daemon restarts with the machine
// three times louder (replay scale 3) → a `novelty` alert on MQTT and in SQLite, without a label.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { BearingSimulator } from '../../src/data/bearing.js';
import { decodeF32LE, loadRecordingManifest } from '../../src/data/recording.js';
import { interleaveF32 } from '../../src/data/recording-writer.js';
import { sqlite } from '../../src/store/sqlite.js';
import { startTestBroker } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { runCli, spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';

const Database = sqlite();
const RATE = 12_000;
const MODEL_DIR = path.join(projectRoot, 'models', 'drsn-cw-cwru');

async function until<T>(fn: () => T | undefined, what: string, daemon: Daemon, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (daemon.child.exitCode !== null) throw new Error(`drsnd exited (${daemon.child.exitCode}) while waiting for ${what}: ${daemon.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last logs: ${JSON.stringify(daemon.logs.slice(-5))}`);
    await sleep(100);
  }
}

/** Where `part` sits in the (looping) signal, or -1. */
function indexIn(signal: Float32Array, part: Float32Array): number {
  const twice = new Float32Array(signal.length * 2);
  twice.set(signal);
  twice.set(signal, signal.length);
  outer: for (let i = 0; i < signal.length; i++) {
    for (let k = 0; k < part.length; k++) if (twice[i + k] !== part[k]) continue outer;
    return i;
  }
  return -1;
}

test('baseline start → learn → stop; the machine 3× louder after a restart raises a novelty alert (MQTT + SQLite); record writes a trainable manifest', { timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(path.join(MODEL_DIR, 'drsn.json')), `shipped model missing at ${MODEL_DIR}`);
  const dir = tempDir(t, 'drsnd-e2e-baseline-');
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const healthy = new BearingSimulator({ rateHz: RATE, condition: 'normal', seed: 21 }).next(20 * RATE);
  const signalFile = path.join(dir, 'healthy.f32');
  writeFileSync(signalFile, interleaveF32([healthy]));
  const dbPath = path.join(dir, 'drsnd.db');
  const cfg = path.join(dir, 'config.yaml');
  const writeConfig = (scale: number) => writeFileSync(cfg, `
gateway: { id: bl }
mqtt: { url: "${broker.url}" }
store: { path: "${dbPath}", batchMaxMs: 100 }
model: { dir: "${MODEL_DIR}" }
inference: { workers: 1 }
http: { enabled: false }
alerts: { raiseK: 3, raiseN: 5, clearM: 5 }
baseline: { minWindows: 40 }
sensors:
  - id: pump
    asset: plantA
    rateHz: ${RATE}
    axes: [x]
    source: { type: replay, file: "${signalFile}", speed: 2, loop: true, scale: ${scale} }
`);
  const cli = (...args: string[]) => runCli([...args, '--config', cfg]);
  const statusOf = () => {
    const r = cli('baseline', 'status', 'pump', '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ state: string; learning: { windows: number } | null; active: { windows: number; levels: Array<{ feature: string; baseline: number }> } | null; last: { level: string; reason: string } | null }>)[0];
  };

  // 1. Commissioning on the healthy machine.
  writeConfig(1);
  let daemon = spawnDaemon(['run', '--config', cfg]);
  t.after(() => daemon.stop('SIGKILL').then(() => undefined, () => undefined));
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'daemon running', 120_000);
  const started = cli('baseline', 'start', 'pump');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /pump: learning a baseline on x until `drsnd baseline stop`/);
  assert.equal(cli('baseline', 'start', 'pump').status, 1, 'already learning');
  const unknown = cli('baseline', 'start', 'nosuch');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no sensor "nosuch" in this daemon's configuration \(sensors: pump\)/);
  await until(() => (statusOf().learning!.windows >= 40 ? true : undefined), '40 windows learnt', daemon);

  // A labelled recording while it runs.
  const recDir = path.join(dir, 'recordings');
  const rec1 = cli('record', 'pump', '--label', 'Healthy', '--seconds', '1', '--out', recDir);
  assert.equal(rec1.status, 0, rec1.stderr);

  const stopped = cli('baseline', 'stop', 'pump');
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.match(stopped.stdout, /pump: baseline active on x/);
  const active = statusOf();
  assert.equal(active.state, 'active');
  assert.ok(active.active!.windows >= 40);
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());

  const db = new Database(dbPath, { readonly: true });
  assert.deepEqual(db.prepare('SELECT sensor, channel, state FROM baselines').all(), [{ sensor: 'pump', channel: 'x', state: 'active' }]);
  db.close();

  // 2. The machine is three times louder (same shape: the DRSN's z-normalized input does not change, it says Normal).
  writeConfig(3);
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'bl-observer' });
  t.after(() => sub.endAsync().then(() => undefined, () => undefined));
  const events: Array<Record<string, unknown>> = [];
  const retained: string[] = [];
  sub.on('message', (topic, payload) => {
    if (topic === 'drsnd/bl/events/alert') events.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    if (topic === 'drsnd/bl/plantA/pump/alert' && payload.length > 0) retained.push(payload.toString());
  });
  await sub.subscribeAsync(['drsnd/bl/events/alert', 'drsnd/bl/plantA/pump/alert'], { qos: 1 });
  daemon = spawnDaemon(['run', '--config', cfg]);
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'daemon running again', 120_000);
  const raised = await until(() => events.find((e) => e.transition === 'raised'), 'an alert raised', daemon);
  assert.deepEqual([raised.sensorId, raised.className, raised.alertKind], ['pump', 'novelty', 'novelty']);
  const alert = JSON.parse(await until(() => retained[0], 'the retained alert', daemon)) as Record<string, unknown>;
  assert.deepEqual([alert.state, alert.className, alert.alertKind], ['active', 'novelty', 'novelty']);
  const now = statusOf();
  assert.equal(now.last?.level, 'alert', now.last?.reason);
  assert.match(now.last!.reason, /RMS [23]\.\d× baseline/);

  const rec2 = cli('record', 'pump', '--label', 'Loud', '--kind', 'fault', '--seconds', '1', '--out', recDir);
  assert.equal(rec2.status, 0, rec2.stderr);
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());

  const db2 = new Database(dbPath, { readonly: true });
  assert.deepEqual(db2.prepare("SELECT class_name, state FROM alerts WHERE sensor = 'pump'").all(), [{ class_name: 'novelty', state: 'active' }]);
  const novel = db2.prepare("SELECT severity, reason FROM diagnoses WHERE sensor = 'pump' AND component = 'novelty' LIMIT 1").get() as { severity: string; reason: string } | undefined;
  assert.ok(novel, 'diagnoses stored with the verdict novelty');
  assert.equal(novel.severity, 'medium');
  assert.match(novel.reason, /departs from its baseline \(alert\): .*× baseline.*; before the baseline: DRSN Normal/);
  db2.close();

  // 3. What record wrote is a recordings manifest train can read: the replayed samples, ×3 in the second.
  const { classes, records } = loadRecordingManifest(path.join(recDir, 'recordings.yaml'));
  assert.deepEqual(classes.map((c) => [c.name, c.kind]), [['Healthy', 'normal'], ['Loud', 'fault']]);
  assert.deepEqual(records.map((r) => [r.className, r.rateHz, r.unit, r.data.length]), [['Healthy', RATE, 'g', RATE], ['Loud', RATE, 'g', RATE]]);
  const source = decodeF32LE(readFileSync(signalFile));
  assert.ok(indexIn(source, records[0].data) >= 0, 'the first recording is a stretch of the replayed signal');
  assert.ok(indexIn(source.map((v) => v * 3), records[1].data) >= 0, 'the second is a stretch of it at scale 3');
});

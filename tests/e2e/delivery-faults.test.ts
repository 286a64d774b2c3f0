// Fault injection (issue 19): a real mosquitto SIGKILLed and restarted 10 times while the spawned daemon
// streams three simulated sensors, the daemon itself SIGKILLed once and restarted. At the end every
// diagnosis and alert event in SQLite has reached a persistent QoS 1 subscriber (clean session false,
// MQTT 5 session expiry), each exactly once after de-duplication by its id; the raw duplicates (QoS 1
// redeliveries of messages in flight at a kill) are reported. Along the way: a second daemon on the same
// database is refused, and the CLI reads the database while the daemon runs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import { startTestBroker } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { drsndArgs, spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

const KILLS = 10;

function runCliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, drsndArgs(args), { cwd: projectRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('broker SIGKILLed 10x and the daemon once: every SQLite row reaches a persistent QoS 1 subscriber exactly once by id', { timeout: 180_000 }, async (t) => {
  const broker = await startTestBroker({ persistence: true });
  if (broker.kind !== 'mosquitto') {
    await broker.stop();
    t.skip('mosquitto is not installed (apt-get install mosquitto): the fault test needs a broker that can be SIGKILLed and keeps sessions');
    return;
  }
  const dir = tempDir(t, 'drsnd-faults-');
  const dbPath = path.join(dir, 'd.db');
  const env = {
    DRSND_GATEWAY_ID: 'faults', DRSND_MQTT_URL: broker.url, DRSND_MQTT_RECONNECT_MS: '200', DRSND_STORE_PATH: dbPath,
    DRSND_INFERENCE_WORKERS: '1', DRSND_LOG_LEVEL: 'info',
  };
  const args = ['run', '--config', path.join(projectRoot, 'config', 'default.yaml')];

  // The subscriber's session lives at the broker (persisted), so what arrives while it reconnects waits for it.
  const received = new Map<string, number>();
  let raw = 0;
  const sub = await connectAsync(broker.url, {
    clientId: 'faults-observer', clean: false, protocolVersion: 5, reconnectPeriod: 50, properties: { sessionExpiryInterval: 3_600 },
  });
  sub.on('error', () => undefined);
  sub.on('message', (_topic, payload) => {
    if (payload.length === 0) return;
    raw++;
    const id = (JSON.parse(payload.toString()) as { id: string }).id;
    received.set(id, (received.get(id) ?? 0) + 1);
  });
  await sub.subscribeAsync(['drsnd/faults/+/+/diagnosis', 'drsnd/faults/events/alert'], { qos: 1 });

  let daemon: Daemon = spawnDaemon(args, env);
  t.after(async () => {
    await daemon.stop('SIGKILL').catch(() => undefined);
    await sub.endAsync(true).catch(() => undefined);
    await broker.stop();
  });
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'the daemon running', 60_000);

  // One owner per database; readers still read.
  const second = await runCliAsync(args, env);
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, /DRSND_STORE_LOCKED/);
  const history = await runCliAsync(['history', '--limit', '1', '--format', 'json'], env);
  assert.equal(history.code, 0, history.stderr);

  for (let k = 0; k < KILLS; k++) {
    await sleep(700 + (k % 3) * 300);
    await broker.kill();
    await sleep(200 + (k % 4) * 150);
    if (k === KILLS / 2) {
      // The daemon dies mid-outage, with messages in flight and a cursor not yet written.
      daemon.child.kill('SIGKILL');
      await daemon.stop('SIGKILL');
      daemon = spawnDaemon(args, env);
    }
    await broker.restart();
  }
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'the restarted daemon running', 60_000);
  await sleep(1_000);
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());

  const db = new Database(dbPath, { readonly: true });
  const storeId = (db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value;
  const expected = [
    ...(db.prepare('SELECT id FROM diagnoses ORDER BY id').all() as { id: number }[]).map((r) => `${storeId}-d${r.id}`),
    ...(db.prepare('SELECT id FROM alert_events ORDER BY id').all() as { id: number }[]).map((r) => `${storeId}-e${r.id}`),
  ];
  db.close();
  const events = expected.filter((id) => id.includes('-e')).length;
  assert.ok(expected.length - events > 300 && events >= 2, `a real stream: ${expected.length - events} diagnoses, ${events} alert events`);
  const deadline = Date.now() + 20_000;
  const missing = () => expected.filter((id) => !received.has(id));
  while (missing().length > 0 && Date.now() < deadline) await sleep(100);
  const duplicates = raw - received.size;
  t.diagnostic(`rows ${expected.length} (alert events ${events}), received ${raw}, distinct ${received.size}, duplicates ${duplicates}, missing ${missing().length}`);
  assert.deepEqual(missing(), [], 'every SQLite row on MQTT');
  assert.equal(received.size, expected.length, 'nothing on MQTT that is not in SQLite');
});

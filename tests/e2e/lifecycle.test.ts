// What systemd and an operator see of the process: sd_notify READY/WATCHDOG/STOPPING on a real unix
// datagram socket, and an invalid configuration refused with every error listed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { runCli, spawnDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

interface DgramServer {
  bind(path: string): void;
  on(ev: 'message', fn: (msg: Buffer) => void): void;
  on(ev: 'error', fn: (err: Error) => void): void;
  close(): void;
}

function notifySocket(t: import('node:test').TestContext): { path: string; messages: string[] } | undefined {
  let unixDgram: { createSocket(type: 'unix_dgram'): DgramServer };
  try {
    unixDgram = createRequire(import.meta.url)('unix-dgram') as typeof unixDgram;
  } catch {
    t.skip('optional dependency unix-dgram is not installed (needed for sd_notify); skipping');
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-notify-'));
  const p = path.join(dir, 'notify.sock');
  const messages: string[] = [];
  const s = unixDgram.createSocket('unix_dgram');
  s.on('message', (m) => messages.push(m.toString()));
  s.on('error', () => undefined);
  s.bind(p);
  t.after(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path: p, messages };
}

// Also the one daemon run of the split signal path (pipeline.fused false: DSP worker → batcher →
// classifier pool); every other daemon test runs the fused default.
test('under systemd (NOTIFY_SOCKET): READY=1 once up, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM; split pipeline diagnoses', { timeout: 120_000 }, async (t) => {
  const sock = notifySocket(t);
  if (!sock) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-sd-'));
  const env = {
    NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '1000000',
    DRSND_MQTT_EMBEDDED_PORT: String(await freePort()), DRSND_STORE_PATH: path.join(dir, 'd.db'), DRSND_INFERENCE_WORKERS: '1',
    DRSND_PIPELINE_FUSED: 'false',
  };
  const daemon = spawnDaemon(['run'], env, projectRoot);
  t.after(async () => {
    await daemon.stop('SIGKILL').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'running', 60_000);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && sock.messages.filter((m) => m === 'WATCHDOG=1').length < 3) await sleep(100);
  assert.ok(sock.messages.includes('READY=1'), `READY=1 sent: ${sock.messages.join(' ')}`);
  // Nothing before READY=1 claims readiness; READY comes after the store and the model are up.
  const readyAt = daemon.logs.findIndex((l) => l.msg === 'drsnd running');
  assert.ok(readyAt > daemon.logs.findIndex((l) => l.msg === 'store open'));
  assert.ok(sock.messages.filter((m) => m === 'WATCHDOG=1').length >= 3, 'watchdog pings every 0.5 s');
  // The simulated sensors' windows went through the split path into the history.
  assert.ok(daemon.logs.some((l) => l.msg === 'DSP workers started' && l.fused === false), 'the split path ran');
  const db = new Database(env.DRSND_STORE_PATH, { readonly: true });
  try {
    const rows = () => (db.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n;
    const until = Date.now() + 30_000;
    while (rows() === 0 && Date.now() < until) await sleep(200);
    assert.ok(rows() > 0, 'diagnoses were stored');
  } finally {
    db.close();
  }
  assert.equal(await daemon.stop('SIGTERM'), 0);
  assert.ok(sock.messages.includes('STOPPING=1'));
  assert.ok(sock.messages.indexOf('STOPPING=1') > sock.messages.indexOf('READY=1'));
});

test('an invalid configuration: drsnd run refuses to start, lists every error, exits 1', (t) => {
  const dir = tempDir(t, 'drsnd-badcfg-');
  const cfg = path.join(dir, 'bad.yaml');
  writeFileSync(cfg, 'mqtt: { protocolVersion: 9 }\nsensors:\n  - { id: "a b", asset: x, rateHz: 12000, source: { type: serial } }\n');
  const r = runCli(['run', '--config', cfg]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mqtt\.protocolVersion: /);
  assert.match(r.stderr, /sensors\.0\.id: /);
  assert.match(r.stderr, /sensors\.0\.source\.path: /);
  const check = runCli(['check-config', '--config', cfg]);
  assert.equal(check.status, 1);
  assert.match(check.stderr, /sensors\.0\.source\.path: /);
});

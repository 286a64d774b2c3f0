// `drsnd baseline` and `drsnd record` ask the running daemon over MQTT: without one they fail within
// their timeout and say where they asked, and a wrong command line is a usage error (exit 2).
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startTestBroker } from '../helpers/broker.js';
import { runCli } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';

function config(dir: string, url: string): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `gateway: { id: nodaemon }\nmqtt: { url: "${url}" }\nstore: { path: "${path.join(dir, 'drsnd.db')}" }\n`);
  return file;
}

test('no daemon on the broker: baseline and record fail after --timeout, naming the request topic', async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const cfg = config(tempDir(t), broker.url);
  const status = runCli(['baseline', 'status', '--config', cfg, '--timeout', '1']);
  assert.equal(status.status, 1, status.stderr);
  assert.match(status.stderr, /no answer from the daemon within 1 s on drsnd\/nodaemon\/request\/baseline/);
  const start = runCli(['baseline', 'start', 'pump1', '--config', cfg, '--timeout', '1']);
  assert.equal(start.status, 1, start.stderr);
  const rec = runCli(['record', 'pump1', '--label', 'Healthy', '--seconds', '1', '--out', tempDir(t), '--config', cfg, '--timeout', '1']);
  assert.equal(rec.status, 1, rec.stderr);
  assert.match(rec.stderr, /no answer from the daemon within 1 s on drsnd\/nodaemon\/request\/health/);
});

test('no broker: a clear error, not a hang', async (t) => {
  const cfg = config(tempDir(t), `mqtt://127.0.0.1:${await freePort()}`);
  const r = runCli(['baseline', 'status', '--config', cfg, '--timeout', '2']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot reach the MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+/);
});

test('usage errors exit 2 before asking anyone', (t) => {
  const cfg = config(tempDir(t), 'mqtt://127.0.0.1:1');
  for (const args of [
    ['baseline'], ['baseline', 'begin', 'pump1'], ['baseline', 'start'], ['baseline', 'stop', 'pump1', '--for', '1h'],
    ['record', 'pump1', '--seconds', '1', '--out', 'x'], ['record', 'pump1', '--label', 'Healthy', '--out', 'x'],
    ['record', 'pump1', '--label', 'a/b', '--seconds', '1', '--out', 'x'], ['record', 'pump1', '--label', 'L', '--seconds', '1'],
  ]) {
    const r = runCli([...args, '--config', cfg]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage: drsnd (baseline|record)/);
  }
});

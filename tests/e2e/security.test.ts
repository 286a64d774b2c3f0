// Credentials never reach the journal or check-config (issue 19): a broker URL with user:password@, the
// password setting, through a whole daemon run with an MQTT sensor (the start line, the source's
// "connected" line, the summary) and both check-config formats.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestBroker } from '../helpers/broker.js';
import { modelsDir } from '../helpers/data.js';
import { runCli, spawnDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';

const URL_SECRET = 'S3cret-Url-Pw-19';
const PASSWORD = 'S3cret-Setting-Pw-19';

test('no credential in any log line or check-config output', { timeout: 90_000 }, async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const dir = tempDir(t, 'drsnd-sec-');
  const cfg = path.join(dir, 'c.yaml');
  const url = broker.url.replace('mqtt://', `mqtt://drsnd:${URL_SECRET}@`);
  writeFileSync(cfg, `
gateway: { id: sec }
mqtt: { url: "${url}", embedded: { username: u, password: "${PASSWORD}" } }
store: { path: "${path.join(dir, 'd.db')}" }
model: { dir: "${path.join(modelsDir, 'drsn-cw-cwru')}" }
inference: { workers: 1 }
sensors:
  - { id: m1, asset: a, rateHz: 12000, axes: [x], source: { type: mqtt, topic: "sec/in/m1" } }
`);
  const env = { DRSND_MQTT_PASSWORD: PASSWORD };
  const daemon = spawnDaemon(['run', '--config', cfg], env);
  t.after(() => daemon.stop('SIGKILL').catch(() => undefined));
  await daemon.waitForLog((l) => l.msg === 'drsnd running', 'running', 60_000);
  await daemon.waitForLog((l) => l.msg === 'subscribed', 'the MQTT sensor subscribed');
  assert.equal(await daemon.stop('SIGTERM'), 0);
  const yaml = runCli(['check-config', '--config', cfg], env);
  const json = runCli(['check-config', '--json', '--config', cfg], env);
  assert.equal(yaml.status, 0, yaml.stderr);
  const everything = [JSON.stringify(daemon.logs), daemon.stderr(), yaml.stdout, yaml.stderr, json.stdout, json.stderr].join('\n');
  for (const secret of [URL_SECRET, PASSWORD]) assert.equal(everything.split(secret).length - 1, 0, `"${secret}" printed`);
  // What is shown instead: the URL without its credentials, the password as ***.
  assert.ok(daemon.logs.some((l) => l.msg === 'drsnd running' && l.mqtt === broker.url.replace('mqtt://', 'mqtt://***@')));
  const shown = JSON.parse(json.stdout) as { mqtt: { url: string; password: string; embedded: { password: string } } };
  assert.deepEqual([shown.mqtt.url, shown.mqtt.password, shown.mqtt.embedded.password], [broker.url.replace('mqtt://', 'mqtt://***@'), '***', '***']);
});

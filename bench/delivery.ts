// Delivery under faults, measured from outside: the daemon (any build: --root) runs its default
// config's simulated sensors against a real mosquitto through a TCP gate (tests/helpers/gate.ts); a
// persistent QoS 1 subscriber sits on the broker itself. The gate closes (an outage seen from the
// daemon), the daemon may be stopped or SIGKILLed during it, and at the end every diagnosis and alert
// event in SQLite is looked for on MQTT. Prints one JSON line: rows, received, missing, duplicates.
//   node dist/bench/delivery.js --scenario outage --outage-s 20 [--root DIR] [--env K=V ...]
// Scenarios: outage (20 s cut, then reconnect), stop-in-outage (SIGTERM during the cut, broker back,
// daemon restarted), sigkill-in-outage (SIGKILL during the cut, broker back, daemon restarted).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import { freePort } from '../tests/helpers/broker.js';
import { Gate } from '../tests/helpers/gate.js';
import { startBenchBroker } from './lib/broker.js';
import { ROOT } from './lib/paths.js';
import { sqlite } from '../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

const { values: a } = parseArgs({
  options: {
    root: { type: 'string' }, scenario: { type: 'string' }, 'outage-s': { type: 'string' }, 'warmup-s': { type: 'string' },
    'after-s': { type: 'string' }, env: { type: 'string', multiple: true },
  },
});
const root = path.resolve(a.root ?? ROOT);
const scenario = a.scenario ?? 'outage';
if (!['outage', 'stop-in-outage', 'sigkill-in-outage'].includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
const outageMs = Number(a['outage-s'] ?? 20) * 1000;
const warmupMs = Number(a['warmup-s'] ?? 5) * 1000;
const afterMs = Number(a['after-s'] ?? 10) * 1000;
const extraEnv = Object.fromEntries((a.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

const broker = await startBenchBroker();
const brokerPort = Number(new URL(broker.url).port);
const gate = new Gate(await freePort(), brokerPort);
await gate.open();
const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-delivery-'));
const dbPath = path.join(dir, 'd.db');

const keys = new Map<string, number>();
let received = 0;
const sub = await connectAsync(broker.url, { clientId: 'delivery-observer', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
sub.on('message', (topic, payload) => {
  if (payload.length === 0) return;
  const m = JSON.parse(payload.toString()) as Record<string, unknown>;
  let key: string;
  if (topic.endsWith('/diagnosis')) key = `d|${String(m.sensorId)}|${String(m.channel)}|${String(m.windowEnd)}`;
  else if (topic.endsWith('/events/alert')) key = `e|${String(m.alertId)}|${String(m.transition)}|${String(m.at)}`;
  else return;
  received++;
  keys.set(key, (keys.get(key) ?? 0) + 1);
});
await sub.subscribeAsync(['drsnd/+/+/+/diagnosis', 'drsnd/+/events/alert'], { qos: 1 });

function startDaemon(): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js'), 'run', '--config', path.join(root, 'config', 'default.yaml')], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DRSND_MQTT_URL: gate.url, DRSND_MQTT_RECONNECT_MS: '500', DRSND_STORE_PATH: dbPath, DRSND_INFERENCE_WORKERS: '1', DRSND_LOG_LEVEL: 'warn', ...extraEnv },
  });
  // A daemon that dies on its own (bad config, a crash) would make every count meaningless.
  child.once('exit', (code, signal) => {
    if (!stopping.has(child)) { console.error(`drsnd exited by itself (code ${code}, signal ${signal})`); process.exit(1); }
  });
  return child;
}
const stopping = new Set<ChildProcess>();
async function stopDaemon(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill(signal); });
}
async function quiet(ms: number): Promise<void> {
  let last = -1;
  while (last !== received) { last = received; await sleep(ms); }
}

let daemon = startDaemon();
await sleep(warmupMs);
await gate.close();
if (scenario === 'outage') {
  await sleep(outageMs);
  await gate.open();
  await sleep(afterMs);
  await stopDaemon(daemon, 'SIGTERM');
} else {
  await sleep(outageMs);
  await stopDaemon(daemon, scenario === 'stop-in-outage' ? 'SIGTERM' : 'SIGKILL');
  await gate.open();
  daemon = startDaemon();
  await sleep(afterMs);
  await stopDaemon(daemon, 'SIGTERM');
}
await quiet(3000);

const db = new Database(dbPath, { readonly: true });
const rows = (db.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n;
const events = (db.prepare('SELECT count(*) AS n FROM alert_events').get() as { n: number }).n;
db.close();
let distinctD = 0;
let distinctE = 0;
let duplicates = 0;
for (const [k, n] of keys) {
  if (k.startsWith('d|')) distinctD++;
  else distinctE++;
  duplicates += n - 1;
}
console.log(JSON.stringify({
  root, scenario, outageS: outageMs / 1000, env: extraEnv,
  diagnoses: { sqlite: rows, receivedDistinct: distinctD, missing: rows - distinctD },
  alertEvents: { sqlite: events, receivedDistinct: distinctE, missing: events - distinctE },
  receivedRaw: received, duplicates,
}));
await sub.endAsync(true);
await gate.close();
await broker.stop();
rmSync(dir, { recursive: true, force: true });

// Delivery under faults, measured from outside: the daemon (any build: --root) runs its default
// config's simulated sensors against a real mosquitto through a TCP gate (tests/helpers/gate.ts); a
// persistent QoS 1 subscriber sits on the broker itself. The gate closes (an outage seen from the
// daemon), the daemon may be stopped or SIGKILLed during it, and at the end every diagnosis and alert
// event in SQLite is looked for on MQTT. Prints one JSON line: rows, received, missing, duplicates.
//   node dist/bench/delivery.js --scenario outage --outage-s 20 [--root DIR] [--env K=V ...]
// Scenarios: outage (20 s cut, then reconnect), stop-in-outage (SIGTERM during the cut, broker back,
// daemon restarted), sigkill-in-outage (SIGKILL during the cut, broker back, daemon restarted).
// --sensors N replaces the config's sensors by the benches' N-channel plant (bench/lib/sensors.ts, as e2e:
// replayed CWRU excerpts, or --source simulator) in a temp copy of the config; --until-drained waits
// after the reconnect until the backlog is published (then --after-s more) and reports how long it took.
// The daemon's RSS is sampled every second from /proc; its stop line's counters (windows, dropped
// frames and windows, lost, unpublished) are in the output as `daemon`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../tests/helpers/broker.js';
import { Gate } from '../tests/helpers/gate.js';
import { startBenchBroker } from './lib/broker.js';
import { ROOT } from './lib/paths.js';
import { benchSensors, replayFiles, type BenchSource } from './lib/sensors.js';
import { sqlite } from '../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

const { values: a } = parseArgs({
  options: {
    root: { type: 'string' }, scenario: { type: 'string' }, 'outage-s': { type: 'string' }, 'warmup-s': { type: 'string' },
    'after-s': { type: 'string' }, env: { type: 'string', multiple: true },
    sensors: { type: 'string' }, source: { type: 'string' }, 'until-drained': { type: 'boolean' }, 'max-drain-s': { type: 'string' },
  },
});
const root = path.resolve(a.root ?? ROOT);
const scenario = a.scenario ?? 'outage';
if (!['outage', 'stop-in-outage', 'sigkill-in-outage'].includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
const outageMs = Number(a['outage-s'] ?? 20) * 1000;
const warmupMs = Number(a['warmup-s'] ?? 5) * 1000;
const afterMs = Number(a['after-s'] ?? 10) * 1000;
const sensors = a.sensors === undefined ? undefined : Number(a.sensors);
const source = (a.source ?? 'replay') as BenchSource;
const maxDrainMs = Number(a['max-drain-s'] ?? 3600) * 1000;
const extraEnv = Object.fromEntries((a.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

const broker = await startBenchBroker();
const brokerPort = Number(new URL(broker.url).port);
const gate = new Gate(await freePort(), brokerPort);
await gate.open();
const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-delivery-'));
const dbPath = path.join(dir, 'd.db');
// The root's own default config, or a copy of it with the N-channel plant (relative paths such as the
// model folder still resolve against the root, the daemon's working directory).
let configPath = path.join(root, 'config', 'default.yaml');
if (sensors !== undefined) {
  const cfg = parseYaml(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  cfg.sensors = benchSensors(sensors, { rateHz: 12_000, source, replayFiles: source === 'replay' ? replayFiles(dir) : [] });
  // Any free port for a root with an HTTP server (as bench/e2e-daemon.ts): 8080 may be another daemon's.
  if (cfg.http && typeof cfg.http === 'object') (cfg.http as Record<string, unknown>).port = 0;
  configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, JSON.stringify(cfg)); // JSON is YAML
}

const keys = new Map<string, number>();
let received = 0;
/** Distinct diagnoses seen so far (for the drain check). */
let receivedDiagnoses = 0;
const sub = await connectAsync(broker.url, { clientId: 'delivery-observer', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
sub.on('message', (topic, payload) => {
  if (payload.length === 0) return;
  const m = JSON.parse(payload.toString()) as Record<string, unknown>;
  let key: string;
  if (topic.endsWith('/diagnosis')) key = `d|${String(m.sensorId)}|${String(m.channel)}|${String(m.windowEnd)}`;
  else if (topic.endsWith('/events/alert')) key = `e|${String(m.alertId)}|${String(m.transition)}|${String(m.at)}`;
  else return;
  received++;
  const n = keys.get(key) ?? 0;
  if (n === 0 && key.startsWith('d|')) receivedDiagnoses++;
  keys.set(key, n + 1);
});
await sub.subscribeAsync(['drsnd/+/+/+/diagnosis', 'drsnd/+/events/alert'], { qos: 1 });

// Per daemon process: RSS (MiB) samples, and the counters of its stop line.
const runs: { rssMiB: { t: number; v: number }[]; stopped?: Record<string, unknown> }[] = [];
const t0 = Date.now();
function startDaemon(): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js'), 'run', '--config', configPath], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
    // Level info for the stop line's counters; errors and warnings are passed on to stderr.
    env: { ...process.env, DRSND_MQTT_URL: gate.url, DRSND_MQTT_RECONNECT_MS: '500', DRSND_STORE_PATH: dbPath, DRSND_INFERENCE_WORKERS: '1', DRSND_LOG_LEVEL: 'info', ...extraEnv },
  });
  const run: (typeof runs)[number] = { rssMiB: [] };
  runs.push(run);
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const m = JSON.parse(line) as { level?: number; msg?: string };
        if (m.msg === 'stopped') run.stopped = m;
        else if ((m.level ?? 0) >= 40) console.error(line);
      } catch {
        console.error(line);
      }
    }
  });
  const rssTimer = setInterval(() => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      if (kb) run.rssMiB.push({ t: (Date.now() - t0) / 1000, v: Number(kb) / 1024 });
    } catch { /* exited */ }
  }, 1000);
  child.once('exit', () => clearInterval(rssTimer));
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

const countRows = (): number => {
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
  } catch {
    return 0; // not created yet
  }
  try {
    return (db.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const marks: Record<string, number> = {};
const mark = (name: string): void => { marks[name] = (Date.now() - t0) / 1000; };
/** Backlog (rows in SQLite not yet seen on MQTT) every 5 s after the reconnect, until it is one second of live rows. */
const backlog: { t: number; rows: number; backlog: number }[] = [];
let drainS: number | null = null;
async function waitDrained(liveRowsPerSec: number): Promise<void> {
  const opened = Date.now();
  const threshold = Math.max(50, liveRowsPerSec);
  for (;;) {
    await sleep(5_000);
    const rows = countRows();
    const b = rows - receivedDiagnoses;
    backlog.push({ t: Math.round((Date.now() - opened) / 1000), rows, backlog: b });
    console.error(`drain: ${backlog.at(-1)!.t} s after reconnect, ${rows} rows, backlog ${b}`);
    if (b <= threshold) { drainS = (Date.now() - opened) / 1000; return; }
    if (Date.now() - opened > maxDrainMs) return;
  }
}

let daemon = startDaemon();
await sleep(warmupMs);
const rowsAtCut = countRows();
mark('cut');
await gate.close();
if (scenario === 'outage') {
  await sleep(outageMs);
  const rowsAtReconnect = countRows();
  mark('reconnect');
  await gate.open();
  if (a['until-drained']) {
    await waitDrained((rowsAtReconnect - rowsAtCut) / (outageMs / 1000));
    mark('drained');
  }
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
const rss = runs.map((r) => {
  const v = r.rssMiB.map((x) => x.v);
  const at = (t: number | undefined): number | null => (t === undefined ? null : Math.round(r.rssMiB.filter((x) => x.t <= t).at(-1)?.v ?? NaN));
  return { atCut: at(marks.cut), atReconnect: at(marks.reconnect), atDrained: at(marks.drained), max: Math.round(Math.max(...v)), end: Math.round(v.at(-1) ?? NaN) };
});
const pick = (s: Record<string, unknown> | undefined): Record<string, unknown> | null => (s ? Object.fromEntries(
  ['framesIn', 'framesAccepted', 'windows', 'diagnoses', 'lost', 'unpublished', 'droppedWindows', 'droppedFrames', 'badInput', 'engine'].filter((k) => k in s).map((k) => [k, s[k]]),
) : null);
console.log(JSON.stringify({
  root, scenario, outageS: outageMs / 1000, env: extraEnv, sensors: sensors ?? 'config', source: sensors === undefined ? 'config' : source,
  marksS: marks, drainS, backlog: backlog.filter((_, i) => i % 12 === 0 || i === backlog.length - 1),
  daemon: runs.map((r) => pick(r.stopped)), rssMiB: rss,
  diagnoses: { sqlite: rows, receivedDistinct: distinctD, missing: rows - distinctD },
  alertEvents: { sqlite: events, receivedDistinct: distinctE, missing: events - distinctE },
  receivedRaw: received, duplicates,
}));
await sub.endAsync(true);
await gate.close();
await broker.stop();
rmSync(dir, { recursive: true, force: true });

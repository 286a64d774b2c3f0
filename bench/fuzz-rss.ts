// RSS of the real daemon under a flood of fuzzed MQTT input (issue 19 target: <= 1.5x idle).
// `npm run build && node dist/bench/fuzz-rss.js [--idle-seconds 20] [--flood-seconds 30]`
// A spawned drsnd (MQTT 5, a real mosquitto) with two MQTT sensors: a good one streaming in real time
// throughout, and one receiving nothing at first (idle) and then, for the flood, the tests' fuzz cases
// (tests/helpers/fuzz.ts) as fast as the broker takes them, plus a 10 MB payload every second (over
// mqtt.maxPayloadBytes: the broker must drop it, maximumPacketSize). RSS from /proc/<pid>/status.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { fuzzBinaryPayload, fuzzJson, rng } from '../tests/helpers/fuzz.js';
import { startBenchBroker } from './lib/broker.js';
import { ROOT } from './lib/paths.js';
import { sleep } from './lib/stats.js';

const { values } = parseArgs({ options: { 'idle-seconds': { type: 'string', default: '20' }, 'flood-seconds': { type: 'string', default: '30' } } });
const idleS = Number(values['idle-seconds']);
const floodS = Number(values['flood-seconds']);

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const broker = await startBenchBroker();
const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-fuzz-rss-'));
const cfg = path.join(dir, 'c.yaml');
writeFileSync(cfg, `
gateway: { id: fz }
log: { level: error }
mqtt: { url: "${broker.url}", protocolVersion: 5 }
store: { path: "${path.join(dir, 'd.db')}" }
inference: { workers: 1 }
sensors:
  - { id: good, asset: a, rateHz: 12000, axes: [x, y, z], range: 50, source: { type: mqtt, topic: "fz/good" } }
  - { id: fj, asset: a, rateHz: 12000, axes: [x, y, z], range: 50, source: { type: mqtt, topic: "fz/json" } }
  - { id: fb, asset: a, rateHz: 12000, axes: [x, y, z], range: 50, source: { type: mqtt, topic: "fz/bin", format: float32 } }
`);
const daemon = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js'), 'run', '--config', cfg], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
const pub = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'fz-bench' });
let stopGood = false;
// The good sensor: 1,200 samples per axis every 100 ms (real time at 12 kHz).
const good = (async () => {
  let t = Date.now();
  const arr = Array.from({ length: 1200 }, (_, i) => Math.sin(i / 10));
  while (!stopGood) {
    await pub.publishAsync('fz/good', JSON.stringify({ ts: t, x: arr, y: arr, z: arr }), { qos: 0 });
    t += 100;
    await sleep(Math.max(0, t - Date.now()));
  }
})();

const samples: { phase: string; s: number; rss: number }[] = [];
const t0 = Date.now();
const sample = (phase: string) => samples.push({ phase, s: (Date.now() - t0) / 1000, rss: rssMiB(daemon.pid!) });
await sleep(5_000); // start-up
for (let i = 0; i < idleS; i++) { await sleep(1_000); sample('idle'); }

const r = rng(19_201);
let sent = 0;
let big = 0;
const floodEnd = Date.now() + floodS * 1000;
let nextSample = Date.now() + 1000;
let nextBig = Date.now();
const huge = Buffer.alloc(10 * 1024 * 1024, 0x7b);
while (Date.now() < floodEnd) {
  const batch: Promise<unknown>[] = [];
  for (let k = 0; k < 50; k++) {
    batch.push(pub.publishAsync('fz/json', Buffer.from(fuzzJson(r, Date.now())), { qos: 0 }));
    batch.push(pub.publishAsync('fz/bin', Buffer.from(fuzzBinaryPayload(r, 'float32')), { qos: 0 }));
    sent += 2;
  }
  if (Date.now() >= nextBig) { batch.push(pub.publishAsync('fz/json', huge, { qos: 0 })); big++; nextBig += 1000; }
  await Promise.all(batch);
  if (Date.now() >= nextSample) { sample('flood'); nextSample += 1000; }
}
for (let i = 0; i < 5; i++) { await sleep(1_000); sample('after'); }
stopGood = true;
await good;
await pub.endAsync();
daemon.kill('SIGTERM');
await new Promise((res) => daemon.once('exit', res));
await broker.stop();
rmSync(dir, { recursive: true, force: true });

const idle = samples.filter((x) => x.phase === 'idle').map((x) => x.rss).sort((a, b) => a - b);
const idleMedian = idle[Math.floor(idle.length / 2)];
const floodPeak = Math.max(...samples.filter((x) => x.phase !== 'idle').map((x) => x.rss));
console.log(JSON.stringify({ idleSeconds: idleS, floodSeconds: floodS, fuzzPayloads: sent, tenMiBPayloads: big, idleMedianMiB: +idleMedian.toFixed(1), floodPeakMiB: +floodPeak.toFixed(1), ratio: +(floodPeak / idleMedian).toFixed(2), target: 1.5 }));

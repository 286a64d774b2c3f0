// `npm run bench [-- flags]`: engine throughput, the PyTorch peer, end to end, soak and the hot path.
// Writes bench/results/<date>.json and .md; --update-doc also replaces the results in BENCHMARKS.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCost } from './cost.js';
import { runEngines, DEFAULT_SPECS } from './engines.js';
import { findMaxSensors, runTrial, type TrialOptions } from './e2e.js';
import { runHotPath } from './hotpath.js';
import { startBenchBroker, type BenchBroker } from './lib/broker.js';
import { machineInfo } from './lib/machine.js';
import { benchModel } from './lib/model.js';
import { ROOT } from './lib/paths.js';
import { benchWindows } from './lib/windows.js';
import { comparePeer, runPeer } from './peer.js';
import { runRatio } from './ratio.js';
import { markdown, SPEED_CHECK_SECONDS, type BenchResults } from './report.js';

const PARTS = ['engines', 'peer', 'ratio', 'e2e', 'soak', 'hotpath', 'cost'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [options]
  --only LIST          comma-separated parts: ${PARTS.join(',')} (default: all but cost)
  --seconds S          seconds per engine/peer configuration (default 5)
  --rounds R           ratio: alternating rounds of ours / TorchScript 2 threads / 2 processes (default 5)
  --e2e-seconds S      seconds per end-to-end trial (default 20)
  --e2e-start N        first N of the real-time search, doubled until it fails (default 50)
  --e2e-max N          upper bound of the search (default 1600)
  --sensors N          run one end-to-end trial at N channels instead of searching
  --soak-seconds S     soak duration (default 60); --soak-hour = 3600
  --soak-sensors N     soak load (default: 75% of the largest real-time N found, else 100)
  --source S           e2e/soak ingest: replay (default; sensors loop CWRU excerpts) | simulator
  --store-batch-ms MS  e2e/soak: override store.batchMaxMs (default: the daemon's default, 50)
  --set K=V            e2e/soak: any daemon setting, e.g. --set alerts.threshold=1 (repeatable; V parsed as JSON when it can be)
  --engine E           engine for e2e/soak: auto|native|onnx|tfjs (default auto)
  --model DIR          model folder (default models/drsn-cw-cwru, else a random-init export)
  --models LIST        cost: model folders compared, comma-separated (default: --model's)
  --batch LIST         cost: batch sizes (default 64); --calls N engine calls per timing (default 200)
  --quick              smoke run: 1 s per config, 8 s trials, 15 s soak
  --allow-busy         run even when the 1-min load average is above 1.0 (results marked POLLUTED)
  --update-doc         replace the results section of BENCHMARKS.md with this run
  --out FILE           JSON output (default bench/results/<date>.json)`;

const { values: a } = parseArgs({
  options: {
    only: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, 'e2e-seconds': { type: 'string' }, 'e2e-start': { type: 'string' },
    'e2e-max': { type: 'string' }, sensors: { type: 'string' }, 'soak-seconds': { type: 'string' }, 'soak-hour': { type: 'boolean' },
    'soak-sensors': { type: 'string' }, source: { type: 'string' }, 'store-batch-ms': { type: 'string' }, set: { type: 'string', multiple: true }, engine: { type: 'string' }, model: { type: 'string' }, quick: { type: 'boolean' },
    models: { type: 'string' }, batch: { type: 'string' }, calls: { type: 'string' },
    'allow-busy': { type: 'boolean' }, 'update-doc': { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' },
  },
});
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (v: string | undefined, d: number): number => {
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) { console.error(`bad number "${v}"\n${USAGE}`); process.exit(2); }
  return n;
};
const parts = new Set<Part>((a.only?.split(',').map((s) => s.trim()) ?? PARTS.filter((p) => p !== 'cost')) as Part[]);
for (const p of parts) if (!PARTS.includes(p)) { console.error(`unknown part "${p}"\n${USAGE}`); process.exit(2); }
const quick = a.quick === true;
const seconds = num(a.seconds, quick ? 1 : 5);
const e2eSeconds = num(a['e2e-seconds'], quick ? 8 : 20);
const soakSeconds = a['soak-hour'] ? 3600 : num(a['soak-seconds'], quick ? 15 : 60);
const engine = (a.engine ?? 'auto') as TrialOptions['engine'];
/** --set a.b=v and --store-batch-ms → a nested settings object merged over the daemon's defaults. */
function settingOverrides(): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    const parts = key.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts[parts.length - 1]] = value;
  };
  if (a['store-batch-ms']) put('store.batchMaxMs', num(a['store-batch-ms'], 50));
  for (const kv of a.set ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) { console.error(`bad --set "${kv}" (want key.path=value)\n${USAGE}`); process.exit(2); }
    const raw = kv.slice(i + 1);
    let v: unknown = raw;
    try { v = JSON.parse(raw); } catch { /* a plain string */ }
    put(kv.slice(0, i), v);
  }
  return Object.keys(out).length ? out : undefined;
}
const source = (a.source ?? 'replay') as 'replay' | 'simulator';
if (source !== 'replay' && source !== 'simulator') { console.error(`bad --source\n${USAGE}`); process.exit(2); }
const say = (s: string): void => { console.log(s); };

const machine = machineInfo();
const polluted = machine.loadAvgAtStart[0] > 1.0;
if (polluted) {
  const msg = `1-min load average is ${machine.loadAvgAtStart[0]} (> 1.0) on ${machine.cores} cores: something else is using the CPU (${machine.topProcesses.slice(0, 2).join('; ')}); numbers would be polluted`;
  if (!a['allow-busy']) {
    console.error(`REFUSING TO BENCHMARK: ${msg}.\nWait for a quiet machine, or pass --allow-busy to run anyway (results are marked POLLUTED).`);
    process.exit(3);
  }
  console.error(`\n!!!!! WARNING: ${msg}. Results are marked POLLUTED. !!!!!\n`);
}
say(`machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAvgAtStart.join(' ')}; node ${machine.versions.node}, ort ${machine.versions.onnxruntime}, tfjs ${machine.versions.tfjs}, torch ${machine.versions.torch}`);

const model = await benchModel(a.model);
const windows = benchWindows(model.meta, 256);
say(`model: ${model.meta.id} (${model.origin}); windows: ${windows.source}`);
const results: BenchResults = {
  machine, polluted, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  model: { id: model.meta.id, origin: model.origin, architecture: model.meta.architecture, windowLength: model.meta.input.windowLength, parameters: model.meta.training?.parameters },
  windows: windows.source, loadAvgAtEnd: [0, 0, 0],
};
let broker: BenchBroker | undefined;
/** One part failing (a daemon bug, a missing broker) must not lose the numbers of the others. */
const part = async (name: Part, fn: () => Promise<void>): Promise<void> => {
  if (!parts.has(name)) return;
  try {
    await fn();
  } catch (e) {
    const msg = (e as Error).stack ?? String(e);
    console.error(`\n!!! bench part ${name} failed: ${msg}`);
    (results.errors ??= {})[name] = (e as Error).message;
  }
};
try {
  await part('engines', async () => {
    say('\n== engines ==');
    results.engines = await runEngines(model, windows, seconds, DEFAULT_SPECS, say);
  });
  await part('peer', async () => {
    say('\n== PyTorch peer ==');
    const peer = await runPeer(model, windows, seconds, [1, 16, 64, 256], [1, 2], say);
    results.peer = peer;
    if (!peer.available) say(`  peer unavailable: ${peer.reason}`);
    if (results.engines) comparePeer(peer, results.engines);
    else delete peer.probs;
  });
  await part('ratio', async () => {
    const rounds = Math.round(num(a.rounds, quick ? 2 : 5));
    say(`\n== ours / PyTorch peer, ${rounds} alternating rounds ==`);
    results.ratio = await runRatio(model, windows, seconds, rounds, say);
    const bb = results.ratio.bestVsBest;
    say(`  best vs best: ${bb.vsThreads.median}× TorchScript 2 threads (${bb.vsThreads.min}–${bb.vsThreads.max}), ${bb.vsProcesses.median}× 2 processes (${bb.vsProcesses.min}–${bb.vsProcesses.max})`);
  });
  if (parts.has('e2e') || parts.has('soak') || parts.has('hotpath')) {
    try {
      broker = await startBenchBroker();
    } catch (e) {
      console.error(`!!! no MQTT broker: ${(e as Error).message}`);
      (results.errors ??= {}).broker = (e as Error).message;
    }
  }
  // This VM's speed drifts through the day; an inference-only number next to the e2e results says how fast it was.
  const speedCheck = async (): Promise<number | undefined> => {
    try {
      const r = await runEngines(model, windows, SPEED_CHECK_SECONDS, [{ engine: 'onnx', backend: 'auto', batches: [16], workers: [2] }]);
      return r.throughput[0]?.windowsPerSec;
    } catch (e) {
      say(`  speed check failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  if (parts.has('e2e') || parts.has('soak')) {
    results.speedCheck = { before: await speedCheck() };
    say(`  speed check: onnx 2 workers batch 16: ${results.speedCheck.before} windows/s`);
  }
  const base = () => ({ model, broker: broker!, seconds: e2eSeconds, warmupSeconds: Math.min(5, e2eSeconds / 3), engine, source, say,
    overrides: settingOverrides() });
  await part('e2e', async () => {
    if (!broker) throw new Error('no broker');
    say('\n== end to end ==');
    const e2e = a.sensors ? { fixed: await runTrial({ ...base(), sensors: num(a.sensors, 1) }) } : await findMaxSensors(base(), num(a['e2e-start'], 50), num(a['e2e-max'], 1600));
    results.e2e = e2e;
    if ('maxRealTimeSensors' in e2e) say(`  largest N holding real time: ${e2e.maxRealTimeSensors}`);
  });
  await part('soak', async () => {
    if (!broker) throw new Error('no broker');
    const found = results.e2e && 'maxRealTimeSensors' in results.e2e ? results.e2e.maxRealTimeSensors : 0;
    const n = a['soak-sensors'] ? num(a['soak-sensors'], 1) : found > 0 ? Math.max(1, Math.floor(found * 0.75)) : 100;
    say(`\n== soak: ${n} channels for ${soakSeconds} s ==`);
    const soak = await runTrial({ ...base(), sensors: n, seconds: soakSeconds, warmupSeconds: Math.min(30, soakSeconds / 4), rssEverySeconds: 5 });
    results.soak = soak;
    say(`  RSS slope ${soak.rssSlopeMiBPerHour} MiB/h (heap ${soak.heapSlopeMiBPerHour} MiB/h)`);
  });
  if (results.speedCheck) {
    results.speedCheck.after = await speedCheck();
    say(`  speed check after: ${results.speedCheck.after} windows/s`);
  }
  await part('cost', async () => {
    const rounds = Math.round(num(a.rounds, quick ? 2 : 6));
    const batches = (a.batch ?? '64').split(',').map((b) => Math.round(num(b, 64)));
    const engineName = !engine || engine === 'auto' ? 'onnx' : engine;
    say(`\n== cost: ${engineName} alone, one thread, ${rounds} alternating rounds ==`);
    results.cost = await runCost(a.models?.split(',').map((d) => path.resolve(d)) ?? [model.dir], engineName, batches, Math.round(num(a.calls, quick ? 20 : 200)), rounds, say);
  });
  await part('hotpath', async () => {
    say('\n== hot path ==');
    results.hotPath = await runHotPath(model.meta, broker, Math.min(seconds, 3), say);
  });
} finally {
  await broker?.stop();
  if (model.tempDir) rmSync(model.tempDir, { recursive: true, force: true });
}
results.loadAvgAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number];

const md = markdown(results);
const stamp = machine.date.replace(/[:]/g, '-').replace(/\..*$/, '');
const outJson = a.out ?? path.join(ROOT, 'bench', 'results', `${stamp}.json`);
mkdirSync(path.dirname(outJson), { recursive: true });
writeFileSync(outJson, JSON.stringify(results, null, 1) + '\n');
writeFileSync(outJson.replace(/\.json$/, '') + '.md', md);
say(`\n${md}\nwrote ${outJson} (+ .md)`);
if (a['update-doc']) {
  const doc = path.join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- bench:results -->';
  const end = '<!-- /bench:results -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) console.error(`BENCHMARKS.md has no ${begin} … ${end} section; not updated`);
  else {
    writeFileSync(doc, `${text.slice(0, i + begin.length)}\n${md}\n${text.slice(j)}`);
    say('updated BENCHMARKS.md');
  }
}
// Worker threads, sockets and timers are all closed by now; exit explicitly anyway so a stray
// handle in a dependency cannot keep a finished benchmark hanging.
process.exit(results.errors ? 1 : 0);

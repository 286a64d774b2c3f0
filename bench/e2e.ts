// End to end through the whole daemon (createApp in a child process): N simulated 12 kHz sensors,
// real mosquitto, real SQLite file; a subscriber measures window-end → diagnosis-received latency.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import type { DaemonConfig, DaemonSample } from './e2e-daemon.js';
import type { BenchBroker } from './lib/broker.js';
import type { BenchModel } from './lib/model.js';
import { DIST_BENCH } from './lib/paths.js';
import { REPLAY_FRAMES, replayFiles } from './lib/sensors.js';
import { percentile, percentileSorted, round, Series, slope } from './lib/stats.js';

/** What judging a trial needs (the rest of TrialOptions is how to run it). */
export interface TrialShape {
  sensors: number;
  seconds: number;
  /** Seconds at the start left out of the verdict (worker start-up, JIT, first windows filling). */
  warmupSeconds: number;
  source?: DaemonConfig['source'];
  overrides?: Record<string, unknown>;
  /** Sample RSS every this many seconds into `rssSeries` (soak). */
  rssEverySeconds?: number;
}

export interface TrialOptions extends TrialShape {
  model: BenchModel;
  broker: BenchBroker;
  engine?: DaemonConfig['engine'];
  workers?: number;
  say?: (s: string) => void;
  /** Started once the daemon is up (with its HTTP URL), stopped before it stops: extra load during the trial (bench/http-load.ts). */
  load?: (httpUrl: string | undefined) => () => Promise<void>;
}

export interface TrialResult {
  sensors: number;
  seconds: number;
  engine: string;
  source: string;
  overrides?: Record<string, unknown>;
  /** Windows the daemon should produce per second: sensors × rate / hop. */
  expectedWindowsPerSec: number;
  windowsPerSec: number;
  /** Diagnoses the daemon produced (classified) per second, before the store and MQTT. */
  daemonDiagnosesPerSec: number;
  diagnosesReceivedPerSec: number;
  /** Windows (or DSP frames) dropped after the warm-up: any fails the trial. */
  droppedWindows: number;
  /** Dropped during the warm-up (cold JIT, all replay sensors starting in step), reported only. */
  droppedInWarmup: number;
  /** Windows produced but not yet received on MQTT at the end, and its growth rate. */
  finalBacklog: number;
  backlogSlopePerSec: number;
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  /** Median latency trend over the measured part of the run (ms per s): > 0 means lag is growing. */
  latencySlopeMsPerSec: number;
  daemonCpuPercentOfOneCore: number;
  mosquittoCpuPercentOfOneCore: number;
  rssMiB: { start: number; end: number; max: number };
  loopDelayP99Ms: number;
  realTime: boolean;
  verdict: string;
  /** app.stop() + process exit time, and handles still open after stop() (should be none). */
  stop?: { ms: number; openResourcesAfterStop: string[] };
  rssSeries?: { t: number; rssMiB: number; heapUsedMiB: number; arrayBuffersMiB: number }[];
  /** Soak: latency and the daemon's loop delay per minute after the warm-up, to see when a tail happens. */
  latencyByMinute?: { fromS: number; p50: number; p99: number; max: number; loopDelayP99Ms: number }[];
  rssSlopeMiBPerHour?: number;
  heapSlopeMiBPerHour?: number;
}

const HOP = 1024;
/** One run of the daemon at a fixed load. */
export async function runTrial(o: TrialOptions): Promise<TrialResult> {
  const say = o.say ?? (() => {});
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'drsnd-bench-e2e-'));
  const rateHz = 12_000;
  const cfg: DaemonConfig = {
    modelDir: o.model.dir, brokerUrl: o.broker.url, dbPath: path.join(tmp, 'drsnd.db'), sensors: o.sensors, rateHz,
    engine: o.engine ?? 'auto', workers: o.workers ?? 0, overrides: o.overrides,
    source: o.source ?? 'replay', replayFiles: [],
  };
  if (cfg.source === 'replay') cfg.replayFiles = replayFiles(tmp);
  // Receive time (s since start) → latency (ms) of every diagnosis seen on MQTT.
  const received = new Series();
  const sub: MqttClient = connect(o.broker.url, { clientId: `bench-sub-${process.pid}-${Date.now()}`, protocolVersion: 5 });
  await new Promise<void>((resolve, reject) => { sub.once('connect', () => resolve()); sub.once('error', reject); });
  // QoS 0 on the measuring side: the daemon publishes at QoS 1 as always; the subscriber only observes.
  await sub.subscribeAsync('drsnd/bench/+/+/diagnosis', { qos: 0 });
  let tStart = 0;
  sub.on('message', (_topic, payload) => {
    const now = Date.now();
    const d = JSON.parse(payload.toString()) as { windowEnd: string };
    received.push((now - tStart) / 1000, now - Date.parse(d.windowEnd));
  });

  const samples: DaemonSample[] = [];
  // BENCH_CPU_PROF=DIR: V8 CPU profiles of the daemon (main thread and workers) for the hot-path pass.
  // BENCH_NODE_ARGS: more Node/V8 flags for the daemon, space-separated (e.g. --trace-gc: its lines go
  // to this process's stdout, one isolate per thread).
  const prof = process.env.BENCH_CPU_PROF;
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = fork(path.join(DIST_BENCH, 'e2e-daemon.js'), [JSON.stringify(cfg)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...extra],
  });
  let engine = '';
  let httpUrl: string | undefined;
  let stopLoad: (() => Promise<void>) | undefined;
  let stopMs = 0;
  let leftOpen: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bench daemon exited (code ${code}) before starting`)));
      child.on('message', (m: { type: string; engine?: string; message?: string; httpUrl?: string }) => {
        if (m.type === 'started') { engine = m.engine ?? ''; httpUrl = m.httpUrl; resolve(); }
        if (m.type === 'error') reject(new Error(`bench daemon: ${m.message}`));
      });
    });
    tStart = Date.now();
    received.clear();
    child.on('message', (m: DaemonSample) => { if (m.type === 'sample') samples.push(m); });
    const mosqCpuStart = o.broker.cpuSeconds();
    stopLoad = o.load?.(httpUrl);
    // BENCH_THREADS=1: the daemon's CPU per thread after the warm-up (/proc/<pid>/task/*/stat), printed.
    if (process.env.BENCH_THREADS === '1' && child.pid !== undefined) {
      const warm = Math.min(o.warmupSeconds, o.seconds);
      await new Promise((r) => setTimeout(r, warm * 1000));
      const from = threadTicks(child.pid);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, (o.seconds - warm) * 1000));
      console.log(`  ${threadReport(child.pid, from, threadTicks(child.pid), (performance.now() - t0) / 1000)}`);
    } else {
      await new Promise((r) => setTimeout(r, o.seconds * 1000));
    }
    const mosqCpuEnd = o.broker.cpuSeconds();
    await stopLoad?.();
    stopLoad = undefined;
    let openResources: string[] | undefined;
    const exited = new Promise<void>((resolve) => {
      child.on('message', (m: { type: string; openResources?: string[] }) => { if (m.type === 'stopped') openResources = m.openResources; });
      child.once('exit', () => resolve());
    });
    const stopAsked = performance.now();
    child.send({ type: 'stop' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(kill);
    stopMs = Math.round(performance.now() - stopAsked);
    leftOpen = openResources ?? ['(no report: killed or crashed)'];
    const r = summarize(o, samples, received, engine, rateHz, (mosqCpuEnd - mosqCpuStart) / o.seconds, say);
    r.stop = { ms: stopMs, openResourcesAfterStop: leftOpen };
    return r;
  } finally {
    await stopLoad?.();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await sub.endAsync(true).catch(() => undefined);
    // BENCH_KEEP=1 keeps the trial's folder (the daemon's SQLite file, drsnd.db) for a look afterwards.
    if (process.env.BENCH_KEEP === '1') console.log(`  kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

/** CPU ticks (user + system) of each thread of `pid` (Linux /proc; empty elsewhere). */
function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      // Fields after the parenthesised name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** "threads (% of one core over S s): main M, then the others from the busiest" from two threadTicks(). */
function threadReport(pid: number, a: Map<number, number>, b: Map<number, number>, seconds: number): string {
  if (b.size === 0) return 'threads: /proc not readable here';
  const hz = 100; // USER_HZ: 100 on every Linux ABI Node supports
  const pct = (tid: number) => (100 * ((b.get(tid) ?? 0) - (a.get(tid) ?? 0))) / hz / seconds;
  const others = [...b.keys()].filter((t) => t !== pid).map(pct).sort((x, y) => y - x);
  const shown = others.filter((p) => p >= 0.5).map((p) => p.toFixed(1));
  const rest = others.filter((p) => p < 0.5).reduce((x, y) => x + y, 0);
  const total = pct(pid) + others.reduce((x, y) => x + y, 0);
  return `threads (% of one core over ${seconds.toFixed(0)} s): main ${pct(pid).toFixed(1)}, others ${shown.join(', ')}` +
    `${rest > 0 ? ` (+${rest.toFixed(1)} in threads under 0.5)` : ''}; total ${total.toFixed(1)}`;
}

/** The verdict and numbers of one trial, from the daemon's per-second samples and the diagnoses received. */
export function summarize(o: TrialShape, samples: DaemonSample[], received: Series, engine: string,
  rateHz: number, mosqCpu: number, say: (s: string) => void = () => {}): TrialResult {
  // A replay loop of F frames yields F − 1 windows (the restart at the loop's end costs one).
  const expected = ((o.sensors * rateHz) / HOP) * ((o.source ?? 'replay') === 'replay' ? (REPLAY_FRAMES - 1) / REPLAY_FRAMES : 1);
  // Measured part: after the warm-up, up to the last periodic sample (the stop sample is excluded).
  const periodic = samples.slice(0, -1).filter((s) => s.t / 1000 <= o.seconds + 0.5);
  const measured = periodic.filter((s) => s.t / 1000 >= o.warmupSeconds);
  const first = measured[0] ?? periodic[0];
  const last = measured[measured.length - 1] ?? periodic[periodic.length - 1];
  const span = first && last && last.t > first.t ? (last.t - first.t) / 1000 : NaN;
  const recvIn = (a: number, b: number) => received.indexAt(b) - received.indexAt(a);
  // Backlog at each sample time: windows produced so far minus diagnoses received so far.
  const backlog = measured.map((s) => s.windows - received.indexAt(s.t / 1000));
  const latMeasured = received.sortedValues(o.warmupSeconds, Infinity);
  // Per-second medians, then their trend: robust to single slow batches.
  const secs: number[] = [];
  const meds: number[] = [];
  for (let s = Math.ceil(o.warmupSeconds); s < o.seconds; s++) {
    const l = received.sortedValues(s, s + 1);
    if (l.length > 0) { secs.push(s); meds.push(percentileSorted(l, 50)); }
  }
  const windowsPerSec = first && last ? (last.windows - first.windows) / span : 0;
  const daemonDiagPerSec = first && last ? (last.diagnoses - first.diagnoses) / span : 0;
  const recvPerSec = first && last ? recvIn(first.t / 1000, last.t / 1000) / span : 0;
  // The documented rule counts drops after the warm-up (the method in BENCHMARKS.md); those in it are reported.
  const total = samples.length ? samples[samples.length - 1].dropped : 0;
  const droppedInWarmup = first ? first.dropped : total;
  const dropped = total - droppedInWarmup;
  const backlogSlope = slope(measured.map((s) => s.t / 1000), backlog);
  const latSlope = slope(secs, meds);
  const cpu = first && last ? ((last.cpuSeconds - first.cpuSeconds) / span) * 100 : NaN;
  const rss = periodic.map((s) => s.rssMiB);
  const finalBacklog = backlog.length ? backlog[backlog.length - 1] : 0;
  const reasons: string[] = [];
  if (dropped > 0) reasons.push(`${dropped} windows dropped after the warm-up (inference queue or DSP workers)`);
  // 3 % short, plus slack for counting whole windows over a short span: all replay sensors start
  // together, so their loop restarts (one lost window each) fall in the span together, 1 or 2 times
  // more than the average accounts for; one window per sensor and two for the ends of the span.
  const loopSeconds = (REPLAY_FRAMES * HOP) / rateHz;
  const restarts = (o.source ?? 'replay') === 'replay' ? Math.ceil(span / loopSeconds) : 0;
  const floor = Number.isFinite(span) ? (0.97 * expected * span - o.sensors * (restarts + 1) - 2) / span : expected;
  if (windowsPerSec < floor) reasons.push(`windows produced ${Math.round(windowsPerSec)}/s < ${Math.round(floor)}/s of ${Math.round(expected)}/s expected (ingest fell behind)`);
  if (recvPerSec < floor) reasons.push(`diagnoses received ${Math.round(recvPerSec)}/s < ${Math.round(floor)}/s (classified ${round(daemonDiagPerSec)}/s)`);
  if (backlogSlope > 0.02 * expected) reasons.push(`backlog growing ${round(backlogSlope)} windows/s`);
  // Lag that grew by more than 250 ms over the measured part: per-second medians are noisy on a shared
  // CPU, so a short trial needs a total, not just a slope, before calling it a trend.
  const latGrowth = latSlope * (secs.length > 1 ? secs[secs.length - 1] - secs[0] : 0);
  if (latSlope > 2 && latGrowth > 250) reasons.push(`latency growing ${round(latSlope)} ms/s (+${Math.round(latGrowth)} ms over the run)`);
  const result: TrialResult = {
    sensors: o.sensors, seconds: o.seconds, engine, source: o.source ?? 'replay', overrides: o.overrides,
    expectedWindowsPerSec: round(expected), windowsPerSec: round(windowsPerSec), daemonDiagnosesPerSec: round(daemonDiagPerSec), diagnosesReceivedPerSec: round(recvPerSec),
    droppedWindows: dropped, droppedInWarmup, finalBacklog, backlogSlopePerSec: round(backlogSlope, 2),
    latencyMs: { p50: round(percentileSorted(latMeasured, 50)), p99: round(percentileSorted(latMeasured, 99)), max: round(latMeasured.length ? latMeasured[latMeasured.length - 1] : NaN), samples: latMeasured.length },
    latencySlopeMsPerSec: round(latSlope, 2),
    daemonCpuPercentOfOneCore: round(cpu), mosquittoCpuPercentOfOneCore: round(mosqCpu * 100),
    rssMiB: { start: round(rss[0] ?? NaN), end: round(rss[rss.length - 1] ?? NaN), max: round(Math.max(...rss)) },
    loopDelayP99Ms: round(percentile(measured.map((s) => s.loopDelayP99Ms), 99)),
    realTime: reasons.length === 0 && latMeasured.length > 0,
    verdict: reasons.length === 0 ? (latMeasured.length > 0 ? 'holds real time' : 'no diagnoses received') : reasons.join('; '),
  };
  if (o.rssEverySeconds) {
    const every = o.rssEverySeconds * 1000;
    const series = periodic.filter((s, i) => i === 0 || Math.floor(s.t / every) !== Math.floor(periodic[i - 1].t / every));
    result.rssSeries = series.map((s) => ({ t: round(s.t / 1000), rssMiB: round(s.rssMiB, 1), heapUsedMiB: round(s.heapUsedMiB, 1), arrayBuffersMiB: round(s.arrayBuffersMiB, 1) }));
    result.rssSlopeMiBPerHour = round(slope(measured.map((s) => s.t / 3.6e6), measured.map((s) => s.rssMiB)), 1);
    result.heapSlopeMiBPerHour = round(slope(measured.map((s) => s.t / 3.6e6), measured.map((s) => s.heapUsedMiB)), 1);
    result.latencyByMinute = [];
    for (let a = o.warmupSeconds; a < o.seconds; a += 60) {
      const l = received.sortedValues(a, a + 60);
      const loop = measured.filter((s) => s.t / 1000 >= a && s.t / 1000 < a + 60).map((s) => s.loopDelayP99Ms);
      if (l.length === 0) continue;
      result.latencyByMinute.push({
        fromS: round(a), p50: round(percentileSorted(l, 50)), p99: round(percentileSorted(l, 99)), max: round(l[l.length - 1]),
        loopDelayP99Ms: round(loop.length ? percentile(loop, 99) : NaN),
      });
    }
  }
  say(`  N=${o.sensors}: ${result.verdict}; ${result.windowsPerSec}/${result.expectedWindowsPerSec} windows/s, latency p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms, daemon CPU ${result.daemonCpuPercentOfOneCore}%, RSS ${result.rssMiB.end} MiB`);
  return result;
}

export interface SearchResult {
  maxRealTimeSensors: number;
  trials: TrialResult[];
  /** The trial at maxRealTimeSensors (the numbers to quote). */
  atMax?: TrialResult;
}

/** Doubles N until real time breaks, then bisects to ~10% between the last pass and the first failure. */
export async function findMaxSensors(base: Omit<TrialOptions, 'sensors'>, start: number, limit: number): Promise<SearchResult> {
  const trials: TrialResult[] = [];
  let lo = 0;
  let hi = limit + 1;
  let n = start;
  while (n <= limit) {
    const t = await runTrial({ ...base, sensors: n });
    trials.push(t);
    if (!t.realTime) { hi = n; break; }
    lo = n;
    n *= 2;
  }
  if (hi > limit) hi = Math.min(hi, n);
  while (hi - lo > Math.max(2, Math.ceil(lo * 0.1)) && lo > 0) {
    const mid = Math.round((lo + hi) / 2);
    const t = await runTrial({ ...base, sensors: mid });
    trials.push(t);
    if (t.realTime) lo = mid; else hi = mid;
  }
  // Bisection from a failing start: halve until something holds.
  if (lo === 0) {
    n = Math.floor(start / 2);
    while (n >= 1) {
      const t = await runTrial({ ...base, sensors: n });
      trials.push(t);
      if (t.realTime) { lo = n; break; }
      n = Math.floor(n / 2);
    }
  }
  return { maxRealTimeSensors: lo, trials, atMax: trials.find((t) => t.sensors === lo && t.realTime) };
}

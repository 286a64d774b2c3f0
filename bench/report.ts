// Markdown tables from a results object (bench/results/<date>.json has the same shape).
import type { CostResults } from './cost.js';
import type { EngineResults } from './engines.js';
import type { SearchResult, TrialResult } from './e2e.js';
import type { HotRow } from './hotpath.js';
import type { MachineInfo } from './lib/machine.js';
import type { PeerResults } from './peer.js';
import type { RatioResults } from './ratio.js';

export interface BenchResults {
  machine: MachineInfo;
  /** True when the 1-min load average at start exceeded 1.0: the numbers share the CPU with something else. */
  polluted: boolean;
  command: string;
  model: { id: string; origin: string; architecture: string; windowLength: number; parameters?: unknown };
  windows: string;
  engines?: EngineResults;
  peer?: PeerResults;
  ratio?: RatioResults;
  e2e?: SearchResult | { fixed: TrialResult };
  soak?: TrialResult;
  /** ORT, 2 workers, batch 16, measured just before and after the e2e/soak parts: this VM's speed drifts
   *  (the same configuration gave 11,546 and 6,780 windows/s on one day), so e2e capacity is read with it. */
  speedCheck?: { before?: number; after?: number };
  hotPath?: { rows: HotRow[]; pipelineScript: Record<string, unknown> };
  cost?: CostResults;
  /** Parts that failed, with the error (the other parts' numbers are still here). */
  errors?: Record<string, string>;
  loadAvgAtEnd: [number, number, number];
}

export const SPEED_CHECK_SECONDS = 3;

const table = (head: string[], rows: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function markdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`### Run ${m.date}${r.polluted ? ' — POLLUTED (machine was busy, see load)' : ''}`);
  out.push('');
  out.push(`- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memTotalMiB} MiB, ${m.os}; load average at start ${m.loadAvgAtStart.join(' / ')}, at end ${r.loadAvgAtEnd.join(' / ')}`);
  if (r.polluted) out.push(`- Busiest processes at start: ${m.topProcesses.join('; ')}`);
  out.push(`- Versions: node ${m.versions.node}, onnxruntime-node ${m.versions.onnxruntime}, tfjs ${m.versions.tfjs} (wasm ${m.versions.tfjsWasm}), torch ${m.versions.torch}, better-sqlite3 ${m.versions.betterSqlite3}, mqtt.js ${m.versions.mqtt}, mosquitto ${m.versions.mosquitto}; commit ${m.gitCommit}`);
  out.push(`- Model: ${r.model.id} (${r.model.architecture}, window ${r.model.windowLength}) — ${r.model.origin}; windows: ${r.windows}`);
  out.push(`- Command: \`${r.command}\``);
  for (const [p, msg] of Object.entries(r.errors ?? {})) out.push(`- **Part ${p} failed:** ${msg.split('\n')[0]}`);
  if (r.cost) {
    out.push('', `#### Model cost (${r.cost.engine} alone, one thread, ${r.cost.calls} calls per timing, windows/s over alternating rounds)`, '');
    out.push(table(['model', 'batch', 'median', 'min', 'max'], r.cost.summary.map((c) => [c.model, c.batch, c.median, c.min, c.max])));
  }
  if (r.engines) {
    const e = r.engines;
    out.push('', '#### Engine throughput (windows/s, through the worker pool)', '');
    const keys = [...new Set(e.throughput.map((t) => `${t.engine}/${t.backend}|${t.workers}|${t.intraOp}`))];
    const batches = [...new Set(e.throughput.map((t) => t.batch))].sort((a, b) => a - b);
    out.push(table(['engine/backend', 'workers × threads', ...batches.map((b) => `batch ${b}`)], keys.map((k) => {
      const [eb, wk, io] = k.split('|');
      return [eb, `${wk} × ${io}`, ...batches.map((b) => e.throughput.find((t) => `${t.engine}/${t.backend}|${t.workers}|${t.intraOp}` === k && t.batch === b)?.windowsPerSec ?? '—')];
    })));
    if (e.pipelining.length) {
      out.push('', 'Batches outstanding per worker (batch 16): 2 = the next batch waits in the pool while one runs; 1 = what the daemon\'s classify operator does (next batch sent only after a result reaches the main thread).', '');
      out.push(table(['engine/backend', 'workers', 'in flight / worker', 'windows/s'], e.pipelining.map((p) => [`${p.engine}/${p.backend}`, p.workers, p.inFlightPerWorker, p.windowsPerSec])));
    }
    for (const u of e.unavailable) out.push('', `- ${u.engine}/${u.backend}: **unavailable** — ${u.reason}`);
    out.push('', '#### Single-window latency (1 worker, batch 1, one call at a time, incl. worker round trip)', '');
    out.push(table(['engine/backend', 'p50 ms', 'p99 ms', 'mean ms', 'calls'], e.latency.map((l) => [`${l.engine}/${l.backend}`, l.p50Ms, l.p99Ms, l.meanMs, l.samples])));
  }
  if (r.peer) {
    const p = r.peer;
    out.push('', '#### PyTorch peer (same weights, same windows)', '');
    if (!p.available) out.push(`Peer unavailable: ${p.reason}`);
    else {
      const batches = [...new Set(p.throughput.map((t) => t.batch))].sort((a, b) => a - b);
      const keys = [...new Set(p.throughput.map((t) => `${t.mode}|${t.threads}`))];
      out.push(table(['torch ' + (p.torch ?? ''), 'threads', ...batches.map((b) => `batch ${b}`)], keys.map((k) => {
        const [mode, th] = k.split('|');
        return [mode, th, ...batches.map((b) => p.throughput.find((t) => t.mode === mode && String(t.threads) === th && t.batch === b)?.windowsPerSec ?? '—')];
      })));
      out.push('', table(['torch latency', 'threads', 'p50 ms', 'p99 ms', 'calls'], p.latency.map((l) => [l.mode, l.threads, l.p50Ms, l.p99Ms, l.samples])));
      out.push('', `Max |p_ours − p_torch| on the first 16 windows: ${Object.entries(p.maxAbsProbDiff).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      out.push('', '##### Ours / peer (equal cores, equal batch)', '');
      out.push(table(['ours', 'cores', 'batch', 'ours w/s', 'torch eager', 'torch TorchScript', 'ours/eager', 'ours/TorchScript'],
        p.ratios.map((x) => [x.engine, x.cores, x.batch, x.ours, x.peerEager, x.peerTorchscript, x.vsEager, x.vsTorchscript])));
    }
  }
  if (r.ratio) {
    const q = r.ratio;
    const sp = (x: { median: number; min: number; max: number }) => `**${x.median}** (${x.min}–${x.max})`;
    out.push('', `#### Ours / PyTorch peer in ${q.rounds.length} alternating rounds (${q.cores} cores)`, '');
    out.push(`Ours: ${q.oursEngine === 'native' ? 'the native engine (drsn.c)' : 'onnxruntime'}, ${q.cores} workers × 1 thread. Peer: TorchScript (frozen), ${q.cores} threads in one process, and ${q.cores} single-threaded processes side by side. Ratios are taken within a round; median (min–max) over rounds.`, '');
    out.push(table(['round', 'order', ...q.batches.flatMap((b) => [`ours b${b}`, `torch ${q.cores} thr b${b}`, `torch ${q.cores} proc b${b}`])],
      q.rounds.map((x) => [x.round, x.order.join(' → '), ...q.batches.flatMap((_, j) => [x.rates.ours[j], x.rates.torchThreads[j], x.rates.torchProcesses[j]])])));
    out.push('', table(['batch', 'ours median w/s', `ours / TorchScript ${q.cores} threads`, `ours / TorchScript ${q.cores} processes`],
      [...q.perBatch.map((x) => [x.batch, x.oursMedian, sp(x.vsThreads), sp(x.vsProcesses)]), ['best vs best', '', sp(q.bestVsBest.vsThreads), sp(q.bestVsBest.vsProcesses)]]));
  }
  const trialRows = (ts: TrialResult[]) => table(
    ['sensors (12 kHz ch.)', 'windows/s expected', 'produced', 'classified', 'received on MQTT', 'dropped (warm-up)', 'latency p50 ms', 'p99 ms', 'lat. trend ms/s', 'daemon CPU % (1 core)', 'mosquitto CPU %', 'RSS MiB', 'loop delay p99 ms', 'verdict'],
    ts.map((t) => [t.sensors, t.expectedWindowsPerSec, t.windowsPerSec, t.daemonDiagnosesPerSec ?? '—', t.diagnosesReceivedPerSec, `${t.droppedWindows} (${t.droppedInWarmup ?? 0})`, t.latencyMs.p50, t.latencyMs.p99, t.latencySlopeMsPerSec, t.daemonCpuPercentOfOneCore, t.mosquittoCpuPercentOfOneCore, t.rssMiB.end, t.loopDelayP99Ms, t.verdict]));
  if (r.speedCheck) {
    const { before, after } = r.speedCheck;
    out.push('', `**Machine speed check** (inference alone, onnx 2 workers × batch 16, ${SPEED_CHECK_SECONDS} s): ${before ?? '—'} windows/s before the end-to-end part, ${after ?? '—'} after. ` +
      'End-to-end capacity scales with it; compare runs only at similar speed.');
  }
  if (r.e2e) {
    out.push('', '#### End to end (createApp, simulated sensors, mosquitto, SQLite)', '');
    if ('fixed' in r.e2e) {
      if (r.e2e.fixed.overrides) out.push(`Settings changed from the defaults: \`${JSON.stringify(r.e2e.fixed.overrides)}\``, '');
      out.push(trialRows([r.e2e.fixed]));
    }
    else {
      const ov = r.e2e.trials[0]?.overrides;
      if (ov) out.push(`Settings changed from the defaults: \`${JSON.stringify(ov)}\``, '');
      out.push(`**Largest N holding real time: ${r.e2e.maxRealTimeSensors} channels** (engine ${r.e2e.trials[0]?.engine ?? '?'}, ${r.e2e.trials[0]?.seconds ?? '?'} s per trial)`, '');
      out.push(trialRows([...r.e2e.trials].sort((a, b) => a.sensors - b.sensors)));
    }
  }
  if (r.soak) {
    const s = r.soak;
    out.push('', `#### Soak (${s.sensors} channels, ${s.seconds} s${s.overrides ? `, settings ${JSON.stringify(s.overrides)}` : ''})`, '');
    out.push(`RSS ${s.rssMiB.start} → ${s.rssMiB.end} MiB (max ${s.rssMiB.max}); slope after warm-up **${s.rssSlopeMiBPerHour} MiB/h** (heap ${s.heapSlopeMiBPerHour} MiB/h); latency p50 ${s.latencyMs.p50} / p99 ${s.latencyMs.p99} ms; ${s.verdict}`);
    // GC sawtooth of tens of MiB over a minute extrapolates to thousands of MiB/h either way.
    if (s.seconds < 600) out.push('', `_A ${s.seconds} s soak is too short for its slope to mean anything beyond a gross leak; use --soak-hour._`);
    if (s.rssSeries?.length) out.push('', `RSS samples (s: MiB): ${s.rssSeries.map((x) => `${x.t}: ${x.rssMiB}`).join(', ')}`);
    if (s.latencyByMinute?.length) {
      out.push('', 'Latency per minute after the warm-up (from s: p50 / p99 / max ms, loop delay p99 ms): '
        + s.latencyByMinute.map((m) => `${m.fromS}: ${m.p50} / ${m.p99} / ${m.max}, ${m.loopDelayP99Ms}`).join('; '));
    }
  }
  if (r.hotPath) {
    out.push('', '#### Hot path, each stage alone on one core', '');
    out.push(table(['stage', 'rate', 'unit', 'µs per window', 'note'], r.hotPath.rows.map((h) => [h.stage, h.rate, h.unit, h.perWindowUs ?? '—', h.note])));
    out.push('', `bench/pipeline.ts: \`${JSON.stringify(r.hotPath.pipelineScript)}\``);
  }
  return out.join('\n') + '\n';
}

// `--only ratio`: ours against the PyTorch peer in alternating rounds. This VM's speed drifts by up
// to 2× within an hour (BENCHMARKS.md items 11 and 16 gave 1.81× and 1.00× best against best a day
// apart), so one pass of each side says more about the minute than about the engines. Each round
// times ours (what `auto` runs: the native engine, else onnxruntime; 2 workers × 1 thread, the daemon's setup), the peer as the issue defines it
// (TorchScript, 2 threads) and the peer parallelised as ours is (2 single-threaded processes), with
// the order rotated every round; the ratio is taken within a round and summarised over rounds.
import { nativeUnavailable } from '../src/model/engines/native.js';
import { poolRates } from './engines.js';
import type { BenchModel } from './lib/model.js';
import { percentile, round } from './lib/stats.js';
import type { BenchWindows } from './lib/windows.js';
import { runPeer, runPeerProcesses } from './peer.js';

export const RATIO_BATCHES = [16, 64, 256];
const CORES = 2;

type Side = 'ours' | 'torchThreads' | 'torchProcesses';
export interface RatioRound { round: number; order: Side[]; rates: Record<Side, number[]> }
export interface Spread { median: number; min: number; max: number }
export interface RatioResults {
  batches: number[];
  cores: number;
  /** The engine measured as ours. */
  oursEngine: 'native' | 'onnx';
  rounds: RatioRound[];
  /** Per batch size: ours / peer within each round, over the rounds. */
  perBatch: { batch: number; oursMedian: number; vsThreads: Spread; vsProcesses: Spread }[];
  /** Each side's best batch size against the other's, within each round, over the rounds. */
  bestVsBest: { vsThreads: Spread; vsProcesses: Spread };
}

const spread = (xs: number[]): Spread => ({ median: round(percentile(xs, 50), 2), min: round(Math.min(...xs), 2), max: round(Math.max(...xs), 2) });

export async function runRatio(model: BenchModel, w: BenchWindows, seconds: number, rounds: number, say: (s: string) => void): Promise<RatioResults> {
  const b = RATIO_BATCHES;
  // Ours is what the daemon's `auto` runs: the native engine where it was built, else onnxruntime.
  const oursEngine = nativeUnavailable() === null ? 'native' : 'onnx';
  const measure: Record<Side, () => Promise<number[]>> = {
    ours: () => poolRates(model, w, { engine: oursEngine, backend: 'auto', workers: CORES }, b, seconds),
    torchThreads: async () => {
      const p = await runPeer(model, w, seconds, b, [CORES], () => {}, ['--modes', 'torchscript', '--no-latency']);
      if (!p.available) throw new Error(`peer unavailable: ${p.reason}`);
      return b.map((batch) => p.throughput.find((r) => r.batch === batch)?.windowsPerSec ?? NaN);
    },
    torchProcesses: async () => (await runPeerProcesses(model, w, seconds, b, CORES)).map((r) => r.windowsPerSec),
  };
  const sides: Side[] = ['ours', 'torchThreads', 'torchProcesses'];
  const out: RatioRound[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = [...sides.slice(i % 3), ...sides.slice(0, i % 3)];
    const rates = {} as Record<Side, number[]>;
    for (const side of order) rates[side] = await measure[side]();
    out.push({ round: i + 1, order, rates });
    say(`  round ${i + 1}/${rounds} (${order.join(', ')}): ours ${rates.ours.join(' / ')}, TorchScript ${CORES} threads ${rates.torchThreads.join(' / ')}, ${CORES} processes ${rates.torchProcesses.join(' / ')} windows/s at batch ${b.join(' / ')}`);
  }
  const best = (xs: number[]) => Math.max(...xs);
  return {
    batches: b, cores: CORES, oursEngine, rounds: out,
    perBatch: b.map((batch, j) => ({
      batch,
      oursMedian: percentile(out.map((r) => r.rates.ours[j]), 50),
      vsThreads: spread(out.map((r) => r.rates.ours[j] / r.rates.torchThreads[j])),
      vsProcesses: spread(out.map((r) => r.rates.ours[j] / r.rates.torchProcesses[j])),
    })),
    bestVsBest: {
      vsThreads: spread(out.map((r) => best(r.rates.ours) / best(r.rates.torchThreads))),
      vsProcesses: spread(out.map((r) => best(r.rates.ours) / best(r.rates.torchProcesses))),
    },
  };
}

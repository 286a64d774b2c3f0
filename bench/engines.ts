// Engine throughput and latency through the real worker pool (createClassifierPool), i.e. including
// the copy into a batch, the transfer to the worker and back: what the daemon gets, not a kernel number.
import type { BackendChoice, EngineChoice } from '../src/model/engines/engine.js';
import { createClassifierPool, type ClassifierPool } from '../src/runtime/classifier-pool.js';
import { createLogger } from '../src/log.js';
import type { BenchModel } from './lib/model.js';
import { percentile, round } from './lib/stats.js';
import { windowAt, type BenchWindows } from './lib/windows.js';

export interface EngineSpec {
  engine: Exclude<EngineChoice, 'auto'>;
  backend: BackendChoice;
  batches: number[];
  workers: number[];
  /** onnxruntime threads inside each worker's session (default 1). */
  intraOp?: number;
}

export interface ThroughputRow { engine: string; backend: string; workers: number; intraOp: number; batch: number; windowsPerSec: number; windows: number; seconds: number }
export interface LatencyRow { engine: string; backend: string; p50Ms: number; p99Ms: number; meanMs: number; samples: number }
/** Same pool and batch, only the number of batches kept outstanding differs (the daemon's classify keeps 1 per worker). */
export interface PipeliningRow { engine: string; backend: string; workers: number; batch: number; inFlightPerWorker: number; windowsPerSec: number }
export interface UnavailableRow { engine: string; backend: string; reason: string }

export interface EngineResults {
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  unavailable: UnavailableRow[];
  pipelining: PipeliningRow[];
  /** First 16 windows' probabilities per engine/backend, to check every engine ran the same model. */
  probs: Record<string, number[][]>;
}

export const DEFAULT_SPECS: EngineSpec[] = [
  // drsn.c, where npm run build compiled it (reported as unavailable where it did not).
  { engine: 'native', backend: 'auto', batches: [1, 16, 64, 256], workers: [1, 2] },
  { engine: 'onnx', backend: 'auto', batches: [1, 16, 64, 256], workers: [1, 2] },
  // One session with 2 intra-op threads instead of 2 workers: the other way to use 2 cores.
  { engine: 'onnx', backend: 'auto', batches: [16, 64, 256], workers: [1], intraOp: 2 },
  { engine: 'tfjs', backend: 'wasm', batches: [1, 16, 64, 256], workers: [1, 2] },
  // The pure-JS backend is ~50x slower: one batch size is enough to show it.
  { engine: 'tfjs', backend: 'cpu', batches: [16], workers: [1, 2] },
  // tfjs-node (native TensorFlow) is optional; it is reported as unavailable where it does not load.
  { engine: 'tfjs', backend: 'tensorflow', batches: [1, 16, 64, 256], workers: [1, 2] },
];

const log = createLogger('error');

function batchOf(w: BenchWindows, start: number, n: number, L: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => windowAt(w, start + i, L));
}

/** Keeps 2 batches per worker outstanding (one running, one queued) for `seconds`; windows/s. */
async function throughput(pool: ClassifierPool, w: BenchWindows, L: number, batch: number, seconds: number, minBatches: number, perWorker = 2): Promise<{ windows: number; seconds: number }> {
  const inFlight = pool.concurrency * perWorker;
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const lane = async (): Promise<void> => {
    for (;;) {
      const launched = next;
      if (performance.now() >= deadline && launched >= minBatches) return;
      next++;
      await pool.classify(batchOf(w, launched * batch, batch, L));
      done += batch;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { windows: done, seconds: (performance.now() - t0) / 1000 };
}

async function latency(pool: ClassifierPool, w: BenchWindows, L: number, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < deadline || out.length < 20; i++) {
    const t = performance.now();
    await pool.classify([windowAt(w, i, L)]);
    out.push(performance.now() - t);
  }
  return out;
}

/** windows/s of one engine configuration at each batch size, warm (bench/ratio.ts's rounds). */
export async function poolRates(model: BenchModel, w: BenchWindows, spec: { engine: Exclude<EngineChoice, 'auto'>; backend: BackendChoice; workers: number }, batches: number[], seconds: number): Promise<number[]> {
  const L = model.meta.input.windowLength;
  const pool = await createClassifierPool({ modelDir: model.dir, meta: model.meta, engine: spec.engine, backend: spec.backend, workers: spec.workers, log });
  try {
    const rates: number[] = [];
    for (const batch of batches) {
      await throughput(pool, w, L, batch, 0, spec.workers * 2);
      const t = await throughput(pool, w, L, batch, seconds, spec.workers * 2);
      rates.push(Math.round(t.windows / t.seconds));
    }
    return rates;
  } finally {
    await pool.stop();
  }
}

export async function runEngines(model: BenchModel, w: BenchWindows, seconds: number, specs: EngineSpec[] = DEFAULT_SPECS, say: (s: string) => void = () => {}): Promise<EngineResults> {
  const L = model.meta.input.windowLength;
  const res: EngineResults = { throughput: [], latency: [], unavailable: [], pipelining: [], probs: {} };
  for (const spec of specs) {
    const intraOp = spec.intraOp ?? 1;
    const label = `${spec.engine}/${spec.backend}${intraOp > 1 ? ` intraOp=${intraOp}` : ''}`;
    for (const workers of spec.workers) {
      let pool: ClassifierPool;
      try {
        pool = await createClassifierPool({ modelDir: model.dir, meta: model.meta, engine: spec.engine, backend: spec.backend, workers, log, intraOpNumThreads: intraOp });
      } catch (e) {
        const reason = (e as Error).message.split('\n')[0];
        say(`  ${label}: unavailable (${reason})`);
        res.unavailable.push({ engine: spec.engine, backend: spec.backend, reason });
        break;
      }
      const backend = pool.backendName;
      try {
        if (workers === spec.workers[0] && intraOp === 1) {
          const probs = await pool.classify(batchOf(w, 0, 16, L));
          res.probs[`${spec.engine}/${backend}`] = probs.map((p) => Array.from(p));
          if (spec.batches.includes(1)) {
            await latency(pool, w, L, 0.3); // warm-up
            const lat = await latency(pool, w, L, Math.max(1, seconds / 2));
            const row = { engine: spec.engine, backend, p50Ms: round(percentile(lat, 50), 2), p99Ms: round(percentile(lat, 99), 2), meanMs: round(lat.reduce((a, b) => a + b, 0) / lat.length, 2), samples: lat.length };
            res.latency.push(row);
            say(`  ${label} single-window latency: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms (${row.samples} calls)`);
          }
        }
        for (const batch of spec.batches) {
          // Warm-up per shape: tfjs compiles per input shape, ORT allocates its arena on first use.
          await throughput(pool, w, L, batch, 0, workers * 2);
          const t = await throughput(pool, w, L, batch, seconds, workers * 2);
          const row = { engine: spec.engine, backend, workers, intraOp, batch, windowsPerSec: Math.round(t.windows / t.seconds), windows: t.windows, seconds: round(t.seconds, 2) };
          res.throughput.push(row);
          say(`  ${label} workers=${workers} batch=${batch}: ${row.windowsPerSec} windows/s`);
          if (spec.engine === 'onnx' && intraOp === 1 && batch === 16) {
            // What the daemon's classify operator does today: one batch per worker, the next one sent
            // only when a result is back on the main thread.
            const t1 = await throughput(pool, w, L, batch, seconds, workers, 1);
            const one = Math.round(t1.windows / t1.seconds);
            res.pipelining.push({ engine: spec.engine, backend, workers, batch, inFlightPerWorker: 2, windowsPerSec: row.windowsPerSec });
            res.pipelining.push({ engine: spec.engine, backend, workers, batch, inFlightPerWorker: 1, windowsPerSec: one });
            say(`  ${label} workers=${workers} batch=${batch}, 1 batch in flight per worker: ${one} windows/s`);
          }
        }
      } finally {
        await pool.stop();
      }
    }
  }
  return res;
}

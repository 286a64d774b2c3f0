// `--only cost`: what a model folder costs per window, its engine alone on this thread (no pool, no
// pipeline, no worker round trip), the models timed in alternating order round by round so this VM's
// speed drift hits them alike. The method of BENCHMARKS items 11 and 15 and of the wide models' READMEs
// (it replaces the one-off scripts bench/results/*/ortopt.mjs, ortprof.mjs and cost.sh).
import { loadModel } from '../src/model/metadata.js';
import type { EngineName } from '../src/model/engines/engine.js';
import { selectEngine } from '../src/model/select.js';
import { benchWindows } from './lib/windows.js';
import { percentile, round } from './lib/stats.js';

export interface CostRow { model: string; batch: number; round: number; windowsPerSec: number }
export interface CostResults {
  engine: string;
  calls: number;
  rows: CostRow[];
  /** Per model and batch over the rounds. */
  summary: { model: string; batch: number; median: number; min: number; max: number }[];
}

const WARMUP_CALLS = 30;

export async function runCost(modelDirs: string[], engine: EngineName, batches: number[], calls: number, rounds: number, say: (s: string) => void): Promise<CostResults> {
  const models = await Promise.all(modelDirs.map(async (dir) => {
    const { meta } = await loadModel(dir);
    const { engine: e } = await selectEngine({ modelDir: dir, meta, engine, backend: 'auto', intraOpNumThreads: 1 });
    const w = benchWindows(meta, Math.max(...batches));
    for (let i = 0; i < WARMUP_CALLS; i++) await e.run(w.data, Math.max(...batches));
    return { dir, id: meta.id, engine: e, data: w.data };
  }));
  const rows: CostRow[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const order = r % 2 === 1 ? models : [...models].reverse();
      for (const m of order) {
        for (const batch of batches) {
          const t0 = performance.now();
          for (let i = 0; i < calls; i++) await m.engine.run(m.data, batch);
          const windowsPerSec = Math.round((calls * batch * 1000) / (performance.now() - t0));
          rows.push({ model: m.id, batch, round: r, windowsPerSec });
          say(`  round ${r} ${m.id} ${m.engine.name} batch ${batch}: ${windowsPerSec} windows/s`);
        }
      }
    }
  } finally {
    for (const m of models) await m.engine.dispose();
  }
  const summary = models.flatMap((m) => batches.map((batch) => {
    const v = rows.filter((x) => x.model === m.id && x.batch === batch).map((x) => x.windowsPerSec);
    return { model: m.id, batch, median: round(percentile(v, 50), 0), min: Math.min(...v), max: Math.max(...v) };
  }));
  return { engine: models[0]?.engine.name ?? engine, calls, rows, summary };
}

// The model every benchmark runs: the trained models/drsn-cw-cwru when it exists, else a seeded
// random-init DRSN-CW exported by the trainer's own exporter (throughput does not depend on weights).
// The paper's net, not the daemon's default model (drsn-cw-wide-x2-cwru since issue 18): the capacity
// and cost figures have always been for it, and `--model DIR` benches any other.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../../src/model/metadata.js';
import type { ModelMetadata } from '../../src/types.js';
import { CWRU_DIR, PYTHON, ROOT } from './paths.js';

export interface BenchModel {
  dir: string;
  meta: ModelMetadata;
  /** 'trained' (the repository's model folder) or 'random-init seed 7' (temp export). */
  origin: string;
  /** Temp folder to delete at the end, when we exported one. */
  tempDir?: string;
}

export async function benchModel(requested?: string): Promise<BenchModel> {
  const dir = requested ?? path.join(ROOT, 'models', 'drsn-cw-cwru');
  if (existsSync(path.join(dir, 'drsn.json'))) {
    const m = await loadModel(dir);
    return { dir: m.dir, meta: m.meta, origin: requested ? `given (${dir})` : 'trained (models/drsn-cw-cwru)' };
  }
  if (requested) throw new Error(`bench: no drsn.json in ${requested}`);
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-bench-model-'));
  const out = path.join(tempDir, 'drsn-cw');
  const args = ['-m', 'drsn.export', '--random', '--variant', 'cw', '--seed', '7', '--out', out];
  if (existsSync(path.join(CWRU_DIR, 'manifest.json'))) args.push('--cwru', CWRU_DIR);
  execFileSync(PYTHON, args, { cwd: path.join(ROOT, 'src', 'model', 'py'), stdio: ['ignore', 'ignore', 'inherit'] });
  const m = await loadModel(out);
  return { dir: m.dir, meta: m.meta, origin: 'random-init DRSN-CW, seed 7 (models/drsn-cw-cwru absent)', tempDir };
}

// Worker scripts with a fault injected (faulty-worker.ts), for the `script` option of the pools and
// the checkpointer.
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerScript } from '../../src/worker-entry.js';

/** The nth work message (1-based) a worker gets, or (classifier workers) the first batch of `windows` windows. */
export interface MessageMatch {
  nth?: number;
  windows?: number;
}

export interface WorkerFault {
  crash?: MessageMatch;
  hang?: MessageMatch;
  /** The nth onnxruntime run call fails. */
  failEngineCall?: number;
}

const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/** The real worker modules, by the folder of src/ each lives in. */
const WORKERS = { 'dsp-worker': 'runtime', 'classifier-worker': 'runtime', 'checkpoint-worker': 'store' } as const;

/**
 * `worker` (a real module in src/) with `fault`, which strikes once in the pool (not in replacements);
 * `struck()` says whether it has (e.g. the worker is wedged now, so a deadline may be passed).
 */
export function faultyWorker(worker: keyof typeof WORKERS, fault: WorkerFault): WorkerScript & { struck(): boolean } {
  const target = new URL(`../../src/${WORKERS[worker]}/${worker}.${ext}`, import.meta.url).href;
  const marker = path.join(os.tmpdir(), `drsnd-fault-${randomUUID()}`);
  process.once('exit', () => rmSync(marker, { force: true }));
  return {
    url: new URL(`./faulty-worker.${ext}`, import.meta.url),
    argv: [target, JSON.stringify({ ...fault, marker })],
    struck: () => existsSync(marker),
  };
}

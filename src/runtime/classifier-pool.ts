// The Classifier the pipeline uses: a pool of worker threads, each with its own inference engine.
// One batch per worker at a time, so `concurrency` = workers. A worker that dies takes only its
// in-flight batch with it (rejected, never left hanging) and is replaced.
import os from 'node:os';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { netInputLength } from '../model/metadata.js';
import type { BackendChoice, EngineChoice } from '../model/engines/engine.js';
import type { Classifier, ModelMetadata } from '../types.js';
import type { Clock } from '../util/clock.js';
import { siblingScript, type WorkerScript } from '../worker-entry.js';
import { createWorkerPool, type Member } from './worker-pool.js';
import { fromWire, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

export interface ClassifierPoolOptions {
  modelDir: string;
  meta: ModelMetadata;
  engine: EngineChoice;
  backend: BackendChoice;
  /** 0 = os.availableParallelism(). */
  workers: number;
  log: Logger;
  /** onnxruntime threads per worker session (default 1). */
  intraOpNumThreads?: number;
  /**
   * A batch not answered within this time counts as a wedged worker: it is terminated (the batch
   * rejected) and replaced. Default 30 s: far above any real batch, which takes milliseconds.
   */
  batchTimeoutMs?: number;
  /** Timers (batch timeout, respawn back-off); default real time. */
  clock?: Clock;
  /** The worker module; default classifier-worker.js beside this file. */
  script?: WorkerScript;
}

export interface ClassifierPool extends Classifier {
  readonly engineName: string;
  readonly backendName: string;
  /** Worker threads that have not exited yet (0 after stop()). */
  readonly liveWorkers: number;
  /** Workers running a batch now (≤ concurrency). */
  readonly busyWorkers: number;
  /** Batches waiting for a free worker. Bounded by the caller, which keeps ≤ concurrency in flight. */
  readonly queuedBatches: number;
  stop(): Promise<void>;
}

interface Job {
  batch: Float32Array;
  n: number;
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
}

const BATCH_TIMEOUT_MS = 30_000;

export async function createClassifierPool(opts: ClassifierPoolOptions): Promise<ClassifierPool> {
  const size = opts.workers > 0 ? opts.workers : os.availableParallelism();
  const log = opts.log.child({ component: 'classifier-pool' });
  const floatsPerWindow = netInputLength(opts.meta) * opts.meta.input.channels;
  const classes = opts.meta.classes.length;
  const init: WorkerInit = {
    modelDir: opts.modelDir, meta: opts.meta, engine: opts.engine, backend: opts.backend,
    intraOpNumThreads: opts.intraOpNumThreads ?? 1,
  };
  const batchTimeoutMs = opts.batchTimeoutMs ?? BATCH_TIMEOUT_MS;
  const queue: Job[] = [];
  /** Each member's batch in flight, and its id (answers to an earlier id are stale). */
  const jobs = new Map<Member, { job: Job; id: number }>();
  let nextId = 0;
  let stopped = false;

  const pump = (): void => {
    for (const member of pool.members) {
      if (queue.length === 0) return;
      if (!member.ready || member.exited || jobs.has(member)) continue;
      const job = queue.shift()!;
      const id = ++nextId;
      jobs.set(member, { job, id });
      member.post({ type: 'run', id, buffer: job.batch.buffer as ArrayBuffer, n: job.n } satisfies ToWorker, [job.batch.buffer as ArrayBuffer]);
      member.owe();
    }
  };

  const split = (probs: Float32Array, n: number): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) out.push(probs.subarray(i * classes, (i + 1) * classes));
    return out;
  };

  const pool = createWorkerPool<FromWorker>({
    name: 'drsnd-inference', role: 'inference worker', script: opts.script ?? siblingScript(import.meta.url, 'classifier-worker'),
    size, workerData: init, handshake: true, timeoutMs: batchTimeoutMs, stopMessage: { type: 'stop' } satisfies ToWorker,
    log, clock: opts.clock,
    onReady: pump,
    onMessage(member, m) {
      const running = jobs.get(member);
      if (!running || m.id !== running.id) return;
      jobs.delete(member);
      member.answered(false);
      if (m.type === 'result') running.job.resolve(split(new Float32Array(m.buffer), running.job.n));
      else running.job.reject(fromWire(m.error, ErrorCodes.INFERENCE_FAILED));
      pump();
    },
    onExit(member, { code, timedOut }) {
      const running = jobs.get(member);
      jobs.delete(member);
      if (!running) return;
      const why = timedOut ? `did not answer within ${batchTimeoutMs} ms and was terminated` : `exited (code ${code})`;
      running.job.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, `inference worker ${why} while running a batch of ${running.job.n} windows; the batch is lost, the worker is replaced`));
    },
  });

  const stop = async (): Promise<void> => {
    stopped = true;
    for (const job of queue.splice(0)) job.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, 'classifier stopped before the batch ran'));
    await pool.stop();
  };

  const { engine: engineName, backend: backendName } = await pool.started;
  log.info({ workers: size, engine: engineName, backend: backendName, model: opts.meta.id }, 'classifier pool started');

  return {
    concurrency: size,
    engineName,
    backendName,
    get liveWorkers() { return pool.live; },
    get busyWorkers() { return jobs.size; },
    get queuedBatches() { return queue.length; },
    classify(windows: Float32Array[]): Promise<Float32Array[]> {
      if (stopped) return Promise.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, 'classifier is stopped'));
      if (windows.length === 0) return Promise.resolve([]);
      const bad = windows.findIndex((w) => w.length !== floatsPerWindow);
      if (bad >= 0) {
        return Promise.reject(new DrsndError(ErrorCodes.MODEL_MISMATCH, `window ${bad} has ${windows[bad].length} samples; model ${opts.meta.id} takes ${floatsPerWindow}`));
      }
      // The one copy: windows into a fresh contiguous batch, whose buffer is then moved (not copied) to a worker.
      const batch = new Float32Array(windows.length * floatsPerWindow);
      windows.forEach((w, i) => batch.set(w, i * floatsPerWindow));
      return new Promise((resolve, reject) => {
        queue.push({ batch, n: windows.length, resolve, reject });
        pump();
      });
    },
    stop,
  };
}

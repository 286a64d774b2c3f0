// The Classifier the pipeline uses: a pool of worker threads, each with its own inference engine.
// One batch per worker at a time, so `concurrency` = workers. A worker that dies takes only its
// in-flight batch with it (rejected, never left hanging) and is replaced.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import type { Classifier, ModelMetadata } from '../types.js';
import type { BackendChoice, EngineChoice } from '../model/engines/engine.js';
import { RespawnBackoff, stopWorker } from '../util/worker-supervision.js';
import { workerSpec } from '../worker-entry.js';
import { logSelection } from '../model/select.js';
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
  /** Tests only: see WorkerInit.fault. */
  fault?: WorkerInit['fault'];
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

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  jobId: number;
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
}

const BATCH_TIMEOUT_MS = 30_000;


export async function createClassifierPool(opts: ClassifierPoolOptions): Promise<ClassifierPool> {
  const size = opts.workers > 0 ? opts.workers : os.availableParallelism();
  const log = opts.log.child({ component: 'classifier-pool' });
  const floatsPerWindow = opts.meta.input.windowLength * opts.meta.input.channels;
  const classes = opts.meta.classes.length;
  const init: WorkerInit = {
    modelDir: opts.modelDir, meta: opts.meta, engine: opts.engine, backend: opts.backend,
    intraOpNumThreads: opts.intraOpNumThreads ?? 1, fault: opts.fault,
  };
  const spec = workerSpec(import.meta.url, 'classifier-worker');
  const batchTimeoutMs = opts.batchTimeoutMs ?? BATCH_TIMEOUT_MS;
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let live = 0;
  let stopping = false;
  const backoff = new RespawnBackoff();
  let engineName = '';
  let backendName = '';

  const pump = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.jobId++;
      slot.timer = setTimeout(() => {
        log.error({ threadId: slot.worker.threadId, windows: job.n, timeoutMs: batchTimeoutMs }, 'inference worker did not answer; terminating it');
        slot.timedOut = true;
        void slot.worker.terminate();
      }, batchTimeoutMs);
      const msg: ToWorker = { type: 'run', id: slot.jobId, buffer: job.batch.buffer as ArrayBuffer, n: job.n };
      slot.worker.postMessage(msg, [job.batch.buffer as ArrayBuffer]);
    }
  };

  const finish = (slot: Slot): Job | undefined => {
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    return job;
  };

  /** Starts one worker; resolves when its engine is ready, rejects if it cannot load one. */
  const spawn = (): Promise<Slot> => new Promise((resolve, reject) => {
    const worker = new Worker(spec.entry, { workerData: init, eval: spec.eval, name: 'drsnd-inference' });
    const threadId = worker.threadId; // -1 once the thread has exited
    live++;
    const slot: Slot = { worker, ready: false, jobId: 0 };
    slots.add(slot);
    let settled = false;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.ready = true;
        settled = true;
        backoff.reset();
        if (!engineName) {
          engineName = m.engine;
          backendName = m.backend;
          logSelection(log, m.engine, m.backend, m.fallbacks);
        }
        resolve(slot);
        pump();
      } else if (m.type === 'init-error') {
        settled = true;
        reject(fromWire(m.error, ErrorCodes.ENGINE_UNAVAILABLE));
        void worker.terminate();
      } else if (m.id === slot.jobId) {
        const job = finish(slot);
        if (m.type === 'result') job?.resolve(split(new Float32Array(m.buffer), job.n));
        else job?.reject(fromWire(m.error, ErrorCodes.INFERENCE_FAILED));
        pump();
      }
    });
    worker.on('error', (e) => log.error({ err: e, threadId }, 'inference worker failed'));
    worker.on('exit', (code) => {
      live--;
      slots.delete(slot);
      const job = finish(slot);
      if (!settled) reject(new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `inference worker exited (code ${code}) while loading the engine`));
      const why = slot.timedOut ? `did not answer within ${batchTimeoutMs} ms and was terminated` : `exited (code ${code})`;
      if (job) job.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, `inference worker ${why} while running a batch of ${job.n} windows; the batch is lost, the worker is replaced`));
      if (stopping || !slot.ready) return;
      log.error({ code, threadId }, 'inference worker died; starting a replacement');
      replace();
    });
  });

  const split = (probs: Float32Array, n: number): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) out.push(probs.subarray(i * classes, (i + 1) * classes));
    return out;
  };

  const replace = (): void => {
    spawn().catch((e: Error) => {
      if (stopping) return;
      log.error({ err: e, retryMs: backoff.delayMs }, 'replacement inference worker failed to start; retrying');
      backoff.retry(replace);
    });
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    backoff.cancel();
    for (const job of queue.splice(0)) job.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, 'classifier stopped before the batch ran'));
    await Promise.all([...slots].map((slot) => stopWorker(slot.worker, { type: 'stop' } satisfies ToWorker)));
  };

  try {
    await Promise.all(Array.from({ length: size }, () => spawn()));
  } catch (e) {
    await stop();
    throw e;
  }
  log.info({ workers: size, engine: engineName, backend: backendName, model: opts.meta.id }, 'classifier pool started');

  return {
    concurrency: size,
    get engineName() { return engineName; },
    get backendName() { return backendName; },
    get liveWorkers() { return live; },
    get busyWorkers() { return [...slots].filter((s) => s.job !== undefined).length; },
    get queuedBatches() { return queue.length; },
    classify(windows: Float32Array[]): Promise<Float32Array[]> {
      if (stopping) return Promise.reject(new DrsndError(ErrorCodes.INFERENCE_FAILED, 'classifier is stopped'));
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

// Moves SQLite's WAL checkpoints off the event loop. Why: the automatic checkpoint runs inside
// whichever commit crosses 1,000 WAL pages, i.e. on the daemon's main thread, and includes an fsync.
// With the diagnosis table's indexes a 170-row commit of 300 sensors' rows writes ~200 pages (~0.8 MB
// of WAL), so at 300 channels a checkpoint ran several times a second: up to 11 % of commits took
// > 30 ms (max 184 ms), none with this worker (max 19 ms; BENCHMARKS.md item 10) — time MQTT, serial
// reads and the pipeline waited. On an SD card an fsync is slower still. A worker with its own
// connection checkpoints instead; the main connection's autocheckpoint is off while the worker lives
// and back on if it dies. Not the default (store.checkpoint: worker): at full load on 2 cores it cost
// capacity, likely because the WAL no longer resets right after each checkpoint (it grew to tens of
// MB) and the worker competes for the CPU (not isolated).
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from '../log.js';
import { stopWorker } from '../util/worker-supervision.js';
import { scriptEntry, siblingScript, type WorkerScript } from '../worker-entry.js';
import type { Synchronous } from './db.js';

export interface CheckpointInit {
  path: string;
  synchronous: Synchronous;
  intervalMs: number;
}
export type ToCheckpointer = { type: 'stop' } | { type: 'truncate' };
export type FromCheckpointer = { type: 'ready' } | { type: 'error'; message: string };

export interface Checkpointer {
  /** True while the worker checkpoints (false after it died and SQLite's own checkpointing is back). */
  readonly active: boolean;
  /**
   * Asks the worker for one TRUNCATE checkpoint (the retention pass's, which resets the WAL file to zero
   * bytes): on the main thread it would block the event loop on the fsync this worker exists to take
   * off it, and often find the worker's own checkpoint running. Does nothing once the worker is gone.
   */
  truncate(): void;
  stop(): Promise<void>;
}

/** SQLite's default wal_autocheckpoint, restored when the worker is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** The worker module (default checkpoint-worker next to this file), as the pools take it. */
  script?: WorkerScript;
}

/**
 * Starts the checkpoint worker for the open database `db` at `init.path`. Never throws: if the worker
 * cannot start, the daemon keeps SQLite's inline checkpointing and logs why.
 */
export async function startCheckpointer(db: Database, init: CheckpointInit, log: Logger, opts: CheckpointerOptions = {}): Promise<Checkpointer> {
  const script = opts.script ?? siblingScript(import.meta.url, 'checkpoint-worker');
  const spec = scriptEntry(script.url);
  let worker: Worker;
  try {
    worker = new Worker(spec.entry, { eval: spec.eval, workerData: init, argv: script.argv, name: 'drsnd-checkpoint' });
  } catch (err) {
    log.warn({ err, path: init.path }, 'checkpoint worker cannot start; checkpointing on the main thread');
    return { active: false, truncate: () => undefined, stop: async () => undefined };
  }
  let active = false;
  let stopping = false;
  let gone = false;
  const inline = (why: string) => {
    if (active) log.error({ path: init.path }, `checkpoint worker ${why}; checkpointing on the main thread again`);
    else log.warn({ path: init.path }, `checkpoint worker ${why}; checkpointing on the main thread`);
    active = false;
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', (code) => {
    gone = true;
    if (!stopping) inline(`exited (code ${code})`);
    resolve();
  }));
  worker.on('error', (err) => { if (!stopping) log.error({ err }, 'checkpoint worker failed'); });
  const ready = await new Promise<boolean>((resolve) => {
    worker.on('message', (m: FromCheckpointer) => {
      if (m.type === 'ready') resolve(true);
      else {
        log.error({ path: init.path, reason: m.message }, 'checkpoint worker: checkpoint failed');
        resolve(false);
      }
    });
    void exited.then(() => resolve(false));
  });
  if (ready && db.open) {
    db.pragma('wal_autocheckpoint = 0');
    active = true;
    log.debug({ intervalMs: init.intervalMs }, 'checkpointing the WAL in a worker thread');
  }
  return {
    get active() { return active; },
    truncate() {
      if (active) worker.postMessage({ type: 'truncate' } satisfies ToCheckpointer);
    },
    async stop() {
      stopping = true;
      active = false;
      // A worker that already exited fires no second 'exit' for stopWorker to wait for.
      if (!gone) await stopWorker(worker, { type: 'stop' } satisfies ToCheckpointer);
      await exited;
    },
  };
}

// One thread with a read-only SQLite connection for the interfaces' queries (HTTP, MQTT requests).
// better-sqlite3 is synchronous: on the main thread a page of history would hold up the commits and
// publishes of every sensor for as long as it reads. Queries wait in a bounded queue; past the bound
// a request is refused at once (DRSND_BUSY) rather than piling up. A thread that dies is replaced at
// the next query; the queries it held fail with DRSND_STORE.
import { Worker } from 'node:worker_threads';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { fromWire } from '../runtime/worker-protocol.js';
import { stopWorker } from '../util/worker-supervision.js';
import { workerSpec } from '../worker-entry.js';
import type { FromReader, ReadArgs, ReadInit, ReadOp, ReadResult, ToReader } from './read-protocol.js';

export interface ReadPoolOptions {
  path: string;
  /** Queries waiting or running at most. */
  maxPending: number;
  log: Logger;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ReadPool {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: ReadPoolOptions) {
    this.log = opts.log.child({ component: 'reads' });
  }

  /** Starts the thread and opens its connection (rejects if the database cannot be opened read-only). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.failAll(new DrsndError(ErrorCodes.UNAVAILABLE, 'the daemon is stopping'));
    if (w) await stopWorker(w, { type: 'stop' } satisfies ToReader);
  }

  get queued(): number {
    return this.pending.size;
  }

  async query<K extends ReadOp>(op: K, ...args: ReadArgs<K>): Promise<ReadResult<K>> {
    if (this.stopped) throw new DrsndError(ErrorCodes.UNAVAILABLE, 'the daemon is stopping');
    if (this.pending.size >= this.opts.maxPending) {
      throw new DrsndError(ErrorCodes.BUSY, `${this.pending.size} queries are waiting (http.maxPendingReads); try again shortly`);
    }
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    try {
      await this.spawn();
    } catch (e) {
      this.pending.delete(id);
      throw e;
    }
    this.worker!.postMessage({ type: 'query', id, op, args } satisfies ToReader);
    return result as Promise<ReadResult<K>>;
  }

  private spawn(): Promise<void> {
    if (this.ready) return this.ready;
    const spec = workerSpec(import.meta.url, 'read-worker');
    const worker = new Worker(spec.entry, { workerData: { path: this.opts.path } satisfies ReadInit, eval: spec.eval, name: 'drsnd-reads' });
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromReader) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error') reject(fromWire(m.error, ErrorCodes.STORE));
        else {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.type === 'result') p?.resolve(m.result);
          else p?.reject(fromWire(m.error, ErrorCodes.STORE));
        }
      });
      worker.on('error', (err) => this.log.error({ err }, 'read thread failed'));
      worker.on('exit', (code) => {
        reject(new DrsndError(ErrorCodes.STORE, `read thread exited (${code}) before opening the database`));
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        if (!this.stopped) this.log.error({ code }, 'read thread exited; a new one starts with the next query');
        this.failAll(new DrsndError(ErrorCodes.STORE, 'the read thread exited during the query'));
      });
    });
    this.ready = ready;
    ready.catch(() => {
      if (this.ready === ready) this.ready = undefined;
    });
    return ready;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

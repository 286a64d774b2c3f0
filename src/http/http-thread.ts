// The HTTP interface as a component of the main thread (start/stop): it runs the HTTP thread
// (http-worker.ts), answers what that thread asks of the running daemon, and forwards the alerts
// component's updates while someone watches the live stream. A thread that dies is logged and
// started again with a back-off; diagnosing never depends on it.
import { Worker } from 'node:worker_threads';
import type { AlertsUpdate } from '../alerts/alerts.js';
import type { LiveState } from '../api/service.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { fromWire, toWire } from '../runtime/worker-protocol.js';
import { RespawnBackoff, stopWorker } from '../util/worker-supervision.js';
import { workerSpec } from '../worker-entry.js';
import type { FromHttpThread, HttpThreadInit, LiveCall, ToHttpThread } from './thread-protocol.js';

export interface HttpThreadOptions {
  init: HttpThreadInit;
  live: LiveState;
  metrics?: () => string;
  onUpdate(fn: (u: AlertsUpdate) => void): () => void;
  log: Logger;
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal',
};

export class HttpThread {
  private worker: Worker | undefined;
  private listening: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private backoff = new RespawnBackoff();

  constructor(private readonly opts: HttpThreadOptions) {}

  /** The base URL once listening, else undefined. */
  get url(): string | undefined {
    return this.listening;
  }

  /** Resolves once the thread has made its first attempt to listen; rejects if it cannot start at all. */
  async start(): Promise<void> {
    this.stopped = false;
    this.backoff = new RespawnBackoff();
    try {
      await this.spawn();
    } catch (e) {
      // The caller gives up on the interface (no stop() follows): the thread's exit must not respawn it.
      this.stopped = true;
      this.backoff.cancel();
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.backoff.cancel();
    this.streamOff();
    const w = this.worker;
    this.worker = undefined;
    this.listening = undefined;
    if (w) await stopWorker(w, { type: 'stop' } satisfies ToHttpThread);
  }

  private spawn(): Promise<void> {
    const spec = workerSpec(import.meta.url, 'http-worker');
    const worker = new Worker(spec.entry, { workerData: this.opts.init, eval: spec.eval, name: 'drsnd-http' });
    this.worker = worker;
    const send = (m: ToHttpThread) => worker.postMessage(m);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromHttpThread) => {
        switch (m.type) {
          case 'started':
            this.backoff.reset();
            this.listening = m.url;
            resolve();
            break;
          case 'init-error':
            reject(fromWire(m.error, ErrorCodes.STORE));
            break;
          case 'listening':
            this.listening = m.url;
            break;
          case 'call':
            this.answer(m.call).then((result) => send({ type: 'reply', id: m.id, result }), (e: unknown) => send({ type: 'reply', id: m.id, error: toWire(e) }));
            break;
          case 'stream':
            if (m.on) this.streamOn(send);
            else this.streamOff();
            break;
          case 'log':
            this.relayLog(m.line);
            break;
        }
      });
      worker.on('error', (err) => this.opts.log.error({ err, component: 'http' }, 'http thread failed'));
      worker.on('exit', (code) => {
        reject(new DrsndError(ErrorCodes.INTERNAL, `http thread exited (${code}) before listening`));
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.listening = undefined;
        this.streamOff();
        if (this.stopped) return;
        this.opts.log.error({ code, component: 'http', retryMs: this.backoff.delayMs }, 'http thread exited; starting a new one');
        this.backoff.retry(() => void this.spawn().catch((e: unknown) => this.opts.log.error({ err: e, component: 'http' }, 'http thread did not start')));
      });
    });
  }

  private async answer(c: LiveCall): Promise<unknown> {
    const { live } = this.opts;
    switch (c.op) {
      case 'state': {
        const [sensors, readiness, model] = await Promise.all([live.sensors(), live.readiness(), live.model()]);
        return { sensors, readiness, model };
      }
      case 'metrics':
        if (!this.opts.metrics) throw new DrsndError(ErrorCodes.NOT_FOUND, 'metrics are off (http.metrics)');
        return this.opts.metrics();
      case 'ack':
        return live.acknowledge(c.id, c.by);
      case 'baseline':
        if (!live.baseline) throw new DrsndError(ErrorCodes.UNAVAILABLE, 'baselines are not available in this process');
        return live.baseline(c.action, c.sensorId, c.channel, c.forMs);
    }
  }

  private streamOn(send: (m: ToHttpThread) => void): void {
    this.unsubscribe ??= this.opts.onUpdate((update) => send({ type: 'update', update }));
  }

  private streamOff(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The thread's pino line, logged again by the daemon's logger (one stream, one format, its redaction). */
  private relayLog(line: string): void {
    try {
      const { level, msg, time: _t, name: _n, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fn = LEVELS[level as number] ?? 'info';
      this.opts.log[fn](rest, typeof msg === 'string' ? msg : '');
    } catch {
      this.opts.log.warn({ component: 'http', line }, 'unreadable log line from the http thread');
    }
  }
}

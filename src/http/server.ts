// The HTTP server component (start/stop): listens with the handler build.ts made. The interfaces are
// not the daemon's job, so an address that cannot be bound (the port is taken, or at boot the
// interface has no address yet) does not stop diagnosing: it is logged and retried every few seconds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { HttpHandler } from './build.js';

export interface HttpServerOptions {
  settings: Pick<Settings['http'], 'host' | 'port'>;
  handler: HttpHandler;
  log: Logger;
  clock?: Clock;
  /** Called each time the server starts listening (after a retry too) with its base URL. */
  onListening?: (url: string) => void;
}

const RETRY_MS = 5_000;

export class HttpServer {
  private server: Server | undefined;
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly clock: Clock;
  private retryTimer: TimerHandle | undefined;
  private readonly sockets = new Set<Socket>();
  private listening: { host: string; port: number } | undefined;

  constructor(private readonly opts: HttpServerOptions) {
    this.log = opts.log.child({ component: 'http' });
    this.limited = new RateLimitedLog(this.log, 60_000);
    this.clock = opts.clock ?? systemClock;
  }

  /** The base URL once listening (http://host:port), else undefined. */
  get url(): string | undefined {
    if (!this.listening) return undefined;
    const { host, port } = this.listening;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Resolves after the first attempt to listen, whether it succeeded or will be retried. */
  async start(): Promise<void> {
    const server = createServer(this.opts.handler);
    // Slow or stalled clients must not hold sockets for ever; the live stream keeps itself alive.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await this.listen();
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive and event-stream connections would hold close() open.
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private listen(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    const { host, port } = this.opts.settings;
    return new Promise<void>((resolve) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        this.limited.warn('listen', { host, port, code: err.code, retryMs: RETRY_MS },
          `http: cannot listen on ${host}:${port} (${err.code ?? err.message}); diagnosing goes on, retrying (set http.port, or http.enabled false)`);
        this.retryTimer = this.clock.setTimeout(() => { this.retryTimer = undefined; void this.listen(); }, RETRY_MS);
        (this.retryTimer as { unref?: () => void }).unref?.();
        resolve();
      };
      const onListening = () => {
        server.off('error', onError);
        const a = server.address() as AddressInfo;
        this.listening = { host, port: a.port };
        this.log.info({ url: this.url }, 'http listening');
        this.opts.onListening?.(this.url!);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }
}

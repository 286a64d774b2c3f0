// The live stream (/api/v1/stream): server-sent events for the dashboard and scripts. Events are the
// alerts component's updates: `health` (per sensor, already at most one a second per sensor unless
// something changes) and `alert` (every transition and acknowledgement), never one per diagnosis. At
// most maxClients at once; a client that does not read (its socket buffer past 1 MiB) is dropped rather
// than buffered for. A comment every 15 s keeps proxies from closing an idle stream.
// https://html.spec.whatwg.org/multipage/server-sent-events.html
import type { ServerResponse } from 'node:http';
import type { AlertsUpdate } from '../alerts/alerts.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { ExtraRoute } from './build.js';
import { isoTime as iso } from '../util/iso-time.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

export interface LiveStreamOptions {
  onUpdate(fn: (u: AlertsUpdate) => void): () => void;
  maxClients: number;
  /** Told the number of clients whenever it changes (the HTTP thread asks for updates only while > 0). */
  clientsChanged?: (n: number) => void;
}

export class LiveStream {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private nextId = 0;

  constructor(private readonly opts: LiveStreamOptions) {}

  get route(): ExtraRoute {
    return { method: 'GET', path: '/api/v1/stream', handle: (req, res) => this.open(req.socket.remoteAddress ?? '', res) };
  }

  start(): void {
    this.unsubscribe = this.opts.onUpdate((u) => this.broadcast(u));
    this.keepalive = setInterval(() => { for (const c of this.clients) this.write(c, ': keepalive\n\n'); }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.keepalive);
    for (const c of this.clients) c.end();
    this.clients.clear();
    this.opts.clientsChanged?.(0);
  }

  get size(): number {
    return this.clients.size;
  }

  private open(_remote: string, res: ServerResponse): void {
    if (this.clients.size >= this.opts.maxClients) {
      throw new DrsndError(ErrorCodes.BUSY, `${this.clients.size} live-stream clients already (http.maxStreamClients)`);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': drsnd live stream\nretry: 2000\n\n');
    this.clients.add(res);
    this.opts.clientsChanged?.(this.clients.size);
    res.on('close', () => this.drop(res));
  }

  private drop(c: ServerResponse): void {
    if (this.clients.delete(c)) this.opts.clientsChanged?.(this.clients.size);
  }

  private broadcast(u: AlertsUpdate): void {
    if (this.clients.size === 0) return;
    const data = u.type === 'health' ? u.health : {
      alertId: u.alertId, eventId: u.eventId, transition: u.transition, sensorId: u.sensorId, asset: u.asset,
      className: u.className, confidence: u.confidence, at: iso(u.at), by: u.by,
    };
    const frame = `id: ${this.nextId++}\nevent: ${u.type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) this.write(c, frame);
  }

  private write(c: ServerResponse, text: string): void {
    if (c.writableLength > MAX_BUFFERED_BYTES) {
      this.drop(c);
      c.destroy();
      return;
    }
    c.write(text);
  }
}

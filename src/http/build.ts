// The HTTP interface as a request handler, built from its parts and options once (fastify's
// `build(opts)`): no socket here, so tests and the server (server.ts) share it. node:http, not a
// framework: a dozen routes of JSON, one event stream and a few static files need no router library,
// and the production install stays small (issue 21: ≤ 60 MB); a fresh `npm install fastify`
// (5.x) is 48 packages, 16 MB.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import type { ApiService, Params } from '../api/service.js';
import { snapshotCsv, snapshotF32, snapshotJson } from '../api/snapshot-format.js';
import { JsonText } from '../api/pages.js';
import { openApiDocument } from './openapi.js';
import { sendError, sendJson } from './respond.js';
import { serveStatic } from './static.js';

/** Routes under /api/v1 a part outside this file adds (the live stream). */
export interface ExtraRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Writes the whole response itself (a stream); errors thrown before writing become JSON errors. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export interface HttpBuildOptions {
  api: ApiService;
  log: Logger;
  /** Bearer token every request but the dashboard's static files must carry; null: none. */
  token: string | null;
  /** Prometheus text exposition (/metrics), or a promise of it; undefined: not served. */
  metrics?: () => string | Promise<string>;
  /** Folder of the dashboard's static files (/); undefined: not served. */
  dashboardDir?: string;
  routes?: ExtraRoute[];
}

type Handler = (m: { params: Record<string, string>; query: Params; body: unknown; req: IncomingMessage }) => unknown;
interface Route { method: string; pattern: RegExp; names: string[]; handler: Handler; status?: (result: unknown) => number }

const METRICS_CACHE_MS = 1_000;
/** Request bodies (an acknowledgement's `by`) are tiny; anything larger is refused. */
const MAX_BODY_BYTES = 4096;

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function buildHttp(opts: HttpBuildOptions): HttpHandler {
  const { api, log } = opts;
  const routes: Route[] = [];
  const add = (method: string, path: string, handler: Handler, status?: Route['status']) => {
    const names: string[] = [];
    const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, n: string) => { names.push(n); return '([^/]+)'; })}$`);
    routes.push({ method, pattern, names, handler, status });
  };
  add('GET', '/api/v1/sensors', () => api.sensors());
  add('GET', '/api/v1/diagnoses', ({ query }) => api.diagnoses(query));
  add('GET', '/api/v1/alerts', ({ query }) => api.alerts(query));
  add('GET', '/api/v1/alerts/:id', ({ params, query }) => { noParams(query); return api.alert(params.id); });
  add('GET', '/api/v1/snapshots/:id', async ({ params, query }) => {
    const format = query.format ?? 'json';
    if (Object.keys(query).some((k) => k !== 'format') || !['json', 'csv', 'f32'].includes(format)) {
      throw new DrsndError(ErrorCodes.USAGE, 'the only parameter is format: json (default), csv or f32');
    }
    const s = await api.snapshot(params.id);
    if (format === 'json') return snapshotJson(s);
    const name = `drsnd-alert${s.alertId}-snapshot${s.id}.${format}`;
    return new Raw(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/octet-stream',
      format === 'csv' ? Buffer.from(snapshotCsv(s)) : snapshotF32(s), { 'content-disposition': `attachment; filename="${name}"` });
  });
  add('POST', '/api/v1/alerts/:id/ack', ({ params, body }) => api.acknowledge(params.id, (body as { by?: unknown } | undefined)?.by, 'http'));
  add('GET', '/api/v1/baselines', ({ query }) => { known(query, ['sensor', 'channel']); return api.baseline({ ...query, action: 'status' }); });
  add('POST', '/api/v1/baselines/:sensor/:action', ({ params, query, body }) => {
    noParams(query);
    if (params.action === 'status') throw new DrsndError(ErrorCodes.USAGE, 'status is GET /api/v1/baselines?sensor=…');
    const b = (body ?? {}) as Record<string, unknown>;
    known(b, ['channel', 'for']);
    for (const [k, v] of Object.entries(b)) if (typeof v !== 'string') throw new DrsndError(ErrorCodes.USAGE, `"${k}" must be a string`);
    return api.baseline({ ...(b as Record<string, string>), sensor: params.sensor, action: params.action });
  });
  add('GET', '/api/v1/health', () => api.health(), (r) => ((r as { ready: boolean }).ready ? 200 : 503));
  add('GET', '/api/v1/health/live', () => ({ status: 'alive' }));
  add('GET', '/api/v1/model', () => api.model());
  add('GET', '/api/v1/openapi.json', () => openApiDocument());
  const extra = new Map((opts.routes ?? []).map((r) => [`${r.method} ${r.path}`, r]));
  const tokenHash = opts.token === null ? null : sha256(opts.token);
  let metricsCache: { at: number; text: Promise<string> } | undefined;

  const authorized = (req: IncomingMessage): boolean => {
    if (tokenHash === null) return true;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    // Hashes have equal length, so the comparison takes the same time whatever was sent.
    return m !== null && timingSafeEqual(sha256(m[1]), tokenHash);
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://drsnd');
    const method = req.method ?? 'GET';
    const isApi = url.pathname.startsWith('/api/') || url.pathname === '/metrics';
    if (!isApi) {
      if (opts.dashboardDir && (method === 'GET' || method === 'HEAD')) {
        serveStatic(opts.dashboardDir, url.pathname, req, res).catch((e: unknown) => sendError(res, e));
      } else {
        sendError(res, new DrsndError(ErrorCodes.NOT_FOUND, `no such resource: ${method} ${url.pathname}`));
      }
      return;
    }
    if (!authorized(req)) {
      sendError(res, new DrsndError(ErrorCodes.UNAUTHORIZED, 'this drsnd needs "Authorization: Bearer <http.token>"'));
      return;
    }
    if (url.pathname === '/metrics' && opts.metrics && method === 'GET') {
      // At most one exposition a second (concurrent scrapes share it): a scrape storm costs the
      // daemon no more than one scraper.
      const now = Date.now();
      if (metricsCache === undefined || now - metricsCache.at >= METRICS_CACHE_MS) {
        const make = opts.metrics;
        const entry = { at: now, text: Promise.resolve().then(() => make()) };
        entry.text.catch(() => { if (metricsCache === entry) metricsCache = undefined; });
        metricsCache = entry;
      }
      metricsCache.text.then((text) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }).catch((e: unknown) => fail(res, e));
      return;
    }
    const ex = extra.get(`${method} ${url.pathname}`);
    if (ex) {
      Promise.resolve().then(() => ex.handle(req, res, url)).catch((e: unknown) => fail(res, e));
      return;
    }
    let allowed: string[] = [];
    for (const r of routes) {
      const m = r.pattern.exec(url.pathname);
      if (!m) continue;
      if (r.method !== method) {
        allowed.push(r.method);
        continue;
      }
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const query: Params = Object.fromEntries(url.searchParams);
      readBody(req, method)
        .then((body) => r.handler({ params, query, body, req }))
        .then((result) => {
          if (result instanceof JsonText) {
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(result.text), 'cache-control': 'no-store' });
            res.end(result.text);
          } else if (result instanceof Raw) {
            res.writeHead(200, { 'content-type': result.type, 'content-length': result.body.length, ...result.headers });
            res.end(result.body);
          } else {
            sendJson(res, r.status?.(result) ?? 200, result);
          }
        })
        .catch((e: unknown) => fail(res, e));
      return;
    }
    if (allowed.length > 0) {
      sendJson(res, 405, { error: { code: ErrorCodes.USAGE, message: `${method} is not allowed here (use ${allowed.join(', ')})` } }, { allow: allowed.join(', ') });
      return;
    }
    sendError(res, new DrsndError(ErrorCodes.NOT_FOUND, `no such resource: ${method} ${url.pathname}`));
  };

  function fail(res: ServerResponse, e: unknown): void {
    if (!(e instanceof DrsndError)) log.error({ err: e }, 'http request failed');
    if (!res.headersSent) sendError(res, e);
    else res.destroy();
  }
}

/** A response that is not JSON (a snapshot as CSV or float32). */
class Raw {
  constructor(readonly type: string, readonly body: Buffer, readonly headers: Record<string, string> = {}) {}
}

function noParams(query: Params): void {
  const k = Object.keys(query)[0];
  if (k !== undefined) throw new DrsndError(ErrorCodes.USAGE, `unknown parameter "${k}"`);
}

function known(p: Record<string, unknown>, names: string[]): void {
  const k = Object.keys(p).find((n) => !names.includes(n));
  if (k !== undefined) throw new DrsndError(ErrorCodes.USAGE, `unknown parameter "${k}" (known: ${names.join(', ')})`);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A POST's JSON body (or undefined when empty); bounded in size. */
async function readBody(req: IncomingMessage, method: string): Promise<unknown> {
  if (method !== 'POST') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new DrsndError(ErrorCodes.USAGE, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body;
  } catch {
    throw new DrsndError(ErrorCodes.USAGE, 'the request body must be a JSON object, e.g. {"by": "alice"}');
  }
}

// The HTTP server's guards on real sockets and a real SQLite file: the bearer token (and a config that
// binds off loopback without one is refused), the read pool's bounded queue (DRSND_BUSY at once, never
// a pile-up; 503 through the handler), the dashboard's static files without a token and nothing outside their folder, and an
// address that cannot be bound is retried while the daemon runs on.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { ApiService } from '../../src/api/service.js';
import { ReadPool } from '../../src/api/read-pool.js';
import { checkConfigCommand } from '../../src/cli/check-config.js';
import { loadSettings } from '../../src/config/load.js';
import { isDrsndError } from '../../src/errors.js';
import { buildHttp } from '../../src/http/build.js';
import { HttpServer } from '../../src/http/server.js';
import { DASHBOARD_DIR } from '../../src/interfaces.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { settingsSchema } from '../../src/config/schema.js';
import { captureLogger, waitFor } from '../helpers/capture.js';
import { diag } from '../helpers/delivery.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

const TOKEN = 'a-token-of-at-least-16-chars';
const live = {
  sensors: () => [],
  readiness: () => ({ broker: { ok: true }, store: { ok: true }, engine: { ok: true } }),
  model: () => ({}),
  acknowledge: () => { throw new Error('not in this test'); },
};

async function serve(t: { after(fn: () => unknown): void }, opts: { token: string | null; maxPending: number }) {
  const dir = tempDir(t, 'drsnd-http-srv-');
  const log = createLogger('silent');
  const store = new Store({ settings: settingsSchema.parse({ store: { path: path.join(dir, 'd.db') } }).store, log });
  await store.start();
  for (let i = 0; i < 200; i++) store.enqueue(diag(1_700_000_000_000 + i * 85));
  store.flush();
  const reads = new ReadPool({ path: store.path, maxPending: opts.maxPending, log });
  await reads.start();
  const api = new ApiService({ reads, live, maxPageSize: 1000 });
  const server = new HttpServer({ settings: { host: '127.0.0.1', port: 0 }, handler: buildHttp({ api, log, token: opts.token, dashboardDir: DASHBOARD_DIR, metrics: () => 'up 1\n' }), log });
  await server.start();
  t.after(async () => { await server.stop(); await reads.stop(); await store.stop(); });
  return server.url!;
}

test('a token guards the API and /metrics, not the dashboard; static files never leave their folder', async (t) => {
  const base = await serve(t, { token: TOKEN, maxPending: 64 });
  const none = await request(`${base}/api/v1/diagnoses`);
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'DRSND_UNAUTHORIZED');
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await request(`${base}/api/v1/diagnoses`, { token: `${TOKEN}x` })).status, 401);
  assert.equal((await request(`${base}/metrics`)).status, 401);
  const ok = await request(`${base}/api/v1/diagnoses?limit=5`, { token: TOKEN });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.items.length, 5);
  assert.equal((await request(`${base}/metrics`, { token: TOKEN })).text, 'up 1\n');
  const page = await request(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/nothing.html']) {
    assert.equal((await request(`${base}${p}`)).status, 404, p);
  }
});

test('http.host off loopback without a token is refused at configuration time; check-config hides the token', async () => {
  assert.throws(() => loadSettings({ overrides: { http: { host: '0.0.0.0' } } }),
    (e: unknown) => isDrsndError(e, 'DRSND_CONFIG_INVALID') && e.details.some((d) => d.startsWith('http.token: required')));
  assert.equal(loadSettings({ overrides: { http: { host: '0.0.0.0', token: TOKEN } } }).http.host, '0.0.0.0');
  assert.equal(loadSettings({ overrides: { http: { host: '0.0.0.0', enabled: false } } }).http.enabled, false);
  assert.throws(() => loadSettings({ overrides: { http: { token: 'short' } } }), /http\.token/);
  // check-config never prints it.
  let text = '';
  const out = { write: (s: string) => { text += s; return true; } } as unknown as NodeJS.WritableStream;
  await checkConfigCommand(['--json'], { settings: loadSettings({ overrides: { http: { token: TOKEN } } }), out, err: out, cwd: '.' });
  assert.ok(!text.includes(TOKEN) && JSON.parse(text.slice(0, text.lastIndexOf('}') + 1)).http.token === '***');
});

test('the read pool (MQTT requests\' queries) refuses beyond http.maxPendingReads at once: DRSND_BUSY, 503 over HTTP; the rest are answered', async (t) => {
  const base = await serve(t, { token: null, maxPending: 2 });
  const replies = await Promise.all(Array.from({ length: 40 }, () => request(`${base}/api/v1/diagnoses?limit=200`)));
  const busy = replies.filter((r) => r.status === 503);
  assert.ok(busy.length > 0, 'some were refused');
  assert.ok(busy.every((r) => r.body.error.code === 'DRSND_BUSY' && r.headers.get('retry-after') === '1'));
  assert.ok(replies.filter((r) => r.status === 200).every((r) => r.body.items.length === 200));
  assert.equal(busy.length + replies.filter((r) => r.status === 200).length, 40);
});

test('a port already taken: start resolves, one warning, and the server listens once the port is free', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const clock = new ManualClock();
  const cap = captureLogger('warn');
  const server = new HttpServer({ settings: { host: '127.0.0.1', port }, handler: (_q, s) => s.end('hi'), log: cap.log, clock });
  t.after(() => server.stop());
  await server.start();
  assert.equal(server.url, undefined);
  assert.equal(cap.count('cannot listen'), 1);
  await new Promise<void>((r) => blocker.close(() => r()));
  await clock.advance(5_000);
  await waitFor(() => server.url !== undefined, 'the retried listen'); // the socket binds in real time
  assert.equal(server.url, `http://127.0.0.1:${port}`);
  assert.equal((await request(`${server.url}/x`)).text, 'hi');
});

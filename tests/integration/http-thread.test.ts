// The HTTP thread (src/http/http-thread.ts + http-worker.ts) on real sockets and a real SQLite file:
// pages come from the thread's own read-only connection; live state, acknowledgements and metrics are
// asked of the main thread (state reused, so a burst of requests costs the main thread one answer);
// alert updates cross over only while the live stream has a client; the thread runs at nice 19 on Linux;
// stop closes the port.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { AlertsUpdate } from '../../src/alerts/alerts.js';
import type { LiveState } from '../../src/api/service.js';
import { settingsSchema } from '../../src/config/schema.js';
import { DrsndError, ErrorCodes } from '../../src/errors.js';
import { HttpThread } from '../../src/http/http-thread.js';
import { INTERFACE_THREAD_NICE, SCHED_IDLE } from '../../src/api/read-ops.js';
import { createLogger } from '../../src/log.js';
import type { HealthPayload } from '../../src/publish/payloads.js';
import { Store } from '../../src/store/store.js';
import { waitFor } from '../helpers/capture.js';
import { diag } from '../helpers/delivery.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

function health(sensorId: string): HealthPayload {
  return {
    gatewayId: 'gw', sensorId, asset: 'pump', status: 'ok', problem: null, lastClass: 'Normal', lastKind: 'normal',
  } as HealthPayload;
}

/** Fields of a thread's stat (Linux) after the command's closing parenthesis: field k of stat(5) is [k - 3]. */
function statFields(tid: string | number): string[] {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
/** Nice value: field 19. */
const nice = (tid: string | number) => Number(statFields(tid)[16]);
/** Scheduling policy: field 41 (0 SCHED_OTHER, 5 SCHED_IDLE). */
const policy = (tid: string | number) => Number(statFields(tid)[38]);

const niced = () => readdirSync('/proc/self/task').filter((tid) => nice(tid) === INTERFACE_THREAD_NICE).length;
const idle = () => readdirSync('/proc/self/task').filter((tid) => policy(tid) === SCHED_IDLE).length;
const hasChrt = () => spawnSync('chrt', ['--version']).status === 0;

async function start(t: { after(fn: () => unknown): void }, budget: { cpuShare?: number; maxQueuedRequests?: number } = {}) {
  const dir = tempDir(t, 'drsnd-http-thread-');
  const log = createLogger('silent');
  const store = new Store({ settings: settingsSchema.parse({ store: { path: path.join(dir, 'd.db') } }).store, log });
  await store.start();
  for (let i = 0; i < 50; i++) store.enqueue(diag(1_700_000_000_000 + i * 85));
  store.flush();
  const calls = { state: 0, ack: [] as Array<[number, string | null]>, metrics: 0 };
  const live: LiveState = {
    sensors: () => { calls.state++; return [health('s1'), health('s2')]; },
    readiness: () => ({ broker: { ok: true }, store: { ok: true }, engine: { ok: true } }),
    model: () => ({ id: 'm' }),
    acknowledge: (id, by) => {
      if (id !== 7) throw new DrsndError(ErrorCodes.NOT_FOUND, `no alert with id ${id}`);
      calls.ack.push([id, by]);
      const t0 = 1_700_000_000_000;
      return {
        id, sensorId: 's1', asset: 'pump', className: 'OR007', state: 'active', raisedAt: t0, clearedAt: null,
        lastChangedAt: t0, acknowledgedAt: t0 + 1000, acknowledgedBy: by, peakConfidence: 0.9,
      };
    },
  };
  const listeners = new Set<(u: AlertsUpdate) => void>();
  const http = new HttpThread({
    init: { http: { host: '127.0.0.1', port: 0, token: null, maxPageSize: 20, maxStreamClients: 2, cpuShare: budget.cpuShare ?? 1, maxQueuedRequests: budget.maxQueuedRequests ?? 1000 }, dbPath: store.path, metrics: true, logLevel: 'silent' },
    live, metrics: () => { calls.metrics++; return 'drsnd_up 1\n'; },
    onUpdate: (fn) => { listeners.add(fn); return () => listeners.delete(fn); }, log,
  });
  await http.start();
  t.after(async () => { await http.stop(); await store.stop(); });
  return { http, base: http.url!, calls, listeners };
}

test('HTTP thread: pages from its own connection, live state and acks from the main thread, errors keep their codes', async (t) => {
  const { base, calls } = await start(t);
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const page = await request(`${base}/api/v1/diagnoses`);
  assert.equal(page.status, 200);
  assert.equal(page.body.items.length, 20, 'maxPageSize applies');
  assert.notEqual(page.body.next, null);

  const burst = await Promise.all(Array.from({ length: 30 }, () => request(`${base}/api/v1/sensors`)));
  assert.ok(burst.every((r) => r.status === 200 && r.body.items.map((s: HealthPayload) => s.sensorId).join() === 's1,s2'));
  assert.ok(calls.state >= 1 && calls.state < 30, `30 concurrent requests asked the main thread ${calls.state} times`);

  const healthz = await request(`${base}/api/v1/health`);
  assert.equal(healthz.status, 200);
  assert.equal(healthz.body.ready, true);
  assert.deepEqual((await request(`${base}/api/v1/model`)).body, { id: 'm' });

  const ack = await request(`${base}/api/v1/alerts/7/ack`, { method: 'POST', body: JSON.stringify({ by: 'alice' }) });
  assert.equal(ack.status, 200, ack.text);
  assert.deepEqual(calls.ack, [[7, 'alice']]);
  assert.equal(ack.body.acknowledgedBy, 'alice', 'the main thread\'s record comes back');
  const missing = await request(`${base}/api/v1/alerts/8/ack`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'DRSND_NOT_FOUND');

  const m = await Promise.all([request(`${base}/metrics`), request(`${base}/metrics`)]);
  assert.ok(m.every((r) => r.status === 200 && r.text === 'drsnd_up 1\n'));
  assert.equal(calls.metrics, 1, 'concurrent scrapes share one exposition');
});

test('HTTP thread: alert updates cross to it only while the live stream has a client', async (t) => {
  const { base, listeners } = await start(t);
  assert.equal(listeners.size, 0, 'no client, no subscription on the main thread');
  const ac = new AbortController();
  const res = await fetch(`${base}/api/v1/stream`, { signal: ac.signal });
  assert.equal(res.status, 200);
  await waitFor(() => listeners.size === 1, 'the main thread subscribed');
  const reader = res.body!.getReader();
  let text = '';
  const update: AlertsUpdate = { type: 'health', health: health('s9') };
  for (const fn of listeners) fn(update);
  while (!text.includes('"sensorId":"s9"')) text += new TextDecoder().decode((await reader.read()).value);
  assert.match(text, /event: health\ndata: \{[^\n]*"sensorId":"s9"/);
  ac.abort();
  await waitFor(() => listeners.size === 0, 'unsubscribed once the client left');
});

test('HTTP thread: runs at nice 19 and SCHED_IDLE on Linux; stop closes the port', { skip: process.platform !== 'linux' && 'thread priorities are Linux-only' }, async (t) => {
  const before = niced();
  const idleBefore = idle();
  const mainNice = nice(process.pid);
  const mainPolicy = policy(process.pid);
  const { http, base } = await start(t);
  assert.equal(niced(), before + 1, 'one more thread at the interface nice: the HTTP thread');
  if (hasChrt()) assert.equal(idle(), idleBefore + 1, 'one more thread at SCHED_IDLE: the HTTP thread');
  else t.diagnostic('chrt (util-linux) is not installed here: SCHED_IDLE not checked');
  assert.equal(nice(process.pid), mainNice, 'the main thread keeps its priority');
  assert.equal(policy(process.pid), mainPolicy, 'the main thread keeps its scheduling policy');
  await http.stop();
  assert.equal(http.url, undefined);
  await assert.rejects(fetch(`${base}/api/v1/health/live`));
});

test('HTTP thread: past its CPU budget requests queue and are all answered in order of arrival; health skips the queue; a full queue is DRSND_BUSY', async (t) => {
  // A budget of 2 % of a core: 40 pages of 20 rows queue behind one another.
  const { base } = await start(t, { cpuShare: 0.02 });
  const done: string[] = [];
  const pages = Array.from({ length: 40 }, async (_, i) => {
    const r = await request(`${base}/api/v1/diagnoses?limit=20`);
    done.push(`page${i}`);
    return r.status;
  });
  const health = request(`${base}/api/v1/health/live`).then((r) => { done.push('health'); return r.status; });
  assert.deepEqual(await Promise.all(pages), Array(40).fill(200), 'every queued page was answered');
  assert.equal(await health, 200);
  // Pages run at arrival while the one-second burst lasts, then wait: the probe must answer while many still wait.
  assert.ok(done.indexOf('health') <= 30, `the health probe did not wait behind the pages: ${done.join(' ')}`);

  const small = await start(t, { cpuShare: 0.02, maxQueuedRequests: 3 });
  const burst = await Promise.all(Array.from({ length: 30 }, () => request(`${small.base}/api/v1/diagnoses?limit=20`)));
  const busy = burst.filter((r) => r.status === 503);
  assert.ok(busy.length > 0 && busy.length < 30, `${busy.length} of 30 refused with a queue of 3`);
  assert.equal(busy[0].body.error.code, 'DRSND_BUSY');
  assert.equal(busy[0].headers.get('retry-after'), '1');
  assert.ok(burst.filter((r) => r.status === 200).length >= 3, 'the queued ones were answered');
});

test('HTTP thread: a thread that dies is replaced and serves again; the stream subscription is dropped with it', async (t) => {
  const { http, base, listeners } = await start(t);
  const ac = new AbortController();
  const res = await fetch(`${base}/api/v1/stream`, { signal: ac.signal });
  await waitFor(() => listeners.size === 1, 'the main thread subscribed for the stream client');
  // What a crash does to the thread, without a test hook in src: the Worker ends under the component.
  const dying = (http as unknown as { worker: Worker }).worker;
  await dying.terminate();
  ac.abort();
  await res.body?.cancel().catch(() => undefined);
  assert.equal(listeners.size, 0, 'the dead thread\'s stream subscription was dropped');
  await waitFor(() => http.url !== undefined && (http as unknown as { worker?: Worker }).worker !== dying, 'a new thread listens');
  const again = await fetch(`${http.url}/api/v1/sensors`);
  assert.equal(again.status, 200);
  assert.deepEqual(((await again.json()) as { items: HealthPayload[] }).items.map((s) => s.sensorId), ['s1', 's2']);
});

test('HTTP thread: a start that fails rejects with the cause and leaves nothing running (the process can exit)', async (t) => {
  // In a child process: a thread left respawning after a failed start would keep it alive for ever.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const mod = (p: string) => JSON.stringify(new URL(`../../src/${p}.${ext}`, import.meta.url).href);
  const script = `
    const { HttpThread } = await import(${mod('http/http-thread')});
    const { createLogger } = await import(${mod('log')});
    const t = new HttpThread({ init: { http: { host: '127.0.0.1', port: 0, token: null, maxPageSize: 10, maxStreamClients: 1, cpuShare: 1, maxQueuedRequests: 1000 },
      dbPath: '/nonexistent/drsnd.db', metrics: false, logLevel: 'silent' }, live: {}, onUpdate: () => () => {}, log: createLogger('silent') });
    try { await t.start(); console.log('started'); } catch (e) { console.log(e.code); }`;
  // A file, not -e: a worker inherits execArgv, and --input-type would stop it.
  const file = path.join(tempDir(t, 'drsnd-http-fail-'), 'start.mjs');
  writeFileSync(file, script);
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, file], { timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(out.trim(), 'DRSND_STORE');
});

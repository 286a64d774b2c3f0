// The HTTP thread (http-thread.ts starts it): the whole HTTP interface — sockets, parsing, its own
// read-only connection for pages, JSON, the dashboard's files, the live stream's clients — runs here,
// at the lowest priority and within a CPU budget (cpu-budget.ts), so requests never queue behind, or in
// front of, the main thread's diagnoses. (Measured, BENCHMARKS.md item 7: served on the main thread, 200
// clients raised the p99 window → MQTT latency at 300 channels eightfold; here, within the budget,
// +12-13 %.) What only the daemon knows — sensor state, readiness, the model, metrics, acknowledging —
// is asked of the main thread; state is reused for STATE_MAX_AGE_MS, so the
// main thread answers a few times a second however many clients there are.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { AlertsUpdate } from '../alerts/alerts.js';
import { LocalReads, lowerThreadPriority } from '../api/read-ops.js';
import { ApiService, type LiveState, type Readiness } from '../api/service.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { createLogger } from '../log.js';
import type { HealthPayload } from '../publish/payloads.js';
import { fromWire, toWire } from '../runtime/worker-protocol.js';
import { openReadOnly } from '../store/reader.js';
import type { AlertRecord } from '../store/rows.js';
import type { BaselineStatus } from '../baseline/baselines.js';
import { buildHttp } from './build.js';
import { CpuBudget, withBudget } from './cpu-budget.js';
import { HttpServer } from './server.js';
import { LiveStream } from './stream.js';
import type { FromHttpThread, HttpThreadInit, LiveCall, ToHttpThread } from './thread-protocol.js';

const STATE_MAX_AGE_MS = 250;

const port = parentPort;
if (!port) throw new Error('src/http/http-worker.ts runs only as a worker thread (see http-thread.ts)');
const init = workerData as HttpThreadInit;
const post = (m: FromHttpThread) => port.postMessage(m);
const priority = lowerThreadPriority();

const log = createLogger(init.logLevel, { write: (line: string) => post({ type: 'log', line }) });
if (process.platform === 'linux' && !priority.idle) {
  log.debug({ nice: priority.nice }, 'HTTP thread not at SCHED_IDLE (chrt missing or refused): it competes more with diagnosing under load');
}

// Calls to the main thread, answered by id.
const calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let nextCall = 0;
function call<T>(c: LiveCall): Promise<T> {
  const id = nextCall++;
  return new Promise<T>((resolve, reject) => {
    calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ type: 'call', id, call: c });
  });
}

interface State { sensors: HealthPayload[]; readiness: Readiness; model: Record<string, unknown> }
let state: { at: number; value: Promise<State> } | undefined;
function liveState(): Promise<State> {
  const now = Date.now();
  if (state === undefined || now - state.at >= STATE_MAX_AGE_MS) {
    const entry = { at: now, value: call<State>({ op: 'state' }) };
    entry.value.catch(() => { if (state === entry) state = undefined; });
    state = entry;
  }
  return state.value;
}

const live: LiveState = {
  sensors: async () => (await liveState()).sensors,
  readiness: async () => (await liveState()).readiness,
  model: async () => (await liveState()).model,
  acknowledge: async (id, by) => {
    state = undefined;
    return call<AlertRecord>({ op: 'ack', id, by });
  },
  baseline: (action, sensorId, channel, forMs) => call<BaselineStatus[]>({
    op: 'baseline', action, ...(sensorId !== undefined ? { sensorId } : {}), ...(channel !== undefined ? { channel } : {}), ...(forMs !== undefined ? { forMs } : {}),
  }),
};

const listeners = new Set<(u: AlertsUpdate) => void>();
const stream = new LiveStream({
  onUpdate: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
  maxClients: init.http.maxStreamClients,
  clientsChanged: (n) => post({ type: 'stream', on: n > 0 }),
});

let server: HttpServer | undefined;
let budget: CpuBudget | undefined;
let reader: ReturnType<typeof openReadOnly> | undefined;
try {
  reader = openReadOnly(init.dbPath);
  const api = new ApiService({ reads: new LocalReads(reader), live, maxPageSize: init.http.maxPageSize });
  stream.start();
  const handler = buildHttp({
    api, log, token: init.http.token, routes: [stream.route], dashboardDir: init.dashboardDir,
    metrics: init.metrics ? () => call<string>({ op: 'metrics' }) : undefined,
  });
  budget = new CpuBudget({
    share: init.http.cpuShare, maxQueued: init.http.maxQueuedRequests,
    busyMs: () => performance.eventLoopUtilization().active, now: () => performance.now(),
  });
  budget.start();
  server = new HttpServer({ settings: init.http, handler: withBudget(handler, budget), log, onListening: (url) => post({ type: 'listening', url }) });
  await server.start();
  post({ type: 'started', url: server.url });
} catch (e) {
  post({ type: 'init-error', error: toWire(e) });
  reader?.close();
  port.close();
}

port.on('message', (m: ToHttpThread) => {
  if (m.type === 'reply') {
    const c = calls.get(m.id);
    calls.delete(m.id);
    if (m.error) c?.reject(fromWire(m.error, ErrorCodes.INTERNAL));
    else c?.resolve(m.result);
  } else if (m.type === 'update') {
    for (const fn of listeners) fn(m.update);
  } else if (m.type === 'stop') {
    void stop();
  }
});

async function stop(): Promise<void> {
  stream.stop();
  budget?.stop();
  await server?.stop();
  for (const c of calls.values()) c.reject(new DrsndError(ErrorCodes.UNAVAILABLE, 'the daemon is stopping'));
  calls.clear();
  reader?.close();
  port!.close();
}

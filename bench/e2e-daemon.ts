// The daemon under test for the end-to-end and soak benchmarks: createApp in its own process (so its
// CPU and RSS are measured alone), N simulated 12 kHz sensors, a real broker and SQLite file.
// Started by bench/e2e.ts with fork(); config as argv[2] JSON; reports samples over IPC every second.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { deepMerge } from '../src/config/load.js';
import { settingsSchema } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import { benchSensors, type BenchSource } from './lib/sensors.js';

export interface DaemonConfig {
  modelDir: string;
  brokerUrl: string;
  dbPath: string;
  sensors: number;
  rateHz: number;
  engine: 'auto' | 'native' | 'onnx' | 'tfjs';
  workers: number;
  /** replay: each sensor loops one of `replayFiles` (cheap ingest, like a sensor whose decode is free);
   *  simulator: each sensor synthesizes its signal (BearingSimulator, costs more CPU than the pipeline). */
  source: BenchSource;
  replayFiles: string[];
  /** Extra settings merged over the defaults (e.g. { store: { batchMaxMs: 100 } }). */
  overrides?: Record<string, unknown>;
}

export interface DaemonSample {
  type: 'sample';
  /** ms since the app started. */
  t: number;
  windows: number;
  diagnoses: number;
  dropped: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  /** Process CPU seconds (main thread + inference workers). */
  cpuSeconds: number;
  /** Event-loop delay p99 over the last second, ms. */
  loopDelayP99Ms: number;
  engine: string;
}

const cfg = JSON.parse(process.argv[2]) as DaemonConfig;
const send = (m: unknown): void => { process.send?.(m); };
const raw = deepMerge({
  gateway: { id: 'bench' },
  log: { level: 'warn' },
  mqtt: { url: cfg.brokerUrl },
  store: { path: cfg.dbPath },
  model: { dir: cfg.modelDir },
  inference: { engine: cfg.engine, workers: cfg.workers },
  // Any free port: trials may overlap a user's daemon on 8080; bench/http-load.ts reads the URL from `started`.
  http: { port: 0 },
  sensors: benchSensors(cfg.sensors, cfg),
}, cfg.overrides ?? {});
const settings = settingsSchema.parse(raw);
const app = createApp(settings, { log: createLogger('warn'), cwd: process.cwd() });
const loop = monitorEventLoopDelay({ resolution: 10 });

try {
  await app.start();
} catch (e) {
  send({ type: 'error', message: (e as Error).message });
  process.exit(1);
}
loop.enable();
const t0 = performance.now();
const sample = (): DaemonSample => {
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  const s = app.stats();
  const MiB = 2 ** 20;
  const r: DaemonSample = {
    type: 'sample', t: Math.round(performance.now() - t0), windows: s.windows, diagnoses: s.diagnoses, dropped: s.droppedWindows + s.droppedFrames,
    rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, externalMiB: m.external / MiB, arrayBuffersMiB: m.arrayBuffers / MiB,
    cpuSeconds: (c.user + c.system) / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6, engine: s.engine,
  };
  loop.reset();
  return r;
};
send({ type: 'started', engine: app.stats().engine, httpUrl: app.httpUrl() });
const timer = setInterval(() => send(sample()), 1000);
process.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  clearInterval(timer);
  const last = sample();
  void app.stop().then(() => {
    send(last);
    // Anything still open after stop() would keep a real daemon from exiting: report it.
    setTimeout(() => {
      send({ type: 'stopped', openResources: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap') });
      process.disconnect?.();
      // Exit normally (so --cpu-prof writes its profiles) even if a handle is left open.
      setTimeout(() => process.exit(0), 3000).unref();
    }, 200);
  }, (e: Error) => {
    send({ type: 'error', message: `stop failed: ${e.message}` });
    process.exit(1);
  });
});

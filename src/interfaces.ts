// The interfaces integrators and engineers use (issue 20), wired to the running daemon's components:
// the HTTP API with its read thread, metrics and dashboard. Started last and stopped first by app.ts,
// so nothing they do can reach a component that has already stopped.
import path from 'node:path';
import type { AlertsComponent } from './alerts/alerts.js';
import type { BaselineComponent } from './baseline/baselines.js';
import type { LiveRecorder } from './ingest/recorder.js';
import type { LiveState, Readiness } from './api/service.js';
import type { Settings } from './config/schema.js';
import type { Logger } from './log.js';
import type { Publisher } from './publish/publisher.js';
import type { Store } from './store/store.js';
import type { ModelMetadata, SensorMeta } from './types.js';
import { packageRoot } from './util/package-root.js';

export interface InterfacesContext {
  settings: Readonly<Settings>;
  log: Logger;
  store: Store;
  publisher: Publisher;
  alerts: AlertsComponent;
  baselines?: Pick<BaselineComponent, 'request'>;
  recorder?: Pick<LiveRecorder, 'record'>;
  meta: ModelMetadata;
  sensors: readonly SensorMeta[];
  /** The broker in use and the MQTT settings as connected (the embedded broker speaks 3.1.1). */
  brokerUrl?: string;
  mqttSettings: Settings['mqtt'];
  /** "native/cpu" etc.; and how many inference threads are alive now. */
  engine: () => { name: string; liveWorkers: number };
  /** false once the daemon is stopping. */
  running: () => boolean;
  /** Prometheus exposition, when http.metrics. */
  metrics?: () => string;
}

export interface Interfaces {
  httpUrl(): string | undefined;
  stoppables: Array<{ name: string; stop(): Promise<void> | void }>;
}

/** The dashboard's committed static files (no build step). */
export const DASHBOARD_DIR = path.join(packageRoot(), 'dashboard');

export async function startInterfaces(ctx: InterfacesContext): Promise<Interfaces> {
  const { settings, log, store, alerts } = ctx;
  const stoppables: Interfaces['stoppables'] = [];
  const out: Interfaces = { httpUrl: () => undefined, stoppables };
  if (settings.homeassistant.enabled) {
    const { HomeAssistantDiscovery } = await import('./integrations/homeassistant.js');
    const ha = new HomeAssistantDiscovery({
      settings: settings.homeassistant, gatewayId: settings.gateway.id, sensors: ctx.sensors, publisher: ctx.publisher, modelId: ctx.meta.id, log,
    });
    ha.start();
    stoppables.push({ name: 'home assistant', stop: () => ha.stop() });
  }
  if (settings.sparkplug.enabled && ctx.brokerUrl) {
    const { SparkplugNode } = await import('./integrations/sparkplug.js');
    const node = new SparkplugNode({
      settings: settings.sparkplug, mqtt: ctx.mqttSettings, url: ctx.brokerUrl, gatewayId: settings.gateway.id, alerts,
      components: new Map(ctx.meta.classes.map((c) => [c.name, c.component])), log,
    });
    node.start();
    stoppables.push({ name: 'sparkplug', stop: () => node.stop() });
  }
  if (!settings.http.enabled && !settings.mqtt.requests.enabled) return out;

  let storeProblem: string | null = null;
  const unsubscribe = store.onHealth((h) => { storeProblem = h.ok ? null : h.reason; });
  stoppables.push({ name: 'store health listener', stop: unsubscribe });
  const live: LiveState = {
    sensors: () => alerts.sensorStates(),
    readiness: () => readiness(ctx, storeProblem),
    model: () => modelJson(ctx.meta, ctx.engine().name),
    acknowledge: (id, by) => alerts.acknowledge(id, by),
    ...(ctx.baselines ? { baseline: ctx.baselines.request.bind(ctx.baselines) } : {}),
    ...(ctx.recorder ? { record: ctx.recorder.record.bind(ctx.recorder) } : {}),
  };

  if (settings.mqtt.requests.enabled) {
    const { ReadPool } = await import('./api/read-pool.js');
    const { ApiService } = await import('./api/service.js');
    const { MqttRequests } = await import('./api/mqtt-requests.js');
    const reads = new ReadPool({ path: store.path, maxPending: settings.http.maxPendingReads, log });
    await reads.start();
    stoppables.push({ name: 'read thread', stop: () => reads.stop() });
    const api = new ApiService({ reads, live, maxPageSize: settings.http.maxPageSize });
    const requests = new MqttRequests({ publisher: ctx.publisher, api, log });
    requests.start();
    stoppables.push({ name: 'mqtt requests', stop: () => requests.stop() });
  }
  if (!settings.http.enabled) return out;
  // HTTP runs in a thread of its own (http-worker.ts): sockets, parsing, pages and JSON off the event
  // loop that diagnoses, stores and publishes.
  const { HttpThread } = await import('./http/http-thread.js');
  const http = new HttpThread({
    init: {
      http: settings.http, dbPath: store.path, metrics: ctx.metrics !== undefined, logLevel: settings.log.level,
      dashboardDir: settings.http.dashboard ? DASHBOARD_DIR : undefined,
    },
    live, metrics: ctx.metrics, onUpdate: (fn) => alerts.onUpdate(fn), log,
  });
  await http.start();
  stoppables.push({ name: 'http', stop: () => http.stop() });
  out.httpUrl = () => http.url;
  return out;
}

function readiness(ctx: InterfacesContext, storeProblem: string | null): Readiness {
  const { name, liveWorkers } = ctx.engine();
  const stopping = !ctx.running();
  return {
    broker: ctx.publisher.connected ? { ok: true } : { ok: false, detail: 'not connected to the MQTT broker; diagnoses wait in the SQLite outbox' },
    store: stopping ? { ok: false, detail: 'stopping' } : storeProblem === null ? { ok: true } : { ok: false, detail: `storage failing: ${storeProblem}` },
    engine: liveWorkers > 0 ? { ok: true, detail: `${name}, ${liveWorkers} thread${liveWorkers === 1 ? '' : 's'}` } : { ok: false, detail: `no inference thread running (${name})` },
  };
}

function modelJson(meta: ModelMetadata, engine: string) {
  return {
    id: meta.id, version: meta.version, architecture: meta.architecture, engine,
    input: meta.input, normalization: meta.normalization, classes: meta.classes,
    ...(meta.widths ? { widths: meta.widths } : {}), ...(meta.stemKernel ? { stemKernel: meta.stemKernel } : {}), ...(meta.members ? { members: meta.members } : {}),
  };
}

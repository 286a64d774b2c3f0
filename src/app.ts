// The composition root: builds every component from settings, wires the streams, starts them in order
// and stops them in reverse. One component failing to stop never blocks the others (STYLE rule 1).
import path from 'node:path';
import os from 'node:os';
import { merge, mergeAll, type Observable, Subject, takeUntil, tap, type OperatorFunction, type Subscription } from 'rxjs';
import { BadInputCounter } from './bad-input.js';
import type { Settings } from './config/schema.js';
import type { Logger } from './log.js';
import { exposureWarning, startEmbeddedBroker, type EmbeddedBroker } from './publish/embedded-broker.js';
import type { ClassifierPool } from './runtime/classifier-pool.js';
import type { DspPool } from './runtime/dsp-pool.js';
import { isTlsUrl, mqttTlsOptions } from './util/mqtt-tls.js';
import { redactUrl } from './util/redact.js';
import { StallWatch } from './util/stall-watch.js';
import type { Diagnosis, Frame, ModelMetadata, SensorMeta, Window } from './types.js';

export interface AppDeps {
  log: Logger;
  /** Relative paths in settings resolve against this. */
  cwd: string;
  /** Called when the daemon cannot go on (its database file was deleted or replaced): main.ts stops it and exits 1. */
  onFatal?: (err: Error) => void;
}

export interface AppStats {
  framesIn: number;
  /** Frames that passed validation (the watchdog's "input is flowing"). */
  framesAccepted: number;
  windows: number;
  /** Diagnoses committed to SQLite (what reaches the history and MQTT). */
  diagnoses: number;
  /** Diagnoses the store could not write (disk full, I/O error): not in the history, never published. */
  lost: number;
  /** Committed diagnoses the broker has not acknowledged yet (the outbox backlog). */
  unpublished: number;
  /** Windows without a diagnosis: dropped at the split path's inference queue, or lost to a failed engine call. */
  droppedWindows: number;
  /** Frames dropped because a worker (fused, or split DSP) fell behind or died with them. */
  droppedFrames: number;
  badInput: number;
  engine: string;
  lastActivity: number;
}

export interface App {
  start(): Promise<void>;
  /** Stops sources, drains the pipeline, commits and publishes in-flight results, closes everything. */
  stop(timeoutMs?: number): Promise<void>;
  /** For the systemd watchdog: false once stopping, or while frames flow but no window comes out for
   *  pipeline.stallTimeoutSec (src/util/stall-watch.ts). A blocked event loop sends no pings at all. */
  alive(): boolean;
  stats(): AppStats;
  /** The broker in use (the embedded one's URL when mqtt.url is null); undefined before start. */
  readonly mqttUrl: () => string | undefined;
  /** The HTTP interface's base URL once it listens (http.enabled); else undefined. */
  readonly httpUrl: () => string | undefined;
}

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}

export function createApp(settings: Readonly<Settings>, deps: AppDeps): App {
  const log = deps.log;
  const stop$ = new Subject<void>();
  const stoppables: Stoppable[] = [];
  const stats: AppStats = {
    framesIn: 0, framesAccepted: 0, windows: 0, diagnoses: 0, lost: 0, unpublished: 0, droppedWindows: 0, droppedFrames: 0, badInput: 0, engine: 'none', lastActivity: Date.now(),
  };
  // Counters owned by components (store, outbox), read when stats are asked for.
  let componentStats: () => Pick<AppStats, 'diagnoses' | 'lost' | 'unpublished'> = () => ({ diagnoses: 0, lost: 0, unpublished: 0 });
  const badInput = new BadInputCounter(log.child({ component: 'ingest' }), settings.log.badInputIntervalMs);
  let subscription: Subscription | undefined;
  let drained: Promise<void> = Promise.resolve();
  let brokerUrl: string | undefined;
  let httpUrl: () => string | undefined = () => undefined;
  let flushStore: () => void = () => {};
  let stopping = false;

  let starting: Promise<void> | undefined;
  function start(): Promise<void> {
    starting ??= startAll();
    return starting;
  }

  async function startAll(): Promise<void> {
    // Imported here so `drsnd history` and friends never load the engines.
    const { loadModel, checkModelInput } = await import('./model/metadata.js');
    const { createClassifierPool } = await import('./runtime/classifier-pool.js');
    const { Store } = await import('./store/store.js');
    const { Publisher } = await import('./publish/publisher.js');
    const { OutboxRelay } = await import('./publish/outbox-relay.js');
    const { AlertsComponent } = await import('./alerts/alerts.js');
    const { startInterfaces } = await import('./interfaces.js');
    const { createSource } = await import('./ingest/source.js');
    const { signalPipeline } = await import('./pipeline/sensor-pipeline.js');
    const { validateFrames } = await import('./pipeline/validate.js');
    const { normalizeWindows } = await import('./pipeline/normalize.js');
    const { createDspPool } = await import('./runtime/dsp-pool.js');
    const { microBatch } = await import('./pipeline/micro-batch.js');
    const { classifyBatches } = await import('./pipeline/classify.js');

    let mqttSettings = settings.mqtt;
    if (settings.mqtt.url === null) {
      // aedes speaks MQTT 3.1.1 only; a site broker gets the configured protocol version.
      mqttSettings = { ...settings.mqtt, protocolVersion: 4 };
      const { host, port, username: embUser, password: embPass } = settings.mqtt.embedded;
      const auth = embUser !== null && embPass !== null ? { username: embUser, password: embPass } : undefined;
      const broker: EmbeddedBroker = await startEmbeddedBroker(host, port, auth);
      stoppables.push({ name: 'embedded broker', stop: () => broker.stop() });
      brokerUrl = broker.url;
      // drsnd's own clients log in with the embedded broker's credentials.
      if (auth) mqttSettings = { ...mqttSettings, username: auth.username, password: auth.password };
      log.info({ url: broker.url, auth: auth ? 'username/password' : 'none' }, 'embedded MQTT broker started (set mqtt.url to use a site broker)');
      const exposed = exposureWarning(host, auth !== undefined);
      if (exposed) log.warn({ host, port: broker.port, auth: auth ? 'username/password' : 'none' }, exposed);
    } else {
      brokerUrl = settings.mqtt.url;
    }

    // The store first: it takes the database's lock, so a second daemon on the same file stops here,
    // before loading a model and starting inference workers.
    const store = new Store({ settings: settings.store, log, cwd: deps.cwd });
    await store.start();
    stoppables.push({ name: 'store', stop: () => store.stop() });
    flushStore = () => store.flush();
    store.onFatal((err) => deps.onFatal?.(err));

    const model = await loadModel(path.resolve(deps.cwd, settings.model.dir));
    const meta: ModelMetadata = model.meta;
    checkModelInput(meta);
    log.info({ model: meta.id, version: meta.version, architecture: meta.architecture, classes: meta.classes.length }, 'model loaded');

    const { resolveMachine } = await import('./physics/machine.js');
    const sensors: SensorMeta[] = settings.sensors.map((s) => ({ id: s.id, asset: s.asset, rateHz: s.rateHz, unit: s.unit, axes: [...s.axes], machine: resolveMachine(s.machine) }));
    // Fused (default): the signal path and inference run together in the inference workers, which send
    // back diagnoses. Split: the signal path runs in DSP workers (or on this thread, pipeline.workers 0)
    // and windows meet in one batcher in front of the classifier pool. With no sensors configured (a
    // gateway being set up) the classifier pool still loads the engine, so a model that cannot run
    // fails at start, not when the first sensor is added.
    const { hop, gapTolerancePeriods, futureToleranceMs, clockResetMs, workers: dspWorkers, fused, physics } = settings.pipeline;
    const snapshotRing = settings.alerts.snapshots.enabled ? settings.alerts.snapshots.ringWindows : 0;
    /** The threads holding recent windows (alert snapshots), where there are any. */
    let windowSource: import('./alerts/snapshots.js').WindowSource | undefined;
    const { engine, backend, workers: inferenceWorkers, batchSize, batchMaxWaitMs, queueLimit } = settings.inference;
    const inferenceLog = log.child({ component: 'inference' });
    const onDropFrames = (n: number) => { stats.droppedFrames += n; };
    let inference: { fused: DspPool } | { classifier: ClassifierPool };
    if (fused && sensors.length > 0) {
      const pool = createDspPool({
        sensors, model: meta, hop, physics, workers: inferenceWorkers > 0 ? inferenceWorkers : os.availableParallelism(), log: inferenceLog,
        onDrop: onDropFrames, ringWindows: snapshotRing,
        inference: {
          modelDir: model.dir, engine, backend, intraOpNumThreads: 1, batchSize, batchMaxWaitMs,
          onError: (_err, n) => { stats.droppedWindows += n; },
        },
      });
      stoppables.push({ name: 'inference workers', stop: () => pool.stop() });
      const selected = await pool.ready();
      stats.engine = `${selected.engine}/${selected.backend}`;
      inference = { fused: pool };
      windowSource = pool;
    } else {
      const pool = await createClassifierPool({ modelDir: model.dir, meta, engine, backend, workers: inferenceWorkers, log: inferenceLog });
      stoppables.push({ name: 'inference', stop: () => pool.stop() });
      stats.engine = `${pool.engineName}/${pool.backendName}`;
      inference = { classifier: pool };
    }

    store.upsertSensors(sensors);

    // On-site baselines judge each diagnosis before it is stored, so the stored and published verdict
    // (possibly `novelty`) is the one the alert follows.
    const { BaselineComponent } = await import('./baseline/baselines.js');
    const baselines = new BaselineComponent({ settings, sensors, store, modelRateHz: meta.input.sampleRateHz, log });
    baselines.start();
    stoppables.push({ name: 'baselines', stop: () => baselines.stop() });
    // `drsnd record`: the validated frames of a sensor for a few seconds (fed below, on this thread).
    const { LiveRecorder } = await import('./ingest/recorder.js');
    const recorder = new LiveRecorder(sensors);
    stoppables.push({ name: 'recorder', stop: () => recorder.stop() });

    // TLS applies to a site broker reached over mqtts://; files are read (and a bad path reported) now.
    const tls = settings.mqtt.url !== null && isTlsUrl(settings.mqtt.url) ? mqttTlsOptions(settings.mqtt.tls, deps.cwd) : undefined;
    const publisher = new Publisher({ settings: { ...settings, mqtt: mqttSettings }, log, url: brokerUrl, tls });
    await publisher.start();
    stoppables.push({ name: 'publisher', stop: () => publisher.stop() });

    // Diagnoses and alert events reach MQTT only from SQLite: what subscribers see is in the history,
    // and what the broker has not acknowledged is sent again after an outage or a restart.
    const { DaemonMetrics } = await import('./metrics/daemon-metrics.js');
    const metrics = settings.http.enabled && settings.http.metrics ? new DaemonMetrics() : undefined;
    const relay = new OutboxRelay({
      store, publisher, gatewayId: settings.gateway.id, settings: settings.mqtt.outbox, log, onLivePublished: metrics?.livePublished,
    });
    relay.start();
    stoppables.push({ name: 'outbox', stop: () => relay.stop() });
    // Started after the relay, so a committed batch's diagnoses go out before the alert events they raise.
    const { SnapshotRecorder } = await import('./alerts/snapshots.js');
    // The split pipeline's DSP workers are made further down: the source is looked up when an alert comes.
    const lazyWindows = { window: (id: string, ch: string, start: number) => windowSource?.window(id, ch, start) ?? Promise.resolve(undefined) };
    const snapshots = snapshotRing > 0 ? new SnapshotRecorder({ source: lazyWindows, store, model: meta, settings: settings.alerts.snapshots, log }) : undefined;
    const alerts = new AlertsComponent({ settings, sensors, store, publisher, relay, log, snapshots });
    alerts.start();
    stoppables.push({ name: 'alerts', stop: () => alerts.stop() });
    componentStats = () => ({ diagnoses: store.stats.committedRows, lost: store.stats.failedRows, unpublished: relay.stats.pending });

    // Started after everything they read from, so they stop first.
    const pool = 'fused' in inference ? inference.fused : inference.classifier;
    const engineState = () => ({ name: stats.engine, liveWorkers: pool.liveWorkers });
    if (metrics) {
      metrics.attach({ store, relay, publisher, alerts, badInput, counters: () => stats, engine: engineState });
      stoppables.push({ name: 'metrics', stop: () => metrics.stop() });
    }
    const interfaces = await startInterfaces({
      settings, log, store, publisher, alerts, baselines, recorder, meta, sensors, engine: engineState, brokerUrl, mqttSettings, running: () => !stopping,
      metrics: metrics && (() => metrics.exposition()),
    });
    stoppables.push(...interfaces.stoppables);
    httpUrl = interfaces.httpUrl;

    // A line the operator can read in the journal: the daemon is alive and what it currently thinks.
    // Formatted here, every 30 s, not per diagnosis on the commit path.
    const summary = setInterval(() => {
      const last = Object.fromEntries([...alerts.lastDiagnoses()].map(([id, d]) => [id, `${d.className} ${d.confidence.toFixed(2)}`]));
      log.info({ ...stats, ...componentStats(), badInput: badInput.count(), badInputByReason: badInput.byReason(), last }, 'summary');
    }, SUMMARY_INTERVAL_MS);
    summary.unref();
    stoppables.push({ name: 'summary', stop: () => clearInterval(summary) });

    const { username, password, protocolVersion, reconnectMs } = mqttSettings;
    const sourceCtx = {
      log: log.child({ component: 'source' }), badInput, mqttUrl: brokerUrl, maxPayloadBytes: settings.mqtt.maxPayloadBytes,
      gatewayId: settings.gateway.id,
      mqttOptions: {
        clientIdPrefix: settings.mqtt.clientId ?? undefined,
        username: username ?? undefined, password: password ?? undefined, protocolVersion, reconnectPeriodMs: reconnectMs, tls,
      },
    };
    const { speedTopic, stampSpeed } = await import('./ingest/speed-topic.js');
    // Validation stays here, on the main thread: it reports bad input. A speed topic's rpm rides on the frames.
    const source = (i: number) => {
      const speed = settings.sensors[i].machine?.speed?.topic;
      return createSource(settings.sensors[i], sourceCtx).pipe(
        takeUntil(stop$),
        tap(() => { stats.framesIn++; }),
        validateFrames({
          sensor: sensors[i], range: settings.sensors[i].range, gapTolerancePeriods, badInput, clockResetMs,
          // Replay and simulator times come from this daemon's clock and run ahead at speed > 1.
          futureToleranceMs: hasDeviceTime(settings.sensors[i]) ? futureToleranceMs : null,
        }),
        tap((f) => {
          stats.framesAccepted++;
          recorder.frame(f);
        }),
        speed ? stampSpeed(speedTopic(sensors[i].id, speed, sourceCtx)) : (frames: Observable<Frame>) => frames,
      );
    };
    const counted = <T>() => tap<T>(() => { stats.windows++; });
    let diagnoses$: Observable<Diagnosis>;
    if ('fused' in inference) {
      const pool = inference.fused;
      diagnoses$ = merge(...sensors.map((sensor, i) => source(i).pipe(pool.diagnoses(sensor.id), counted<Diagnosis>())));
    } else {
      let signal: (sensor: SensorMeta) => OperatorFunction<Frame, Window>;
      if (dspWorkers > 0 && sensors.length > 0) {
        const dsp = createDspPool({ sensors, model: meta, hop, physics, workers: dspWorkers, log: log.child({ component: 'dsp' }), onDrop: onDropFrames, ringWindows: snapshotRing });
        windowSource = dsp;
        stoppables.push({ name: 'dsp workers', stop: () => dsp.stop() });
        signal = (sensor) => dsp.pipeline(sensor.id);
      } else {
        signal = (sensor) => (frames) => frames.pipe(signalPipeline({ sensor, model: meta, hop, physics }), normalizeWindows(meta.normalization));
      }
      diagnoses$ = merge(...sensors.map((sensor, i) => source(i).pipe(signal(sensor), counted<Window>()))).pipe(
        microBatch(batchSize, batchMaxWaitMs),
        classifyBatches({
          classifier: inference.classifier, model: meta, queueLimit, log: log.child({ component: 'classify' }),
          onDrop: (n: number) => { stats.droppedWindows += n; },
          onError: (_err: unknown, n: number) => { stats.droppedWindows += n; },
        }),
        mergeAll(),
      );
    }
    drained = new Promise<void>((resolve) => {
      subscription = diagnoses$.subscribe({
        next: (d: Diagnosis) => {
          stats.lastActivity = Date.now();
          baselines.observe(d);
          store.enqueue(d);
        },
        error: (err: unknown) => {
          log.error({ err }, 'pipeline failed');
          resolve();
        },
        complete: () => resolve(),
      });
    });
    // READY=1 means "DB, model and MQTT are up"; a broker that is down at start-up must not keep the
    // service from starting either (it buffers and connects later), so wait for it only so long.
    const connected = await Promise.race([publisher.ready().then(() => true, () => false), sleep(READY_WAIT_FOR_BROKER_MS).then(() => false)]);
    if (!connected) log.warn({ url: redactUrl(brokerUrl) }, 'MQTT broker not reachable yet: running anyway, publishing when it connects');
    log.info({ sensors: sensors.length, engine: stats.engine, mqtt: redactUrl(brokerUrl), db: store.path }, 'drsnd running');
  }

  async function stop(timeoutMs = 10_000): Promise<void> {
    if (stopping) return;
    stopping = true;
    // A signal during start-up: let start finish (or fail) so every component it made is stopped below.
    await starting?.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    stop$.next();
    stop$.complete();
    // Sources have completed; operators flush what they hold (last batch, in-flight inference).
    const timedOut = await Promise.race([drained.then(() => false), sleep(Math.max(0, deadline - Date.now() - 2000)).then(() => true)]);
    if (timedOut) log.warn('pipeline did not drain in time; in-flight windows are lost');
    subscription?.unsubscribe();
    // Commit what is buffered while the publisher is still up, so it is published too.
    try {
      flushStore();
    } catch (err) {
      log.error({ err }, 'final commit failed');
    }
    for (const s of [...stoppables].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.error({ err, component: s.name }, 'stop failed; continuing with the others');
      }
    }
  }

  const stallMs = settings.pipeline.stallTimeoutSec === null || settings.sensors.length === 0 ? null : settings.pipeline.stallTimeoutSec * 1000;
  const stallWatch = stallMs === null ? undefined : new StallWatch(stallMs);
  let silentLogged = false;
  const alive = (): boolean => {
    if (stopping) return false;
    const verdict = stallWatch?.check(stats) ?? 'ok';
    if (verdict === 'silent' && !silentLogged) {
      log.warn({ forSec: settings.pipeline.stallTimeoutSec }, 'no sensor has sent data for a while; the sources keep retrying (watchdog pings go on: a restart would not bring a sensor back)');
    }
    silentLogged = verdict === 'silent';
    return verdict !== 'stalled';
  };

  return {
    start,
    stop,
    alive,
    stats: () => ({ ...stats, ...componentStats(), badInput: badInput.count() }),
    mqttUrl: () => brokerUrl,
    httpUrl: () => httpUrl(),
  };
}

const hasDeviceTime = (s: Settings['sensors'][number]) => s.source.type === 'serial' || s.source.type === 'mqtt';

const READY_WAIT_FOR_BROKER_MS = 10_000;
const SUMMARY_INTERVAL_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

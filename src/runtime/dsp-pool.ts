// Runs the per-sensor signal pipeline (units → resample + band-limit → window → normalize) in worker
// threads. Why: at a few hundred 12 kHz channels the band-limit filter alone saturated the main
// thread while the inference workers idled (BENCHMARKS.md, profile notes), and a busy main thread
// delays MQTT, SQLite and the watchdog. Sensors are spread over the workers; each keeps its own
// stream state there, so frames of one sensor are always processed in order by one thread.
//
// Frames are gathered for FLUSH_MS and sent packed in one message per worker; the normalized windows
// come back packed the same way. Memory is bounded: a worker with more than
// `maxQueuedFrames` frames not yet answered gets no more; such frames are dropped, counted through
// onDrop, and the sensor's next frame is marked a discontinuity so no window spans the hole.
//
// Fused mode (`inference` set, pipeline.fused): each worker also runs the model on the windows it makes
// and sends back probabilities, so the pool yields diagnoses. Frames then gather until they hold about
// a batch of windows or batchMaxWaitMs passed, so a message's windows make full batches. A worker that
// does not answer within batchTimeoutMs (a wedged engine) is terminated and replaced like a dead one.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { type OperatorFunction, Observable, type Subscriber } from 'rxjs';
import { DrsndError, ErrorCodes } from '../errors.js';
import { logSelection } from '../model/select.js';
import { fromWire } from './worker-protocol.js';
import type { Logger } from '../log.js';
import type { Diagnosis, Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { RespawnBackoff, stopWorker } from '../util/worker-supervision.js';
import { workerSpec } from '../worker-entry.js';
import { toDiagnosis, type WindowRef } from '../pipeline/classify.js';
import type { DspInference, DspInit, FromDsp, ToDsp, WireFrame } from './dsp-protocol.js';
import { signalPipeline } from '../pipeline/sensor-pipeline.js';

export interface DspPoolOptions {
  sensors: SensorMeta[];
  model: ModelMetadata;
  hop: number | null;
  /** Worker threads (≥ 1; sensors are spread round-robin). */
  workers: number;
  log: Logger;
  /** Frames dropped because a worker was too far behind (or died with them). */
  onDrop?: (frames: number) => void;
  /**
   * Frames a worker may hold unanswered; default max(1024, 6 per sensor): ~0.5 s of 1024-sample frames
   * at 12 kHz, so an overloaded worker drops frames rather than let latency grow past about that.
   * (16 per sensor, ~1.4 s, let fused overload latency reach 1.2-2 s: BENCHMARKS.md item 9.)
   */
  maxQueuedFrames?: number;
  /** Tests only: see DspInit.fault (applies to the first workers, not to replacements). */
  fault?: DspInit['fault'];
  /** Fused mode: the workers classify their windows; use diagnoses(), not pipeline(). */
  inference?: DspInference & {
    /** Longest a frame waits for company before it is sent (the batch time bound). */
    batchMaxWaitMs: number;
    /** A worker silent this long with frames outstanding is terminated and replaced (default 30 s). */
    batchTimeoutMs?: number;
    /** An engine call failed; its windows produce no diagnosis. */
    onError?: (err: Error, windows: number) => void;
  };
}

export interface DspPool {
  /** The sensor's validated frames → its normalized windows, computed in its worker. Completes after the
   *  source completes and every frame sent has been answered. */
  pipeline(sensorId: string): OperatorFunction<Frame, Window>;
  /** Fused mode: the sensor's validated frames → its diagnoses (latencyMs from window completion). */
  diagnoses(sensorId: string): OperatorFunction<Frame, Diagnosis>;
  /** Resolves when every worker is ready (fused mode: its engine loaded), with the engine in use;
   *  rejects with ENGINE_UNAVAILABLE when it cannot load. Windows mode: at once, engine ''. */
  ready(): Promise<{ engine: string; backend: string }>;
  readonly liveWorkers: number;
  stop(): Promise<void>;
}

interface Lane {
  s: number;
  sensor: SensorMeta;
  slot: Slot;
  sub?: Subscriber<Window> | Subscriber<Diagnosis>;
  /** Frames submitted and not yet answered (in the outbox or at the worker). */
  outstanding: number;
  sourceDone: boolean;
  /** Frames were lost before the next one: tell the worker to restart this sensor's stream. */
  broken: boolean;
}

interface Slot {
  worker: Worker;
  outbox: { wire: WireFrame; channels: Float32Array[] }[];
  outboxFloats: number;
  flushTimer?: NodeJS.Timeout;
  nextId: number;
  /** Request id → frames per sensor index in it. */
  pending: Map<number, Map<number, number>>;
  /** Frames in the outbox or at the worker: what maxQueuedFrames bounds. */
  queued: number;
  /** Windows the outbox's frames will roughly make (fused mode sends at a batch's worth). */
  outboxWindows: number;
  /** When the worker last answered, or got work while idle (for batchTimeoutMs). */
  progressAt: number;
  ready: boolean;
  exited: boolean;
}

const QUEUED_FRAMES_PER_SENSOR = 6;
const BATCH_TIMEOUT_MS = 30_000;
/**
 * How long frames gather before they are sent. A message costs ~30 µs on the main thread whatever it
 * carries; sensors' frames arrive spread over time, so flushing every event-loop turn sent ~1-2 frames
 * per message. 4 ms adds at most 4 ms of latency and bounds messages to ~250/s per worker.
 */
const FLUSH_MS = 4;

export function createDspPool(opts: DspPoolOptions): DspPool {
  const { sensors, model, log } = opts;
  if (!(opts.workers >= 1)) throw new RangeError(`createDspPool: workers must be ≥ 1 (got ${opts.workers})`);
  // Fail here, on the main thread, for a rate the model cannot take (as the main-thread mode does).
  for (const sensor of sensors) signalPipeline({ sensor, model, hop: opts.hop });
  const size = Math.min(opts.workers, Math.max(1, sensors.length), os.availableParallelism() * 4);
  const maxQueued = opts.maxQueuedFrames ?? Math.max(1024, QUEUED_FRAMES_PER_SENSOR * Math.ceil(sensors.length / size));
  const len = model.input.windowLength;
  const hop = opts.hop ?? Math.max(1, Math.floor(len / 2));
  const fused = opts.inference;
  const init: DspInit = {
    sensors, model, hop: opts.hop, mainTimeOrigin: performance.timeOrigin,
    inference: fused && { modelDir: fused.modelDir, engine: fused.engine, backend: fused.backend, intraOpNumThreads: fused.intraOpNumThreads, batchSize: fused.batchSize },
  };
  const flushMs = fused ? fused.batchMaxWaitMs : FLUSH_MS;
  const batchTimeoutMs = fused?.batchTimeoutMs ?? BATCH_TIMEOUT_MS;
  const classes = new Map(model.classes.map((c) => [c.index, c]));
  const spec = workerSpec(import.meta.url, 'dsp-worker');
  const slots: Slot[] = [];
  const lanes: Lane[] = [];
  let live = 0;
  let stopping = false;
  const backoff = new RespawnBackoff();
  let selected = { engine: '', backend: '' };
  let settleStart: { resolve(): void; reject(e: Error): void } | undefined;
  const started = new Promise<void>((resolve, reject) => { settleStart = { resolve, reject }; });
  started.catch(() => undefined); // observed through ready()

  const drop = (n: number): void => {
    if (n > 0) opts.onDrop?.(n);
  };

  const settle = (lane: Lane, frames: number): void => {
    lane.outstanding -= frames;
    if (lane.sourceDone && lane.outstanding === 0) lane.sub?.complete();
  };

  const answered = (slot: Slot, m: Extract<FromDsp, { type: 'windows' }>): void => {
    const data = new Float32Array(m.buffer);
    if (m.inferenceError) {
      const err = fromWire(m.inferenceError, ErrorCodes.INFERENCE_FAILED);
      log.error({ err, windows: m.lostWindows }, 'classification failed; windows skipped');
      fused?.onError?.(err, m.lostWindows ?? 0);
    }
    const t = performance.now();
    for (const w of m.windows) {
      const lane = lanes[w.s];
      const { sensor } = lane;
      // One object literal per branch (no {...ref, data} copy): this runs for every window.
      if (!m.probs) {
        const win: Window = { sensorId: sensor.id, asset: sensor.asset, channel: sensor.axes[w.c], start: w.start, end: w.end, completedAt: w.completedAt, data: data.subarray(w.o, w.o + len) };
        (lane.sub as Subscriber<Window> | undefined)?.next(win);
      } else {
        const ref: WindowRef = { sensorId: sensor.id, asset: sensor.asset, channel: sensor.axes[w.c], start: w.start, end: w.end, completedAt: w.completedAt };
        (lane.sub as Subscriber<Diagnosis> | undefined)?.next(toDiagnosis(ref, data.subarray(w.o, w.o + classes.size), model, classes, t));
      }
    }
    const counts = slot.pending.get(m.id);
    slot.pending.delete(m.id);
    slot.progressAt = t;
    for (const [s, n] of counts ?? []) {
      slot.queued -= n;
      settle(lanes[s], n);
    }
  };

  const spawn = (index: number, first: boolean): Slot => {
    const workerData: DspInit = first ? { ...init, fault: opts.fault } : init;
    const worker = new Worker(spec.entry, { workerData, eval: spec.eval, name: fused ? 'drsnd-fused' : 'drsnd-dsp' });
    live++;
    const slot: Slot = {
      worker, outbox: [], outboxFloats: 0, outboxWindows: 0, nextId: 0, pending: new Map(), queued: 0,
      progressAt: performance.now(), ready: !fused, exited: false,
    };
    worker.on('message', (m: FromDsp) => {
      if (m.type === 'windows') answered(slot, m);
      else if (m.type === 'error') lanes[m.s].sub?.error(fromWire(m.error, ErrorCodes.CONFIG_INVALID));
      else if (m.type === 'ready') {
        slot.ready = true;
        slot.progressAt = performance.now();
        backoff.reset();
        if (!selected.engine) {
          selected = { engine: m.engine, backend: m.backend };
          logSelection(log, m.engine, m.backend, m.fallbacks);
        }
        if (slots.every((s) => s.ready)) settleStart?.resolve();
      } else {
        const err = fromWire(m.error, ErrorCodes.ENGINE_UNAVAILABLE);
        if (first) settleStart?.reject(err);
        else log.error({ err, retryMs: backoff.delayMs }, 'replacement DSP/inference worker could not load its engine');
      }
    });
    worker.on('error', (err) => log.error({ err }, 'DSP worker failed'));
    worker.on('exit', (code) => {
      live--;
      slot.exited = true;
      if (stopping) return;
      // Its frames are lost with it: count them, restart the sensors' streams in the replacement.
      let lost = 0;
      for (const counts of slot.pending.values()) {
        for (const [s, n] of counts) {
          lost += n;
          lanes[s].broken = true;
          settle(lanes[s], n);
        }
      }
      slot.pending.clear();
      drop(lost);
      const replace = (): void => {
        const fresh = spawn(index, false);
        fresh.outbox = slot.outbox;
        fresh.outboxFloats = slot.outboxFloats;
        fresh.outboxWindows = slot.outboxWindows;
        fresh.queued = slot.outbox.length; // the moved frames still count against the bound
        slot.outbox = [];
        slot.outboxFloats = 0;
        slot.outboxWindows = 0;
        if (fresh.outbox.length > 0) schedule(fresh);
        for (const lane of lanes) if (lane.slot === slot) lane.slot = fresh;
      };
      if (slot.ready) {
        log.error({ code, lostFrames: lost }, 'DSP worker died; starting a replacement');
        replace();
        return;
      }
      // It never got its engine loaded: retry later, not in a tight loop; frames meanwhile are dropped.
      if (first) return; // start-up failure: ready() rejects, the app does not start
      backoff.retry(replace);
    });
    slots[index] = slot;
    return slot;
  };

  const flush = (slot: Slot): void => {
    clearTimeout(slot.flushTimer);
    slot.flushTimer = undefined;
    if (slot.outbox.length === 0 || slot.exited) return;
    const buffer = new Float32Array(slot.outboxFloats);
    const counts = new Map<number, number>();
    let o = 0;
    const frames = slot.outbox.map(({ wire, channels }) => {
      wire.o = o;
      for (const c of channels) {
        buffer.set(c, o);
        o += c.length;
      }
      counts.set(wire.s, (counts.get(wire.s) ?? 0) + 1);
      return wire;
    });
    const id = slot.nextId++;
    if (slot.pending.size === 0) slot.progressAt = performance.now();
    slot.pending.set(id, counts);
    slot.outbox = [];
    slot.outboxFloats = 0;
    slot.outboxWindows = 0;
    slot.worker.postMessage({ type: 'frames', id, frames, buffer: buffer.buffer } satisfies ToDsp, [buffer.buffer]);
  };

  const schedule = (slot: Slot): void => {
    if (fused && slot.outboxWindows >= fused.batchSize) {
      flush(slot);
      return;
    }
    slot.flushTimer ??= setTimeout(() => flush(slot), flushMs);
  };

  const submit = (lane: Lane, f: Frame): void => {
    const slot = lane.slot;
    if (slot.queued >= maxQueued || slot.exited) {
      lane.broken = true;
      drop(1);
      return;
    }
    const n = f.channels[0].length;
    slot.outbox.push({ wire: { s: lane.s, t0: f.t0, rateHz: f.rateHz, unit: f.unit, n, o: 0, d: !!f.discontinuity || lane.broken, seq: f.seq }, channels: f.channels });
    slot.outboxFloats += n * f.channels.length;
    slot.outboxWindows += (f.channels.length * n * model.input.sampleRateHz) / (f.rateHz * hop);
    slot.queued++;
    lane.outstanding++;
    lane.broken = false;
    schedule(slot);
  };

  const operator = <T extends Window | Diagnosis>(sensorId: string, wantProbs: boolean): OperatorFunction<Frame, T> => {
    if (wantProbs !== !!fused) throw new Error(`DSP pool: ${wantProbs ? 'diagnoses() needs the inference option' : 'pipeline() yields windows only without the inference option'}`);
    const lane = lanes.find((l) => l.sensor.id === sensorId);
    if (!lane) throw new DrsndError(ErrorCodes.CONFIG_INVALID, `DSP pool: unknown sensor "${sensorId}"`);
    return (source) =>
      new Observable<T>((sub) => {
        lane.sub = sub as Subscriber<Window> | Subscriber<Diagnosis>;
        lane.sourceDone = false;
        const inner = source.subscribe({
          next: (f) => submit(lane, f),
          error: (e) => sub.error(e),
          complete: () => {
            lane.sourceDone = true;
            if (lane.outstanding === 0) sub.complete();
          },
        });
        return () => {
          inner.unsubscribe();
          if (lane.sub === sub) lane.sub = undefined;
        };
      });
  };

  for (let i = 0; i < size; i++) spawn(i, true);
  sensors.forEach((sensor, s) => lanes.push({ s, sensor, slot: slots[s % size], outstanding: 0, sourceDone: false, broken: false }));
  if (!fused) settleStart?.resolve();
  // A wedged engine call never answers: terminate the worker; its exit handler counts and replaces.
  const watchdog = fused && setInterval(() => {
    const t = performance.now();
    for (const slot of slots) {
      if (slot.exited || !slot.ready || slot.pending.size === 0 || t - slot.progressAt < batchTimeoutMs) continue;
      log.error({ threadId: slot.worker.threadId, timeoutMs: batchTimeoutMs }, 'DSP/inference worker did not answer; terminating it');
      slot.progressAt = Infinity; // once
      void slot.worker.terminate();
    }
  }, Math.min(1000, batchTimeoutMs / 2));
  if (watchdog) watchdog.unref();
  log.info({ workers: size, sensors: sensors.length, maxQueuedFrames: maxQueued, fused: !!fused }, 'DSP workers started');

  return {
    pipeline: (sensorId) => operator<Window>(sensorId, false),
    diagnoses: (sensorId) => operator<Diagnosis>(sensorId, true),
    ready: () => started.then(() => selected),
    get liveWorkers() { return live; },
    async stop(): Promise<void> {
      stopping = true;
      if (watchdog) clearInterval(watchdog);
      backoff.cancel();
      for (const slot of slots) clearTimeout(slot.flushTimer);
      // A worker that already exited (died while stopping) fires no second 'exit' to wait for.
      await Promise.all(slots.filter((slot) => !slot.exited).map((slot) => stopWorker(slot.worker, { type: 'stop' } satisfies ToDsp)));
    },
  };
}


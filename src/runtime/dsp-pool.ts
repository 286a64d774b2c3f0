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
// does not answer within batchTimeoutMs (a wedged engine) is terminated and replaced like a dead one
// (worker-pool.ts keeps the threads; this file decides what they are sent and what a loss costs).
import os from 'node:os';
import { type OperatorFunction, Observable, type Subscriber } from 'rxjs';
import { DrsndError, ErrorCodes } from '../errors.js';
import { fromWire } from './worker-protocol.js';
import type { Logger } from '../log.js';
import { PhysicsDecoder, physicsBands } from './physics-wire.js';
import type { Diagnosis, Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { siblingScript, type WorkerScript } from '../worker-entry.js';
import { createWorkerPool, type Member } from './worker-pool.js';
import { toDiagnosis, type WindowRef } from '../pipeline/classify.js';
import { netInputLength } from '../model/metadata.js';
import type { DspInference, DspInit, FromDsp, ToDsp, WireFrame } from './dsp-protocol.js';
import { signalPipeline } from '../pipeline/sensor-pipeline.js';

export interface DspPoolOptions {
  sensors: SensorMeta[];
  model: ModelMetadata;
  hop: number | null;
  /** Physics on every window (settings pipeline.physics; default on). */
  physics?: boolean;
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
  /** Timers (frame gathering, batch timeout, respawn back-off); default real time. */
  clock?: Clock;
  /** The worker module; default dsp-worker.js beside this file. */
  script?: WorkerScript;
  /** Recent raw windows each worker keeps per channel for window() (alert snapshots); 0 or absent: none. */
  ringWindows?: number;
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
  /**
   * The raw window (model unit and rate, before normalization) of a sensor's channel that starts at
   * `start`, from its worker's ring of recent windows; undefined when the ring no longer holds it.
   */
  window(sensorId: string, channel: string, start: number): Promise<{ data: Float32Array; end: number } | undefined>;
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
  /** The worker index its frames go to. */
  w: number;
  sub?: Subscriber<Window> | Subscriber<Diagnosis>;
  /** Frames submitted and not yet answered (in the outbox or at the worker). */
  outstanding: number;
  sourceDone: boolean;
  /** Frames were lost before the next one: tell the worker to restart this sensor's stream. */
  broken: boolean;
}

/** What the pool holds for one member (worker thread). */
interface Slot {
  member: Member;
  outbox: { wire: WireFrame; channels: Float32Array[] }[];
  outboxFloats: number;
  flushTimer?: TimerHandle;
  nextId: number;
  /** Request id → frames per sensor index in it. */
  pending: Map<number, Map<number, number>>;
  /** window() requests waiting for this worker's answer. */
  windowRequests: Map<number, (w: { data: Float32Array; end: number } | undefined) => void>;
  /** Window physics from this worker (physics-wire.ts; key c × sensors + s). */
  physics: PhysicsDecoder;
  /** Frames in the outbox or at the worker: what maxQueuedFrames bounds. */
  queued: number;
  /** Windows the outbox's frames will roughly make (fused mode sends at a batch's worth). */
  outboxWindows: number;
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
  // Floats per window on the wire: the net's input (a representation's bins, else the normalized window).
  const len = netInputLength(model);
  const bands = physicsBands(model);
  const hop = opts.hop ?? Math.max(1, Math.floor(model.input.windowLength / 2));
  const fused = opts.inference;
  const init: DspInit = {
    sensors, model, hop: opts.hop, physics: opts.physics, mainTimeOrigin: performance.timeOrigin, ringWindows: opts.ringWindows ?? 0,
    inference: fused && { modelDir: fused.modelDir, engine: fused.engine, backend: fused.backend, intraOpNumThreads: fused.intraOpNumThreads, batchSize: fused.batchSize },
  };
  const flushMs = fused ? fused.batchMaxWaitMs : FLUSH_MS;
  const clock = opts.clock ?? systemClock;
  const classes = new Map(model.classes.map((c) => [c.index, c]));
  /** The current slot at each worker index, and each member's slot. */
  const slots: Slot[] = [];
  const slotOf = new Map<Member, Slot>();
  const lanes: Lane[] = [];

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
    const phys = m.physics ? new Float64Array(m.physics) : null;
    for (const w of m.windows) {
      // The evidence is shared by the windows that carry it until the next analysis, as on one thread.
      const physics = phys && w.p !== undefined ? slot.physics.decode(w.c * sensors.length + w.s, phys, w.p, w.x) : undefined;
      const lane = lanes[w.s];
      const { sensor } = lane;
      // One object literal per branch (no {...ref, data} copy): this runs for every window.
      if (!m.probs) {
        const win: Window = { sensorId: sensor.id, asset: sensor.asset, channel: sensor.axes[w.c], start: w.start, end: w.end, completedAt: w.completedAt, data: data.subarray(w.o, w.o + len), physics };
        (lane.sub as Subscriber<Window> | undefined)?.next(win);
      } else {
        const ref: WindowRef = { sensorId: sensor.id, asset: sensor.asset, channel: sensor.axes[w.c], start: w.start, end: w.end, completedAt: w.completedAt, physics };
        (lane.sub as Subscriber<Diagnosis> | undefined)?.next(toDiagnosis(ref, data.subarray(w.o, w.o + classes.size), model, classes, t));
      }
    }
    const counts = slot.pending.get(m.id);
    slot.pending.delete(m.id);
    slot.member.answered(slot.pending.size > 0);
    for (const [s, n] of counts ?? []) {
      slot.queued -= n;
      settle(lanes[s], n);
    }
  };

  const addSlot = (member: Member): Slot => {
    const slot: Slot = { member, outbox: [], outboxFloats: 0, outboxWindows: 0, nextId: 0, pending: new Map(), windowRequests: new Map(), physics: new PhysicsDecoder(bands), queued: 0 };
    slots[member.index] = slot;
    slotOf.set(member, slot);
    return slot;
  };

  const pool = createWorkerPool<FromDsp>({
    name: fused ? 'drsnd-fused' : 'drsnd-dsp', role: fused ? 'DSP/inference worker' : 'DSP worker',
    script: opts.script ?? siblingScript(import.meta.url, 'dsp-worker'), size, workerData: init,
    handshake: !!fused, timeoutMs: fused ? fused.batchTimeoutMs ?? BATCH_TIMEOUT_MS : undefined,
    stopMessage: { type: 'stop' } satisfies ToDsp, log, clock,
    onMessage(member, m) {
      const slot = slotOf.get(member)!;
      if (m.type === 'windows') answered(slot, m);
      else if (m.type === 'window') {
        const done = slot.windowRequests.get(m.id);
        slot.windowRequests.delete(m.id);
        done?.(m.buffer ? { data: new Float32Array(m.buffer), end: m.end } : undefined);
      } else lanes[m.s].sub?.error(fromWire(m.error, ErrorCodes.CONFIG_INVALID));
    },
    onExit(member) {
      // A window asked for went with the worker's ring.
      const gone = slotOf.get(member)!;
      for (const done of gone.windowRequests.values()) done(undefined);
      gone.windowRequests.clear();
      // Its frames are lost with it: count them, restart the sensors' streams in the replacement.
      const slot = slotOf.get(member)!;
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
      return { lostFrames: lost };
    },
    onReplace(old, member) {
      const gone = slotOf.get(old)!;
      slotOf.delete(old);
      const fresh = addSlot(member);
      // Frames still gathering move over and keep counting against the bound.
      fresh.outbox = gone.outbox;
      fresh.outboxFloats = gone.outboxFloats;
      fresh.outboxWindows = gone.outboxWindows;
      fresh.queued = gone.outbox.length;
      clock.clearTimeout(gone.flushTimer);
      gone.flushTimer = undefined;
      gone.outbox = [];
      if (fresh.outbox.length > 0) schedule(fresh);
    },
  });
  for (const member of pool.members) addSlot(member);

  const flush = (slot: Slot): void => {
    clock.clearTimeout(slot.flushTimer);
    slot.flushTimer = undefined;
    if (slot.outbox.length === 0 || slot.member.exited) return;
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
    slot.pending.set(id, counts);
    slot.outbox = [];
    slot.outboxFloats = 0;
    slot.outboxWindows = 0;
    slot.member.post({ type: 'frames', id, frames, buffer: buffer.buffer } satisfies ToDsp, [buffer.buffer]);
    slot.member.owe();
  };

  const schedule = (slot: Slot): void => {
    if (fused && slot.outboxWindows >= fused.batchSize) {
      flush(slot);
      return;
    }
    slot.flushTimer ??= clock.setTimeout(() => flush(slot), flushMs);
  };

  const submit = (lane: Lane, f: Frame): void => {
    const slot = slots[lane.w];
    if (slot.queued >= maxQueued || slot.member.exited) {
      lane.broken = true;
      drop(1);
      return;
    }
    const n = f.channels[0].length;
    slot.outbox.push({ wire: { s: lane.s, t0: f.t0, rateHz: f.rateHz, unit: f.unit, n, o: 0, d: !!f.discontinuity || lane.broken, seq: f.seq, sh: f.shaftHz }, channels: f.channels });
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

  sensors.forEach((sensor, s) => lanes.push({ s, sensor, w: s % size, outstanding: 0, sourceDone: false, broken: false }));
  log.info({ workers: size, sensors: sensors.length, maxQueuedFrames: maxQueued, fused: !!fused }, 'DSP workers started');

  return {
    pipeline: (sensorId) => operator<Window>(sensorId, false),
    diagnoses: (sensorId) => operator<Diagnosis>(sensorId, true),
    ready: () => pool.started,
    window(sensorId, channel, start) {
      const lane = lanes.find((l) => l.sensor.id === sensorId);
      const c = lane ? lane.sensor.axes.indexOf(channel) : -1;
      const slot = lane && slots[lane.w];
      if (!lane || !slot || c < 0 || slot.member.exited || !opts.ringWindows) return Promise.resolve(undefined);
      const id = slot.nextId++;
      return new Promise((resolve) => {
        slot.windowRequests.set(id, resolve);
        slot.member.post({ type: 'window', id, s: lane.s, c, start } satisfies ToDsp);
      });
    },
    get liveWorkers() { return pool.live; },
    async stop(): Promise<void> {
      for (const slot of slots) clock.clearTimeout(slot.flushTimer);
      await pool.stop();
      // A stopped pool calls no onExit: nobody is left to answer a window asked for.
      for (const slot of slots) {
        for (const done of slot.windowRequests.values()) done(undefined);
        slot.windowRequests.clear();
      }
    },
  };
}


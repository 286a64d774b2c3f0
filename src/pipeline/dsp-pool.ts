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
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { type OperatorFunction, Observable, type Subscriber } from 'rxjs';
import { DrsndError, ErrorCodes } from '../errors.js';
import { fromWire } from '../model/worker-protocol.js';
import type { Logger } from '../log.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { workerSpec } from '../worker-entry.js';
import type { DspInit, FromDsp, ToDsp, WireFrame } from './dsp-protocol.js';
import { signalPipeline } from './sensor-pipeline.js';

export interface DspPoolOptions {
  sensors: SensorMeta[];
  model: ModelMetadata;
  hop: number | null;
  /** Worker threads (≥ 1; sensors are spread round-robin). */
  workers: number;
  log: Logger;
  /** Frames dropped because a worker was too far behind (or died with them). */
  onDrop?: (frames: number) => void;
  /** Frames a worker may hold unanswered; default max(1024, 16 per sensor), ~1.4 s of 1024-sample frames. */
  maxQueuedFrames?: number;
  /** Tests only: see DspInit.fault (applies to the first workers, not to replacements). */
  fault?: DspInit['fault'];
}

export interface DspPool {
  /** The sensor's validated frames → its normalized windows, computed in its worker. Completes after the
   *  source completes and every frame sent has been answered. */
  pipeline(sensorId: string): OperatorFunction<Frame, Window>;
  readonly liveWorkers: number;
  stop(): Promise<void>;
}

interface Lane {
  s: number;
  sensor: SensorMeta;
  slot: Slot;
  sub?: Subscriber<Window>;
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
  flushScheduled: boolean;
  nextId: number;
  /** Request id → frames per sensor index in it. */
  pending: Map<number, Map<number, number>>;
  /** Frames in the outbox or at the worker: what maxQueuedFrames bounds. */
  queued: number;
  exited: boolean;
}

const STOP_GRACE_MS = 2_000;
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
  const maxQueued = opts.maxQueuedFrames ?? Math.max(1024, 16 * Math.ceil(sensors.length / size));
  const len = model.input.windowLength;
  const init: DspInit = { sensors, model, hop: opts.hop, mainTimeOrigin: performance.timeOrigin };
  const spec = workerSpec(import.meta.url, 'dsp-worker');
  const slots: Slot[] = [];
  const lanes: Lane[] = [];
  let live = 0;
  let stopping = false;

  const drop = (n: number): void => {
    if (n > 0) opts.onDrop?.(n);
  };

  const settle = (lane: Lane, frames: number): void => {
    lane.outstanding -= frames;
    if (lane.sourceDone && lane.outstanding === 0) lane.sub?.complete();
  };

  const spawn = (index: number, first: boolean): Slot => {
    const workerData: DspInit = first ? { ...init, fault: opts.fault } : init;
    const worker = new Worker(spec.entry, { workerData, eval: spec.eval, name: 'drsnd-dsp' });
    live++;
    const slot: Slot = { worker, outbox: [], outboxFloats: 0, flushScheduled: false, nextId: 0, pending: new Map(), queued: 0, exited: false };
    worker.on('message', (m: FromDsp) => {
      if (m.type === 'error') {
        lanes[m.s].sub?.error(fromWire(m.error, ErrorCodes.CONFIG_INVALID));
        return;
      }
      const data = new Float32Array(m.buffer);
      for (const w of m.windows) {
        const lane = lanes[w.s];
        lane.sub?.next({
          sensorId: lane.sensor.id, asset: lane.sensor.asset, channel: lane.sensor.axes[w.c], start: w.start, end: w.end,
          data: data.subarray(w.o, w.o + len), completedAt: w.completedAt,
        });
      }
      const counts = slot.pending.get(m.id);
      slot.pending.delete(m.id);
      for (const [s, n] of counts ?? []) {
        slot.queued -= n;
        settle(lanes[s], n);
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
      drop(lost);
      log.error({ code, lostFrames: lost }, 'DSP worker died; starting a replacement');
      const fresh = spawn(index, false);
      fresh.outbox = slot.outbox;
      fresh.outboxFloats = slot.outboxFloats;
      fresh.queued = slot.outbox.length; // the moved frames still count against the bound
      slot.outbox = [];
      slot.outboxFloats = 0;
      if (fresh.outbox.length > 0) schedule(fresh);
      for (const lane of lanes) if (lane.slot === slot) lane.slot = fresh;
    });
    slots[index] = slot;
    return slot;
  };

  const flush = (slot: Slot): void => {
    slot.flushScheduled = false;
    if (slot.outbox.length === 0) return;
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
    slot.worker.postMessage({ type: 'frames', id, frames, buffer: buffer.buffer } satisfies ToDsp, [buffer.buffer]);
  };

  const schedule = (slot: Slot): void => {
    if (slot.flushScheduled) return;
    slot.flushScheduled = true;
    setTimeout(() => flush(slot), FLUSH_MS);
  };

  const submit = (lane: Lane, f: Frame): void => {
    const slot = lane.slot;
    if (slot.queued >= maxQueued) {
      lane.broken = true;
      drop(1);
      return;
    }
    const n = f.channels[0].length;
    slot.outbox.push({ wire: { s: lane.s, t0: f.t0, rateHz: f.rateHz, unit: f.unit, n, o: 0, d: !!f.discontinuity || lane.broken, seq: f.seq }, channels: f.channels });
    slot.outboxFloats += n * f.channels.length;
    slot.queued++;
    lane.outstanding++;
    lane.broken = false;
    schedule(slot);
  };

  for (let i = 0; i < size; i++) spawn(i, true);
  sensors.forEach((sensor, s) => lanes.push({ s, sensor, slot: slots[s % size], outstanding: 0, sourceDone: false, broken: false }));
  log.info({ workers: size, sensors: sensors.length, maxQueuedFrames: maxQueued }, 'DSP workers started');

  return {
    pipeline(sensorId: string): OperatorFunction<Frame, Window> {
      const lane = lanes.find((l) => l.sensor.id === sensorId);
      if (!lane) throw new DrsndError(ErrorCodes.CONFIG_INVALID, `DSP pool: unknown sensor "${sensorId}"`);
      return (source) =>
        new Observable<Window>((sub) => {
          lane.sub = sub;
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
    },
    get liveWorkers() { return live; },
    async stop(): Promise<void> {
      stopping = true;
      // A worker that already exited (died while stopping) fires no second 'exit' to wait for.
      await Promise.all(slots.filter((slot) => !slot.exited).map(async (slot) => {
        const exited = new Promise<void>((r) => slot.worker.once('exit', () => r()));
        slot.worker.postMessage({ type: 'stop' } satisfies ToDsp);
        const timer = setTimeout(() => void slot.worker.terminate(), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }));
    },
  };
}

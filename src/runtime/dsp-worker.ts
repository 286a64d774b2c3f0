// DSP worker thread: runs the per-sensor signal pipeline (units → resample + band-limit → window →
// normalize) for the sensors the pool routes here, so the main thread keeps only I/O, validation,
// storage and publishing. The operators are the same pure RxJS ones the main-thread mode uses.
//
// Fused mode (DspInit.inference): the worker also loads an inference engine and classifies the windows
// it made, answering with probabilities. Windows then never travel back to the main thread and, on a
// small CPU, there is one busy thread fewer than with separate DSP and inference workers.
import { parentPort, workerData } from 'node:worker_threads';
import { Subject } from 'rxjs';
import type { InferenceEngine } from '../model/engines/engine.js';
import { selectEngine } from '../model/select.js';
import { netInputLength } from '../model/metadata.js';
import { warmUpPhysics } from '../physics/sensor-physics.js';
import { toWire } from './worker-protocol.js';
import { PhysicsEncoder, physicsBands } from './physics-wire.js';
import type { Frame, Window } from '../types.js';
import type { DspInit, FromDsp, ToDsp, WireWindow } from './dsp-protocol.js';
import { normalizeData } from '../pipeline/normalize.js';
import { signalPipeline } from '../pipeline/sensor-pipeline.js';

const port = parentPort;
if (!port) throw new Error('src/runtime/dsp-worker.ts runs only as a worker thread (see dsp-pool.ts)');
const init = workerData as DspInit;
const len = netInputLength(init.model);
const classes = init.model.classes.length;
// Worker threads have their own time origin; completedAt must be on the main thread's clock.
const shift = performance.timeOrigin - init.mainTimeOrigin;
const now = (): number => performance.now() + shift;

/** Windows produced while handling the current message. */
let produced: { s: number; w: Window }[] = [];
/**
 * The last ringWindows windows per sensor and axis (`s:c`), for alert snapshots. The windower hands
 * out a fresh array per window and normalization writes elsewhere, so keeping the reference costs no
 * copy; only a window asked for is copied and sent back.
 *
 * Only the samples and times are kept, not the Window: its physics (indicators, findings, band levels)
 * has no use here and would otherwise live as long as the ring (~0.7 s), past several young-generation
 * collections.
 */
interface Kept {
  start: number;
  end: number;
  data: Float32Array;
}
const rings = new Map<string, Kept[]>();
const ringWindows = init.ringWindows ?? 0;

function keep(s: number, w: Window): void {
  const key = `${s}:${w.channel}`;
  let ring = rings.get(key);
  if (!ring) rings.set(key, (ring = []));
  ring.push({ start: w.start, end: w.end, data: w.data });
  if (ring.length > ringWindows) ring.shift();
}

function answerWindow(msg: Extract<ToDsp, { type: 'window' }>): void {
  const w = rings.get(`${msg.s}:${init.sensors[msg.s].axes[msg.c]}`)?.find((x) => x.start === msg.start);
  const copy = w ? w.data.slice() : null;
  port!.postMessage({ type: 'window', id: msg.id, buffer: copy ? copy.buffer : null, end: w?.end ?? 0 } satisfies FromDsp, copy ? [copy.buffer] : []);
}
const lanes = new Map<number, Subject<Frame> | null>();

function lane(s: number): Subject<Frame> | null {
  let input = lanes.get(s);
  if (input !== undefined) return input;
  const sensor = init.sensors[s];
  input = new Subject<Frame>();
  lanes.set(s, input);
  try {
    input.pipe(signalPipeline({ sensor, model: init.model, hop: init.hop, now, physics: init.physics })).subscribe({
      next: (w) => {
        produced.push({ s, w });
        if (ringWindows > 0) keep(s, w);
      },
      error: (e: unknown) => fail(s, e),
    });
  } catch (e) {
    fail(s, e);
  }
  return lanes.get(s) ?? null;
}

function fail(s: number, e: unknown): void {
  lanes.set(s, null);
  port!.postMessage({ type: 'error', s, error: toWire(e) } satisfies FromDsp);
}

/** The message's frames through their sensors' pipelines; the windows they completed, taken from `produced`. */
function runFrames(msg: Extract<ToDsp, { type: 'frames' }>): { s: number; w: Window }[] {
  const data = new Float32Array(msg.buffer);
  for (const f of msg.frames) {
    const input = lane(f.s);
    if (!input) continue;
    const axes = init.sensors[f.s].axes;
    const channels = axes.map((_, c) => data.subarray(f.o + c * f.n, f.o + (c + 1) * f.n));
    input.next({ sensorId: init.sensors[f.s].id, t0: f.t0, rateHz: f.rateHz, unit: f.unit, axes, channels, seq: f.seq, discontinuity: f.d, shaftHz: f.sh });
  }
  const out = produced;
  produced = [];
  return out;
}

/** Window physics on the wire (physics-wire.ts); key c × sensors + s. */
const physicsWire = new PhysicsEncoder(physicsBands(init.model));

/** The wire form of `done`'s windows (samples or probabilities at `stride` floats each) and their physics' numbers. */
function wire(done: { s: number; w: Window }[], stride: number): { windows: WireWindow[]; physics?: ArrayBuffer } {
  const ps = physicsWire.stride;
  let phys: Float64Array<ArrayBuffer> | undefined;
  let used = 0;
  const windows = done.map(({ s, w }, i): WireWindow => {
    const c = init.sensors[s].axes.indexOf(w.channel);
    const out: WireWindow = { s, c, start: w.start, end: w.end, completedAt: w.completedAt, o: i * stride };
    if (w.physics) {
      phys ??= new Float64Array(done.length * ps);
      const x = physicsWire.encode(c * init.sensors.length + s, w.physics, phys, used);
      out.p = used;
      used += ps;
      if (x) out.x = x;
    }
    return out;
  });
  return { windows, physics: phys?.buffer };
}

function answerWithWindows(msg: Extract<ToDsp, { type: 'frames' }>): void {
  const done = runFrames(msg);
  const out = new Float32Array(done.length * len);
  done.forEach(({ w }, i) => normalizeData(w.data, init.model.normalization, out.subarray(i * len, (i + 1) * len)));
  const { windows, physics } = wire(done, len);
  const reply: FromDsp = { type: 'windows', id: msg.id, windows, buffer: out.buffer, physics };
  port!.postMessage(reply, physics ? [out.buffer, physics] : [out.buffer]);
}

/**
 * Fused mode's engine input, reused by every call: calls never overlap (messages are chained below) and
 * the engines are done with their input when run() resolves. A fresh batch × window array per call was
 * a zero-filled allocation plus garbage on the hot path (up to 512 KiB at batch 64).
 */
let input = new Float32Array(0);

/** Fused mode: the windows go through the engine in near-equal batches of at most batchSize. */
async function answerWithProbs(engine: InferenceEngine, msg: Extract<ToDsp, { type: 'frames' }>): Promise<void> {
  const done = runFrames(msg);
  const n = done.length;
  const probs = new Float32Array(n * classes);
  const { windows, physics } = wire(done, classes);
  const batches = Math.ceil(n / init.inference!.batchSize);
  let reply: FromDsp = { type: 'windows', id: msg.id, windows, buffer: probs.buffer, physics, probs: true };
  try {
    for (let b = 0, a = 0; b < batches; b++) {
      const end = Math.round(((b + 1) * n) / batches);
      if (input.length < (end - a) * len) input = new Float32Array(init.inference!.batchSize * len);
      const x = input.subarray(0, (end - a) * len);
      for (let i = a; i < end; i++) normalizeData(done[i].w.data, init.model.normalization, x.subarray((i - a) * len, (i - a + 1) * len));
      probs.set(await engine.run(x, end - a), a * classes);
      a = end;
    }
  } catch (e) {
    // These windows are lost, their physics' evidence and note included: the next ones carry theirs.
    physicsWire.reset();
    reply = { type: 'windows', id: msg.id, windows: [], buffer: new ArrayBuffer(0), probs: true, inferenceError: toWire(e), lostWindows: n };
  }
  port!.postMessage(reply, reply.physics ? [reply.buffer, reply.physics] : [reply.buffer]);
}

// Fused mode: messages are handled one after another (inference is async), so every sensor's results
// leave in order; frames that arrive while the engine loads wait for it.
let engine: Promise<InferenceEngine | null> = Promise.resolve(null);
let chain: Promise<void> = Promise.resolve();
if (init.inference) {
  const { modelDir, engine: choice, backend, intraOpNumThreads } = init.inference;
  engine = selectEngine({ modelDir, meta: init.model, engine: choice, backend, intraOpNumThreads }).then(
    ({ engine: e, fallbacks }) => {
      port.postMessage({ type: 'ready', engine: e.name, backend: e.backend, fallbacks } satisfies FromDsp);
      return e;
    },
    (e: unknown) => {
      port.postMessage({ type: 'init-error', error: toWire(e) } satisfies FromDsp);
      port.close();
      return null;
    },
  );
}

// While the engine loads (or before the first frames): the physics' first window costs no JIT time.
if (init.physics !== false) warmUpPhysics();

port.on('message', (msg: ToDsp) => {
  if (msg.type === 'stop') {
    chain = chain.then(() => engine).then((e) => e?.dispose()).finally(() => port.close());
    return;
  }
  if (msg.type === 'window') {
    // At once, not behind the engine calls queued in `chain`: the window asked for is already in the ring.
    answerWindow(msg);
    return;
  }
  if (!init.inference) {
    answerWithWindows(msg);
    return;
  }
  chain = chain.then(() => engine).then((e) => (e ? answerWithProbs(e, msg) : undefined)).catch((e: unknown) => {
    // A bug, not bad input: die loudly; the pool counts this worker's frames as lost and replaces it.
    console.error('drsnd DSP worker:', e);
    process.exit(70);
  });
});

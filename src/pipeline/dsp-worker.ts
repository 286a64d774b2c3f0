// DSP worker thread: runs the per-sensor signal pipeline (units → resample + band-limit → window →
// normalize) for the sensors the pool routes here, so the main thread keeps only I/O, validation,
// storage and publishing. The operators are the same pure RxJS ones the main-thread mode uses.
import { parentPort, workerData } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { toWire } from '../model/worker-protocol.js';
import type { Frame, Window } from '../types.js';
import type { DspInit, FromDsp, ToDsp, WireWindow } from './dsp-protocol.js';
import { normalizeData } from './normalize.js';
import { signalPipeline } from './sensor-pipeline.js';

const port = parentPort;
if (!port) throw new Error('src/pipeline/dsp-worker.ts runs only as a worker thread (see dsp-pool.ts)');
const init = workerData as DspInit;
const len = init.model.input.windowLength;
// Worker threads have their own time origin; completedAt must be on the main thread's clock.
const shift = performance.timeOrigin - init.mainTimeOrigin;
const now = (): number => performance.now() + shift;

/** Windows produced while handling the current message. */
let produced: { s: number; w: Window }[] = [];
const lanes = new Map<number, Subject<Frame> | null>();

function lane(s: number): Subject<Frame> | null {
  let input = lanes.get(s);
  if (input !== undefined) return input;
  const sensor = init.sensors[s];
  input = new Subject<Frame>();
  lanes.set(s, input);
  try {
    input.pipe(signalPipeline({ sensor, model: init.model, hop: init.hop, now })).subscribe({
      next: (w) => produced.push({ s, w }),
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

let messages = 0;
port.on('message', (msg: ToDsp) => {
  if (msg.type === 'stop') {
    port.close();
    return;
  }
  if (++messages === init.fault?.crashOnMessage) process.exit(70);
  const data = new Float32Array(msg.buffer);
  for (const f of msg.frames) {
    const input = lane(f.s);
    if (!input) continue;
    const axes = init.sensors[f.s].axes;
    const channels = axes.map((_, c) => data.subarray(f.o + c * f.n, f.o + (c + 1) * f.n));
    input.next({ sensorId: init.sensors[f.s].id, t0: f.t0, rateHz: f.rateHz, unit: f.unit, axes, channels, seq: f.seq, discontinuity: f.d });
  }
  const out = new Float32Array(produced.length * len);
  const windows: WireWindow[] = produced.map(({ s, w }, i) => {
    normalizeData(w.data, init.model.normalization, out.subarray(i * len, (i + 1) * len));
    return { s, c: init.sensors[s].axes.indexOf(w.channel), start: w.start, end: w.end, completedAt: w.completedAt, o: i * len };
  });
  produced = [];
  port.postMessage({ type: 'windows', id: msg.id, windows, buffer: out.buffer } satisfies FromDsp, [out.buffer]);
});

// Messages between the DSP pool (main thread) and its workers. Samples travel packed in one transferred
// buffer per message in each direction: a postMessage costs ~30 µs whatever it carries, so the frames
// of all sensors gathered over a few ms (dsp-pool.ts FLUSH_MS) share one message, as do the windows back.
// In fused mode (DspInit.inference) the worker also runs the model and sends back probabilities instead.
import type { BackendChoice, EngineChoice } from '../model/engines/engine.js';
import type { Handshake, WireError } from './worker-protocol.js';
import type { WirePhysicsRare } from './physics-wire.js';
import type { ModelMetadata, SensorMeta } from '../types.js';

/** Fused mode: the worker loads this engine and classifies its windows itself. */
export interface DspInference {
  modelDir: string;
  engine: EngineChoice;
  backend: BackendChoice;
  intraOpNumThreads: number;
  /** Most windows per engine call; a message's windows are split into near-equal batches up to this. */
  batchSize: number;
}

export interface DspInit {
  sensors: SensorMeta[];
  model: ModelMetadata;
  hop: number | null;
  /** Physics on every window (settings pipeline.physics); absent = on. */
  physics?: boolean;
  /** performance.timeOrigin of the main thread: windows' completedAt are sent on its clock. */
  mainTimeOrigin: number;
  inference?: DspInference;
  /** Recent raw windows kept per channel, so an alert's window can be asked for (alert snapshots); 0: none. */
  ringWindows?: number;
}

/** One frame; its channels are `sensors[s].axes.length` runs of `n` floats from float offset `o`. */
export interface WireFrame {
  s: number;
  t0: number;
  rateHz: number;
  unit: SensorMeta['unit'];
  n: number;
  o: number;
  d: boolean;
  seq?: number;
  /** Frame.shaftHz */
  sh?: number;
}

/**
 * One window: windowLength normalized floats at float offset `o`, or in fused mode its class
 * probabilities at `o`. `c` indexes the sensor's axes.
 */
export interface WireWindow {
  s: number;
  c: number;
  start: number;
  end: number;
  completedAt: number;
  o: number;
  /**
   * Window.physics: its numbers at float64 offset `p` of the message's `physics` buffer, the rest in
   * `x` when it changed (physics-wire.ts). Absent: the window has no physics.
   */
  p?: number;
  x?: WirePhysicsRare;
}

export type ToDsp =
  | { type: 'frames'; id: number; frames: WireFrame[]; buffer: ArrayBuffer }
  /** Asks for the raw window of sensor `s`, axis `c`, starting at `start` (from the ring). */
  | { type: 'window'; id: number; s: number; c: number; start: number }
  | { type: 'stop' };

export type FromDsp =
  /** The answer to frames message `id`. Fused mode: `probs` set, `inferenceError` when the engine failed
   *  (those windows are lost). */
  | { type: 'windows'; id: number; windows: WireWindow[]; buffer: ArrayBuffer; physics?: ArrayBuffer; probs?: boolean; inferenceError?: WireError; lostWindows?: number }
  /** Sensor `s`'s pipeline failed (it takes no more frames); the main side errors that sensor's stream. */
  | { type: 'error'; s: number; error: WireError }
  /** The window asked for (model unit, model rate, before normalization), or null when the ring no longer has it. */
  | { type: 'window'; id: number; buffer: ArrayBuffer | null; end: number }
  /** Fused mode: the engine is loaded (or could not be). */
  | Handshake;

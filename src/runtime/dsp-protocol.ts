// Messages between the DSP pool (main thread) and its workers. Samples travel packed in one transferred
// buffer per message in each direction: a postMessage costs ~30 µs whatever it carries, so the frames
// of all sensors gathered over a few ms (dsp-pool.ts FLUSH_MS) share one message, as do the windows back.
// In fused mode (DspInit.inference) the worker also runs the model and sends back probabilities instead.
import type { BackendChoice, EngineChoice, EngineFallback } from '../model/engines/engine.js';
import type { WireError } from './worker-protocol.js';
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
  /** performance.timeOrigin of the main thread: windows' completedAt are sent on its clock. */
  mainTimeOrigin: number;
  inference?: DspInference;
  /** Tests only: on its `crashOnMessage`-th frames message the worker exits abruptly (as on a native
   *  crash); on its `hangOnMessage`-th it blocks forever (as a wedged native call would); on its
   *  `failInferenceOnMessage`-th (fused mode) the engine call fails. */
  fault?: { crashOnMessage?: number; hangOnMessage?: number; failInferenceOnMessage?: number };
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
}

export type ToDsp =
  | { type: 'frames'; id: number; frames: WireFrame[]; buffer: ArrayBuffer }
  | { type: 'stop' };

export type FromDsp =
  /** The answer to frames message `id`. Fused mode: `probs` set, `inferenceError` when the engine failed
   *  (those windows are lost). */
  | { type: 'windows'; id: number; windows: WireWindow[]; buffer: ArrayBuffer; probs?: boolean; inferenceError?: WireError; lostWindows?: number }
  /** Sensor `s`'s pipeline failed (it takes no more frames); the main side errors that sensor's stream. */
  | { type: 'error'; s: number; error: WireError }
  /** Fused mode: the engine is loaded (or could not be). */
  | { type: 'ready'; engine: string; backend: string; fallbacks: EngineFallback[] }
  | { type: 'init-error'; error: WireError };

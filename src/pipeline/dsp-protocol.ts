// Messages between the DSP pool (main thread) and its workers. Samples travel packed in one transferred
// buffer per message in each direction: a postMessage costs ~30 µs whatever it carries, so the frames
// of all sensors gathered over a few ms (dsp-pool.ts FLUSH_MS) share one message, as do the windows back.
import type { ModelMetadata, SensorMeta } from '../types.js';

export interface DspInit {
  sensors: SensorMeta[];
  model: ModelMetadata;
  hop: number | null;
  /** performance.timeOrigin of the main thread: windows' completedAt are sent on its clock. */
  mainTimeOrigin: number;
  /** Tests only: the worker exits abruptly (as on a native crash) on its `crashOnMessage`-th frames message. */
  fault?: { crashOnMessage: number };
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

/** One normalized window of windowLength floats at float offset `o`; `c` indexes the sensor's axes. */
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
  | { type: 'windows'; id: number; windows: WireWindow[]; buffer: ArrayBuffer }
  /** Sensor `s`'s pipeline failed (it takes no more frames); the main side errors that sensor's stream. */
  | { type: 'error'; s: number; error: { message: string; code?: string; details?: string[] } };

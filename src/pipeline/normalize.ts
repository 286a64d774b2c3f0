// The model was trained on normalized windows (drsn.json `normalization`, the same formula as the
// trainer's src/model/py/drsn/data.py); the daemon applies exactly that, never its own idea.
import { type OperatorFunction, map } from 'rxjs';
import type { Normalization, Window } from '../types.js';

/**
 * (x − mean) / (std + ε) per window (population std, as numpy), or (x − mean) / std globally, into `out`
 * (a new array by default; the DSP worker writes straight into the buffer it sends, saving a copy).
 */
export function normalizeData(x: Float32Array, n: Normalization, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(x.length);
  if (n.method === 'none') {
    y.set(x);
    return y;
  }
  let mean: number;
  let scale: number;
  if (n.method === 'global') {
    mean = n.mean;
    scale = 1 / n.std;
  } else {
    // Sums in double precision: float32 accumulation loses digits on 2048-sample windows with an offset.
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    mean = x.length > 0 ? s / x.length : 0;
    let v = 0;
    for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
    const std = x.length > 0 ? Math.sqrt(v / x.length) : 0;
    scale = 1 / (std + n.epsilon);
  }
  for (let i = 0; i < x.length; i++) y[i] = (x[i] - mean) * scale;
  return y;
}

export function normalizeWindows(n: Normalization): OperatorFunction<Window, Window> {
  return map((w) => ({ ...w, data: normalizeData(w.data, n) }));
}

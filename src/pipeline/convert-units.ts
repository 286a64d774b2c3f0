// Sensors report g, m/s² or mg; the model was trained in one unit (drsn.json input.unit). Mixing them up
// is a classic field error (REFERENCE.md), so the conversion is explicit and exact.
import { type OperatorFunction, map } from 'rxjs';
import type { Frame, Unit } from '../types.js';

/** Standard gravity, exact by definition (CGPM 1901, ISO 80000-3). */
export const STANDARD_GRAVITY = 9.80665;

const IN_G: Record<Unit, number> = { g: 1, 'm/s2': 1 / STANDARD_GRAVITY, mg: 1e-3 };

/** Multiply a value in `from` by this to get it in `to`. */
export function unitFactor(from: Unit, to: Unit): number {
  return from === to ? 1 : IN_G[from] / IN_G[to];
}

export function convertUnit(x: Float32Array, from: Unit, to: Unit): Float32Array {
  const k = unitFactor(from, to);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * k;
  return y;
}

/** Frames in any unit → frames in `to` (new arrays; frames already in `to` pass through untouched). */
export function convertUnits(to: Unit): OperatorFunction<Frame, Frame> {
  return map((f) => (f.unit === to ? f : { ...f, unit: to, channels: f.channels.map((c) => convertUnit(c, f.unit, to)) }));
}

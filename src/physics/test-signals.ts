// Generated signals of broken measurements (issue 18: each was diagnosed Normal with confidence 1.000
// before the sensor checks). Used by the tests and by `drsnd eval`'s sensor-fault table.
import { mulberry32 } from '../data/bearing.js';
import type { SensorFaultKind } from './types.js';

export interface FaultSignal {
  name: string;
  /** The finding the checks must report. */
  expect: SensorFaultKind;
  /** Samples in g at `rateHz`. */
  generate(rateHz: number, seconds: number): Float32Array;
}

function noise(seed: number): () => number {
  const r = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const make = (rateHz: number, seconds: number, f: (t: number, i: number) => number): Float32Array =>
  Float32Array.from({ length: Math.round(rateHz * seconds) }, (_, i) => f(i / rateHz, i));

export const FAULT_SIGNALS: readonly FaultSignal[] = [
  { name: '50 Hz sine (mains pick-up)', expect: 'mains', generate: (r, s) => make(r, s, (t) => 0.3 * Math.sin(2 * Math.PI * 50 * t)) },
  {
    name: '60 Hz mains with harmonics and a little noise', expect: 'mains',
    generate: (r, s) => { const n = noise(11); return make(r, s, (t) => 0.2 * Math.sin(2 * Math.PI * 60 * t) + 0.05 * Math.sin(2 * Math.PI * 180 * t) + 0.005 * n()); },
  },
  {
    name: 'clipped square wave (saturated sensor)', expect: 'clipping',
    generate: (r, s) => make(r, s, (t) => Math.max(-1, Math.min(1, 3 * Math.sin(2 * Math.PI * 37 * t)))),
  },
  {
    name: 'noise clipped at ±2 sigma (ADC range too small)', expect: 'clipping',
    generate: (r, s) => { const n = noise(12); return make(r, s, () => Math.max(-0.2, Math.min(0.2, 0.1 * n()))); },
  },
  {
    name: 'DC drift plus noise (loose cable)', expect: 'dc_drift',
    generate: (r, s) => { const n = noise(13); return make(r, s, (t) => 0.4 * t + 0.02 * n()); },
  },
  {
    name: 'offset jump (bias shift)', expect: 'offset_jump',
    generate: (r, s) => { const n = noise(14); return make(r, s, (t) => (Math.floor(t / 0.5 + 0.9) % 2 === 1 ? 0.5 : 0) + 0.02 * n()); },
  },
  { name: 'flatline (stuck sensor)', expect: 'flatline', generate: (r, s) => make(r, s, () => 0.0123) },
  {
    name: 'isolated spikes on noise (EMI, loose connector)', expect: 'spikes',
    generate: (r, s) => { const n = noise(15); const every = Math.round(r * 0.05); return make(r, s, (_, i) => 0.02 * n() + (i % every === every >> 1 ? 1.5 : 0)); },
  },
];

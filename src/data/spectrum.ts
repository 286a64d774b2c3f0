// Minimal spectral tools for checking bearing signals (simulator tests, data sanity checks):
// a radix-2 FFT and the classic envelope spectrum (band-pass around a resonance, demodulate, FFT),
// after Randall & Antoni, "Rolling element bearing diagnostics - A tutorial", MSSP 25 (2011).
import { complexFft } from '../physics/fft.js';

/** In-place radix-2 FFT (the physics' planned one, src/physics/fft.ts); `inverse` also scales by 1/n. Length must be a power of two. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new RangeError(`fft length ${n} is not a power of two`);
  complexFft(n).transform(re, im, inverse);
  if (inverse) for (let i = 0; i < n; i++) { re[i] /= n; im[i] /= n; }
}

export interface Spectrum {
  /** Bin spacing in Hz. */
  df: number;
  /** Single-sided magnitudes, bins 0..n/2. */
  mag: Float64Array;
}

function largestPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** Magnitude spectrum of the first power-of-two samples of x (mean removed, Hann window). */
export function magnitudeSpectrum(x: ArrayLike<number>, rateHz: number): Spectrum {
  const n = largestPow2(x.length);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  for (let i = 0; i < n; i++) re[i] = (x[i] - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  fft(re, im);
  const mag = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) mag[k] = Math.hypot(re[k], im[k]) / n;
  return { df: rateHz / n, mag };
}

/**
 * Envelope spectrum: keep [lowHz, highHz] only, take the analytic signal's magnitude (the envelope
 * of the resonance ringing), and return the envelope's magnitude spectrum. Impacts repeating at a
 * defect frequency show up as a line there even when the raw spectrum shows only the resonance.
 */
export function envelopeSpectrum(x: ArrayLike<number>, rateHz: number, lowHz: number, highHz: number): Spectrum {
  const n = largestPow2(x.length);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = x[i];
  fft(re, im);
  const df = rateHz / n;
  for (let k = 0; k < n; k++) {
    const f = k * df;
    // Positive in-band frequencies doubled, everything else zeroed: band-pass + Hilbert in one step.
    const keep = k > 0 && k < n / 2 && f >= lowHz && f <= highHz;
    re[k] = keep ? 2 * re[k] : 0;
    im[k] = keep ? 2 * im[k] : 0;
  }
  fft(re, im, true);
  const env = new Float64Array(n);
  for (let i = 0; i < n; i++) env[i] = Math.hypot(re[i], im[i]);
  return magnitudeSpectrum(env, rateHz);
}

/** Largest magnitude within ±tolerance (relative) of a frequency. */
export function peakNear(s: Spectrum, hz: number, tolerance = 0.01): number {
  const lo = Math.max(0, Math.floor((hz * (1 - tolerance)) / s.df));
  const hi = Math.min(s.mag.length - 1, Math.ceil((hz * (1 + tolerance)) / s.df));
  let best = 0;
  for (let k = lo; k <= hi; k++) best = Math.max(best, s.mag[k]);
  return best;
}

/** Median magnitude over [lowHz, highHz]: the background a line must stand out from. */
export function medianIn(s: Spectrum, lowHz: number, highHz: number): number {
  const vals = Array.from(s.mag.subarray(Math.ceil(lowHz / s.df), Math.floor(highHz / s.df) + 1)).sort((a, b) => a - b);
  return vals[Math.floor(vals.length / 2)] ?? 0;
}

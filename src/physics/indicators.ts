// Condition indicators of one window, before normalization (which would erase every level): RMS and
// peak acceleration, crest factor, kurtosis, and RMS velocity in the ISO 10816/20816 band, 10-1000 Hz,
// integrated in the frequency domain (V(f) = A(f) / 2πf) so no time-domain integrator drifts.
import { hann, realFft } from './fft.js';
import { isoZone } from './machine.js';
import { nativePhysics } from './native-physics.js';
import type { Indicators } from './types.js';

/** Standard gravity in mm/s², exact (CGPM 1901). */
const G_MM_S2 = 9806.65;
export const VELOCITY_BAND_HZ: readonly [number, number] = [10, 1000];

/** One-sided power spectrum of a window: power[k] is the mean-square of the signal in bin k. */
export interface PowerSpectrum {
  df: number;
  power: Float64Array;
  /** Σ power[k] for k ≥ 1 (the AC power), where the producer summed it already. */
  ac?: number;
}

export class WindowAnalyzer {
  private readonly n: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly x: Float64Array;
  /** Reused for every window: read it before the next call. */
  readonly spectrum: PowerSpectrum;
  private readonly norm: number;
  /** Per-bin (mm/s per g)² of the velocity band (velocityWeights), computed once. */
  private readonly velocityW2: Float64Array;
  private readonly hann: Float64Array;
  /** The native loop's results (native/physics.c windowStats). */
  private readonly stats = new Float64Array(6);

  /** `length`: window length (the spectrum uses its largest power-of-two head), `rateHz`: its sample rate. */
  constructor(length: number, private readonly rateHz: number) {
    const n = 2 ** Math.floor(Math.log2(length));
    this.n = n;
    this.re = new Float64Array(n / 2 + 1);
    this.im = new Float64Array(n / 2 + 1);
    this.x = new Float64Array(n);
    const w = hann(n);
    this.hann = w;
    let sw2 = 0;
    for (let i = 0; i < n; i++) sw2 += w[i] * w[i];
    // Parseval with a window: Σ|X_k|² = n·Σ(w·x)² ≈ n·Σw²·ms(x); one-sided bins count twice.
    this.norm = 2 / (n * sw2);
    this.spectrum = { df: rateHz / n, power: new Float64Array(n / 2 + 1) };
    this.velocityW2 = velocityWeights(this.spectrum.df, n / 2 + 1, rateHz);
  }

  /** Indicators of `data` (values × toG = g); fills `spectrum` (in g²) as a side product. */
  analyse(data: Float32Array, toG: number, zones: readonly [number, number, number] | null): Indicators {
    const c = nativePhysics();
    if (c && data.length >= this.n) {
      // The same arithmetic in one C call (native/physics.c): no per-window work left in JavaScript.
      const st = this.stats;
      c.windowStats(data, toG, this.hann, this.norm, this.velocityW2, this.spectrum.power, st);
      this.spectrum.ac = st[5];
      return indicatorsOf(st[0], st[1], st[2], st[3], Math.sqrt(st[4]), zones);
    }
    this.spectrum.ac = undefined;
    const n = this.n;
    const len = data.length;
    const x = this.x;
    // Two passes: sum and extremes, then the central moments (the peak is the farther extreme from the
    // mean, exactly the largest |v| below). The second loop has no branch: half the time of one that
    // tracked the peak per sample, and these loops run on every window.
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < len; i++) {
      const d = data[i];
      sum += d;
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    const mean = sum / len;
    const head = Math.min(n, len);
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < head; i++) {
      const v = (data[i] - mean) * toG;
      x[i] = v;
      const v2 = v * v;
      m2 += v2;
      m4 += v2 * v2;
    }
    for (let i = head; i < len; i++) {
      const v = (data[i] - mean) * toG;
      const v2 = v * v;
      m2 += v2;
      m4 += v2 * v2;
    }
    const peak = len > 0 ? Math.max(Math.abs((hi - mean) * toG), Math.abs((lo - mean) * toG)) : 0;
    m2 /= len;
    m4 /= len;
    const rms = Math.sqrt(m2);
    realFft(n).forward(x, this.re, this.im, hann(n));
    const { power, df } = this.spectrum;
    for (let k = 0; k <= n / 2; k++) power[k] = (this.re[k] * this.re[k] + this.im[k] * this.im[k]) * this.norm;
    power[0] /= 2;
    power[n / 2] /= 2;
    const w2 = this.velocityW2;
    let vms = 0;
    for (let k = 1; k < w2.length; k++) vms += power[k] * w2[k];
    return indicatorsOf(rms, peak, m2, m4, Math.sqrt(vms), zones);
  }
}

function indicatorsOf(rms: number, peak: number, m2: number, m4: number, velocity: number, zones: readonly [number, number, number] | null): Indicators {
  return {
    rmsG: rms,
    peakG: peak,
    crest: rms > 0 ? peak / rms : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0,
    velocityMmS: velocity,
    isoZone: isoZone(velocity, zones),
  };
}

/**
 * Edges of the octave bands whose levels describe a window's spectral shape (WindowPhysics.bandsDb,
 * the on-site baseline's spectral statistics: docs/baseline.md): 10·2^k Hz up to `topHz`, the last band
 * ending at `topHz` (merged into the one below when it would be under half an octave).
 */
export function octaveBandEdges(topHz: number): number[] {
  const edges = [10];
  while (edges[edges.length - 1] * 2 < topHz) edges.push(edges[edges.length - 1] * 2);
  if (topHz / edges[edges.length - 1] < Math.SQRT2 && edges.length > 1) edges.pop();
  edges.push(topHz);
  return edges;
}

/**
 * The octave bands of windows at the model's rate: up to 0.4 × the rate, below every shipped model's
 * band limit (CWRU's 4.8 kHz at 12 kHz), where the resampler's anti-aliasing filter has not yet taken
 * the level down.
 */
export function bandEdgesFor(modelRateHz: number): number[] {
  return octaveBandEdges(0.4 * modelRateHz);
}

/**
 * Level of each band (edges from octaveBandEdges) of a power spectrum in g², dB re 1 g². An empty
 * band (no energy, or no bin in it) is -200 dB, not -Infinity: the baseline's statistics stay finite.
 */
export function bandLevelsDb(s: PowerSpectrum, edges: readonly number[]): number[] {
  const out = new Array<number>(Math.max(0, edges.length - 1));
  for (let b = 0; b + 1 < edges.length; b++) {
    const lo = Math.max(1, Math.ceil(edges[b] / s.df));
    const hi = Math.min(s.power.length - 1, Math.ceil(edges[b + 1] / s.df) - 1);
    let ms = 0;
    for (let k = lo; k <= hi; k++) ms += s.power[k];
    out[b] = ms > 1e-20 ? 10 * Math.log10(ms) : -200;
  }
  return out;
}

/**
 * (mm/s per g)² of each bin of a `bins`-bin power spectrum in VELOCITY_BAND_HZ (0 outside, and the
 * array ends at the band's top bin): V = A / 2πf.
 */
function velocityWeights(df: number, bins: number, rateHz: number): Float64Array {
  const lo = Math.max(1, Math.ceil(VELOCITY_BAND_HZ[0] / df));
  const hi = Math.min(bins - 1, Math.floor(Math.min(VELOCITY_BAND_HZ[1], rateHz / 2) / df));
  const w2 = new Float64Array(Math.max(lo, hi + 1));
  for (let k = lo; k <= hi; k++) {
    const w = G_MM_S2 / (2 * Math.PI * k * df);
    w2[k] = w * w;
  }
  return w2;
}

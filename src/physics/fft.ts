// Planned radix-2 FFTs for the per-window and per-second physics analysis: twiddles and bit reversal
// computed once per size (the hot path recomputing cos/sin per butterfly cost ~2x), buffers reused.
// The real transform runs as a half-size complex FFT plus a split step (Press et al., Numerical
// Recipes 3rd ed., §12.3.2), as src/dsp/fft-filter.ts does for the band-limit filter.
//
// Where `npm run build` compiled the native addon, the same algorithms run in C (native/fft.c), several
// times faster: the per-window 2048-point transform's time in each is in docs/physics.md "Cost"
// (`node dist/bench/physics-parts.js`, with DRSND_NATIVE_FFT=0 for this file).
// This file stays the reference and the fallback; DRSND_NATIVE_FFT=0 keeps to it, and to the TypeScript
// per-frame and per-window loops (native-physics.ts); tests compare both.
import { loadNativeAddon } from '../model/engines/native-addon.js';

interface NativeFft {
  rfft(x: Float64Array, re: Float64Array, im: Float64Array, w?: Float64Array): void;
  cfft(re: Float64Array, im: Float64Array, inverse: boolean): void;
}

let native: NativeFft | null | undefined;

/** The addon's FFTs, or null where it is not built (or built before it had them, or DRSND_NATIVE_FFT=0). */
export function nativeFft(): NativeFft | null {
  if (native === undefined) {
    native = null;
    if (process.env.DRSND_NATIVE_FFT !== '0') {
      try {
        const addon = loadNativeAddon();
        if (addon.rfft && addon.cfft) native = addon as NativeFft;
      } catch {
        // Not built here: the TypeScript transforms below.
      }
    }
  }
  return native;
}

/** For tests: use (true) or bypass (false) the native FFTs in this thread. */
export function useNativeFft(on: boolean): void {
  native = undefined;
  if (!on) native = null;
  else nativeFft();
}

export class ComplexFft {
  readonly n: number;
  private readonly rev: Int32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    if (n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`FFT size ${n} is not a power of two`);
    this.n = n;
    const bits = Math.log2(n);
    this.rev = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((k >> b) & 1) << (bits - 1 - b);
      this.rev[k] = r;
    }
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
  }

  /** In place; `inverse` uses e^{+i} and does NOT scale by 1/n. */
  transform(re: Float64Array, im: Float64Array, inverse = false): void {
    const n = this.n;
    const c = nativeFft();
    if (c && re.length === n && im.length === n) {
      c.cfft(re, im, inverse);
      return;
    }
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (i < j) {
        const tr = re[i]; re[i] = re[j]; re[j] = tr;
        const ti = im[i]; im[i] = im[j]; im[j] = ti;
      }
    }
    const s = inverse ? 1 : -1;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let i = 0; i < n; i += len) {
        for (let k = 0, t = 0; k < half; k++, t += step) {
          const wr = this.cos[t];
          const wi = s * this.sin[t];
          const a = i + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/** FFT of n real samples → bins 0..n/2 (unscaled: a sine of amplitude A gives |X| = A·n/2). */
export class RealFft {
  readonly n: number;
  private readonly half: ComplexFft;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(n: number) {
    if (n < 4 || (n & (n - 1)) !== 0) throw new RangeError(`real FFT size ${n} must be a power of two ≥ 4`);
    this.n = n;
    const m = n / 2;
    this.half = new ComplexFft(m);
    this.wr = new Float64Array(m + 1);
    this.wi = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.wr[k] = Math.cos((2 * Math.PI * k) / n);
      this.wi[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    this.zr = new Float64Array(m);
    this.zi = new Float64Array(m);
  }

  /**
   * x[i]·w[i] (w optional, same length) → re, im of length n/2 + 1. `x` may be shorter than n: the
   * rest is zero.
   */
  forward(x: ArrayLike<number>, re: Float64Array, im: Float64Array, w?: ArrayLike<number>, offset = 0): void {
    const m = this.n / 2;
    const c = nativeFft();
    if (c && x instanceof Float64Array && x.length - offset >= this.n && (w === undefined || w instanceof Float64Array)) {
      c.rfft(offset === 0 && x.length === this.n ? x : x.subarray(offset, offset + this.n), re, im, w);
      return;
    }
    const zr = this.zr;
    const zi = this.zi;
    const len = Math.min(this.n, x.length - offset);
    for (let k = 0; k < m; k++) {
      const a = 2 * k;
      const b = a + 1;
      zr[k] = a < len ? (w ? x[offset + a] * w[a] : x[offset + a]) : 0;
      zi[k] = b < len ? (w ? x[offset + b] * w[b] : x[offset + b]) : 0;
    }
    this.half.transform(zr, zi);
    for (let k = 0; k <= m; k++) {
      const a = k & (m - 1);
      const b = (m - k) & (m - 1);
      // Even and odd samples' spectra from Z[k] and conj(Z[m − k]).
      const er = 0.5 * (zr[a] + zr[b]);
      const ei = 0.5 * (zi[a] - zi[b]);
      const or = 0.5 * (zi[a] + zi[b]);
      const oi = -0.5 * (zr[a] - zr[b]);
      re[k] = er + this.wr[k] * or - this.wi[k] * oi;
      im[k] = ei + this.wr[k] * oi + this.wi[k] * or;
    }
  }
}

const plans = new Map<number, ComplexFft>();
const realPlans = new Map<number, RealFft>();

/** One plan per size per thread (the plans hold scratch buffers: calls must not interleave, and JS cannot). */
export function complexFft(n: number): ComplexFft {
  let p = plans.get(n);
  if (!p) plans.set(n, (p = new ComplexFft(n)));
  return p;
}

export function realFft(n: number): RealFft {
  let p = realPlans.get(n);
  if (!p) realPlans.set(n, (p = new RealFft(n)));
  return p;
}

const hanns = new Map<number, Float64Array>();

/** Periodic Hann window of length n (cached). */
export function hann(n: number): Float64Array {
  let w = hanns.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hanns.set(n, w);
  }
  return w;
}

export function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

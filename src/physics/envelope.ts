// Squared-envelope spectrum of the last ~1 s of a sensor (Randall & Antoni, "Rolling element bearing
// diagnostics - A tutorial", MSSP 25 (2011), §3): band-pass around a structural resonance, demodulate,
// take the spectrum of |analytic signal|². Impacts repeating at a defect frequency give lines there
// even where the raw spectrum shows only the resonance.
//
// Everything comes from ONE real FFT of the buffer: a band's complex envelope is the inverse FFT of
// that band's bins shifted to 0 Hz (an ideal band-pass, decimated for free), so choosing the band by
// spectral kurtosis over a dyadic filter bank (a kurtogram, after Antoni, MSSP 21 (2007), with ideal
// filters and 1/2-shifted bands instead of the 1/3-tree) costs a few small inverse FFTs per level.
import { complexFft, hann, nextPow2, realFft } from './fft.js';

export interface EnvelopeResult {
  bandHz: [number, number];
  /**
   * Spectral kurtosis of the band's envelope in this buffer (0 for stationary Gaussian noise, −1 for a
   * steady tone, large for repeated impacts): computed from the same complex envelope, so it is free.
   */
  sk: number;
  /** |squared-envelope spectrum|, bins 0..length−1 at `df` Hz (the analyzer's scratch: valid until its next call). */
  ses: Float64Array;
  df: number;
}

export interface SpectrumResult {
  /** Hann-windowed amplitude spectrum of the buffer, bins 0..n/2 at df. */
  amp: Float64Array;
  df: number;
}

/**
 * One buffer's transform, shared by the speed estimate and the envelope: call `spectrum()` first.
 * Holds scratch buffers sized for `n`: one instance per buffer length.
 */
export class EnvelopeAnalyzer {
  readonly n: number;
  readonly df: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly amp: Float64Array;
  private zr = new Float64Array(0);
  private zi = new Float64Array(0);
  private e = new Float64Array(0);
  // The envelope spectrum's transform and result, grown to the largest band and reused: three new
  // arrays per analysis (up to ~70 KiB) were most of the physics' allocations in the DSP workers.
  private sre = new Float64Array(0);
  private sim = new Float64Array(0);
  private ses = new Float64Array(0);

  constructor(n: number, private readonly rateHz: number) {
    if ((n & (n - 1)) !== 0) throw new RangeError(`envelope buffer ${n} is not a power of two`);
    this.n = n;
    this.df = rateHz / n;
    this.re = new Float64Array(n / 2 + 1);
    this.im = new Float64Array(n / 2 + 1);
    this.amp = new Float64Array(n / 2 + 1);
  }

  /**
   * Transforms x (n samples, oldest first, mean removed or not) and returns its amplitude spectrum up to
   * bin `ampBins` (all by default; the envelope needs none, the speed estimate only the low bins).
   */
  spectrum(x: ArrayLike<number>, ampBins = Infinity): SpectrumResult {
    const n = this.n;
    realFft(n).forward(x, this.re, this.im);
    this.re[0] = 0; // the mean carries no bearing information and would leak into the lowest bins
    this.im[0] = 0;
    // Hann applied in the frequency domain (X[k]/2 − (X[k−1] + X[k+1])/4): the envelope below needs the
    // unwindowed bins, the amplitude spectrum the windowed ones, and one FFT serves both.
    const re = this.re;
    const im = this.im;
    const half = n / 2;
    const top = Math.min(half, ampBins);
    for (let k = 0; k <= top; k++) {
      const km = k > 0 ? k - 1 : 1;
      const kp = k < half ? k + 1 : half - 1;
      const r = 0.5 * re[k] - 0.25 * (re[km] + re[kp]);
      const i = 0.5 * im[k] - 0.25 * (im[km] + im[kp]);
      this.amp[k] = (2 / n) * Math.sqrt(r * r + i * i);
    }
    return { amp: this.amp.subarray(0, top + 1), df: this.df };
  }

  /** Spectral kurtosis of band [k1, k2) (bins). */
  private bandKurtosis(k1: number, k2: number): number {
    const m = nextPow2(k2 - k1);
    this.complexEnvelope(k1, k2, m);
    return this.envelopeKurtosis(m);
  }

  /** Kurtosis − 2 of the complex envelope in zr/zi (length m), over its middle 80 % (ideal filters ring at the ends). */
  private envelopeKurtosis(m: number): number {
    const a = Math.floor(0.1 * m);
    const b = m - a;
    let s2 = 0;
    let s4 = 0;
    for (let i = a; i < b; i++) {
      const p = this.zr[i] * this.zr[i] + this.zi[i] * this.zi[i];
      s2 += p;
      s4 += p * p;
    }
    const cnt = b - a;
    return s2 > 0 ? (s4 / cnt) / ((s2 / cnt) ** 2) - 2 : 0;
  }

  /** Band [k1, k2) shifted to 0 Hz and inverse-transformed at size m into zr/zi. */
  private complexEnvelope(k1: number, k2: number, m: number): void {
    if (this.zr.length < m) {
      this.zr = new Float64Array(m);
      this.zi = new Float64Array(m);
    }
    const zr = this.zr.subarray(0, m);
    const zi = this.zi.subarray(0, m);
    zr.fill(0);
    zi.fill(0);
    for (let k = k1; k < k2; k++) {
      zr[k - k1] = this.re[k];
      zi[k - k1] = this.im[k];
    }
    complexFft(m).transform(zr, zi, true);
  }

  /**
   * The band with the largest spectral kurtosis among dyadic bands (and their half-shifted
   * neighbours) at least `minWidthHz` wide, between `loHz` and the top of the spectrum.
   */
  kurtogram(minWidthHz: number, loHz = 0): { bandHz: [number, number]; sk: number } {
    const half = this.n / 2;
    let best = { k1: 1, k2: half, sk: -Infinity };
    for (let level = 1; ; level++) {
      const width = half >> level;
      if (width * this.df < minWidthHz || width < 8) break;
      for (let start = 0; start + width <= half; start += width >> 1) {
        const k1 = Math.max(1, start);
        if (k1 * this.df < loHz) continue;
        const sk = this.bandKurtosis(k1, start + width);
        if (sk > best.sk) best = { k1, k2: start + width, sk };
      }
    }
    if (!Number.isFinite(best.sk)) best = { k1: 1, k2: half, sk: this.bandKurtosis(1, half) };
    return { bandHz: [best.k1 * this.df, best.k2 * this.df], sk: best.sk };
  }

  /** Squared-envelope spectrum of band [loHz, hiHz] up to maxHz (after spectrum()). */
  squaredEnvelope(bandHz: [number, number], maxHz: number): EnvelopeResult {
    const half = this.n / 2;
    const k1 = Math.max(1, Math.round(bandHz[0] / this.df));
    const k2 = Math.min(half, Math.max(k1 + 2, Math.round(bandHz[1] / this.df)));
    // |z|² holds frequencies up to the band's width: twice the band's bins avoid aliasing them.
    const m = nextPow2(2 * (k2 - k1));
    this.complexEnvelope(k1, k2, m);
    const sk = this.envelopeKurtosis(m);
    if (this.e.length < m) this.e = new Float64Array(m);
    const e = this.e.subarray(0, m);
    let mean = 0;
    for (let i = 0; i < m; i++) {
      e[i] = this.zr[i] * this.zr[i] + this.zi[i] * this.zi[i];
      mean += e[i];
    }
    mean /= m;
    const w = hann(m);
    for (let i = 0; i < m; i++) e[i] = (e[i] - mean) * w[i];
    if (this.sre.length < m / 2 + 1) {
      this.sre = new Float64Array(m / 2 + 1);
      this.sim = new Float64Array(m / 2 + 1);
      this.ses = new Float64Array(m / 2 + 1);
    }
    const re = this.sre.subarray(0, m / 2 + 1);
    const im = this.sim.subarray(0, m / 2 + 1);
    realFft(m).forward(e, re, im);
    // The envelope has m samples over the buffer's duration: its bins are `df` apart too.
    const bins = Math.min(m / 2 + 1, Math.ceil(maxHz / this.df) + 1);
    const ses = this.ses.subarray(0, bins);
    for (let k = 0; k < bins; k++) ses[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
    return { bandHz: [k1 * this.df, k2 * this.df], sk, ses, df: this.df };
  }
}

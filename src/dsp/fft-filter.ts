// FFT overlap-save convolution for one FIR filter: the bulk path of the equal-rate band-limit filter
// in src/dsp/resampler.ts.
//
// Why: the direct FIR costs ~taps/2 multiply-adds per output even when folded (57 taps at 4.8 kHz,
// 75 at 3.7 kHz), and it was half the daemon's main-thread CPU at 300 sensors. Overlap-save costs
// one forward and one inverse real FFT of size N per N − taps + 1 outputs, i.e. O(log N) per output,
// whatever the filter length (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., §8.7.3).
//
// The real FFT of size N runs as a complex FFT of size N/2 on (even, odd) sample pairs plus a split
// step (Press et al., Numerical Recipes, 3rd ed., §12.3.2). Everything is float64, so the result
// equals the direct form to ~1e-15 of the signal's peak before it is rounded to float32.

/** Outputs of one filter; block buffers are shared, so calls must not interleave (JS cannot). */
export class OverlapSaveFir {
  /** Outputs per FFT block: N − (taps − 1). */
  readonly block: number;
  private readonly hist: number;
  private readonly m: number;
  /** Bit-reversal permutation of 0..m−1, applied while loading the block. */
  private readonly rev: Int32Array;
  /** exp(−2πi·k/m), k < m/2: the half-size complex FFT's twiddles. */
  private readonly tr: Float64Array;
  private readonly ti: Float64Array;
  /** exp(−2πi·k/n), k ≤ m: the split step's twiddles. */
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  /** Filter spectrum, bins 0..m, pre-scaled by 1/(2n) so the unscaled transforms need no extra pass. */
  private readonly hr: Float64Array;
  private readonly hi: Float64Array;
  /** Block buffers: the input block and its spectrum, then the output's. */
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly re2: Float64Array;
  private readonly im2: Float64Array;

  /** `h[i]` multiplies x[t − i]; `n` is the FFT size, a power of two ≥ 2·taps. */
  constructor(h: ArrayLike<number>, n: number) {
    const taps = h.length;
    if ((n & (n - 1)) !== 0 || n < 8 || n < 2 * taps) throw new RangeError(`overlap-save: FFT size ${n} must be a power of two ≥ max(8, 2·${taps})`);
    const m = n / 2;
    this.m = m;
    this.hist = taps - 1;
    this.block = n - this.hist;
    const bits = Math.log2(m);
    this.rev = new Int32Array(m);
    for (let k = 0; k < m; k++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((k >> b) & 1) << (bits - 1 - b);
      this.rev[k] = r;
    }
    this.tr = new Float64Array(m / 2);
    this.ti = new Float64Array(m / 2);
    for (let k = 0; k < m / 2; k++) {
      this.tr[k] = Math.cos((2 * Math.PI * k) / m);
      this.ti[k] = -Math.sin((2 * Math.PI * k) / m);
    }
    this.wr = new Float64Array(m + 1);
    this.wi = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.wr[k] = Math.cos((2 * Math.PI * k) / n);
      this.wi[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    this.re = new Float64Array(m);
    this.im = new Float64Array(m);
    this.re2 = new Float64Array(m);
    this.im2 = new Float64Array(m);
    // The filter's spectrum, once per design, with the same real FFT as the blocks (the split step
    // below gives 2·H[k]); pre-scaled by 1/(2n), hence the 1/(4n).
    for (let k = 0; k < m; k++) {
      this.re[this.rev[k]] = 2 * k < taps ? h[2 * k] : 0;
      this.im[this.rev[k]] = 2 * k + 1 < taps ? h[2 * k + 1] : 0;
    }
    this.fft(this.re, this.im);
    this.hr = new Float64Array(m + 1);
    this.hi = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      const a = k & (m - 1);
      const b = (m - k) & (m - 1);
      const sr = this.re[a] + this.re[b];
      const si = this.im[a] + this.im[b];
      const dr = this.re[a] - this.re[b];
      const di = this.im[a] - this.im[b];
      this.hr[k] = (sr + this.wr[k] * si + this.wi[k] * dr) / (4 * n);
      this.hi[k] = (di - this.wr[k] * dr + this.wi[k] * si) / (4 * n);
    }
  }

  /**
   * out[o + j] = Σ_i h[i]·x[s + j − i] for j < count ≤ block. x[s − taps + 1 .. s + count) must be the
   * signal; samples after s + count (or past `end`) do not reach these outputs (the filter is causal),
   * so the block is zero-filled from `end` on instead of reading past the caller's data.
   */
  filter(x: Float32Array, s: number, end: number, count: number, out: Float32Array, o: number): void {
    const { m, rev, re, im, re2, im2, hr, hi, wr, wi } = this;
    const first = s - this.hist;
    // Load even samples as real, odd as imaginary parts, straight into bit-reversed order.
    if (first + 2 * m <= end) {
      for (let k = 0, t = first; k < m; k++, t += 2) {
        re[rev[k]] = x[t];
        im[rev[k]] = x[t + 1];
      }
    } else {
      for (let k = 0, t = first; k < m; k++, t += 2) {
        re[rev[k]] = t < end ? x[t] : 0;
        im[rev[k]] = t + 1 < end ? x[t + 1] : 0;
      }
    }
    this.fft(re, im);
    // One pass over the bin pairs (k, j = m − k): split Z into the real signal's spectrum X (times 2),
    // multiply by the filter, and merge the product back into an m-point spectrum Z' whose inverse
    // interleaves the real output (even samples in re, odd in im), stored bit-reversed for that FFT.
    for (let k = 0; k <= m >> 1; k++) {
      const j = m - k;
      const b = j & (m - 1);
      const sr = re[k] + re[b];
      const si = im[k] + im[b];
      const dr = re[k] - re[b];
      const di = im[k] - im[b];
      const xkr = sr + wr[k] * si + wi[k] * dr;
      const xki = di - wr[k] * dr + wi[k] * si;
      const xjr = sr + wr[j] * si - wi[j] * dr;
      const xji = wr[j] * dr + wi[j] * si - di;
      const ykr = xkr * hr[k] - xki * hi[k];
      const yki = xkr * hi[k] + xki * hr[k];
      const yjr = xjr * hr[j] - xji * hi[j];
      const yji = xjr * hi[j] + xji * hr[j];
      // Z'[k] = (Y[k] + conj Y[j]) + i·W^−k·(Y[k] − conj Y[j]), and the mirror image for Z'[j].
      const er = ykr + yjr;
      const ei = yki - yji;
      const fr = ykr - yjr;
      const fi = yki + yji;
      re2[rev[k]] = er - (fi * wr[k] - fr * wi[k]);
      im2[rev[k]] = ei + (fr * wr[k] + fi * wi[k]);
      if (j < m) {
        re2[rev[j]] = er - (fi * wr[j] + fr * wi[j]);
        im2[rev[j]] = -ei + (fi * wi[j] - fr * wr[j]);
      }
    }
    // Inverse FFT as a forward FFT with real and imaginary parts swapped (no scaling: it is in h).
    this.fft(im2, re2);
    // Circular wrap-around spoils only the first taps − 1 samples: keep the rest.
    let j = 0;
    let t = this.hist;
    if (t & 1 && j < count) out[o + j++] = im2[t++ >> 1];
    for (; j + 1 < count; j += 2, t += 2) {
      out[o + j] = re2[t >> 1];
      out[o + j + 1] = im2[t >> 1];
    }
    if (j < count) out[o + j] = re2[t >> 1];
  }

  /**
   * In-place decimation-in-time FFT of size m on input already in bit-reversed order. Radix-2 stages
   * are fused in pairs (radix 2²): same multiplies as radix 2, half the passes over memory. (A true
   * radix 4, 3 complex multiplies instead of 4, measured no faster in Node 20.)
   */
  private fft(re: Float64Array, im: Float64Array): void {
    const { m, tr, ti } = this;
    let h = 1;
    if ((Math.log2(m) & 1) === 1) {
      // Odd number of stages: one plain radix-2 stage (twiddle 1) first.
      for (let i = 0; i < m; i += 2) {
        const ar = re[i];
        const ai = im[i];
        re[i] = ar + re[i + 1];
        im[i] = ai + im[i + 1];
        re[i + 1] = ar - re[i + 1];
        im[i + 1] = ai - im[i + 1];
      }
      h = 2;
    } else {
      // Stages of half-size 1 and 2 together: twiddles 1 and −i only, no multiplies.
      for (let i = 0; i < m; i += 4) {
        const b0r = re[i] + re[i + 1], b0i = im[i] + im[i + 1];
        const b1r = re[i] - re[i + 1], b1i = im[i] - im[i + 1];
        const b2r = re[i + 2] + re[i + 3], b2i = im[i + 2] + im[i + 3];
        const b3r = re[i + 2] - re[i + 3], b3i = im[i + 2] - im[i + 3];
        re[i] = b0r + b2r;
        im[i] = b0i + b2i;
        re[i + 2] = b0r - b2r;
        im[i + 2] = b0i - b2i;
        // −i·b3 = (b3i, −b3r)
        re[i + 1] = b1r + b3i;
        im[i + 1] = b1i - b3r;
        re[i + 3] = b1r - b3i;
        im[i + 3] = b1i + b3r;
      }
      h = 4;
    }
    // Fused stages h and 2h: four points a0..a3 at i + k + {0, h, 2h, 3h}; w1 = W_2h^k, w2 = W_4h^k.
    for (; h < m; h <<= 2) {
      const s2 = m / (4 * h);
      const s1 = 2 * s2;
      for (let i = 0; i < m; i += 4 * h) {
        for (let k = 0; k < h; k++) {
          const w1r = tr[k * s1], w1i = ti[k * s1];
          const w2r = tr[k * s2], w2i = ti[k * s2];
          const a0 = i + k, a1 = a0 + h, a2 = a1 + h, a3 = a2 + h;
          // Stage h: (a0, a1) and (a2, a3), both with w1.
          let xr = re[a1] * w1r - im[a1] * w1i;
          let xi = re[a1] * w1i + im[a1] * w1r;
          const b0r = re[a0] + xr, b0i = im[a0] + xi;
          const b1r = re[a0] - xr, b1i = im[a0] - xi;
          xr = re[a3] * w1r - im[a3] * w1i;
          xi = re[a3] * w1i + im[a3] * w1r;
          const b2r = re[a2] + xr, b2i = im[a2] + xi;
          const b3r = re[a2] - xr, b3i = im[a2] - xi;
          // Stage 2h: (b0, b2) with w2, (b1, b3) with w2·W_4h^h = −i·w2.
          xr = b2r * w2r - b2i * w2i;
          xi = b2r * w2i + b2i * w2r;
          re[a0] = b0r + xr;
          im[a0] = b0i + xi;
          re[a2] = b0r - xr;
          im[a2] = b0i - xi;
          const yr = b3r * w2r - b3i * w2i;
          const yi = b3r * w2i + b3i * w2r;
          // −i·y = (yi, −yr)
          re[a1] = b1r + yi;
          im[a1] = b1i - yr;
          re[a3] = b1r - yi;
          im[a3] = b1i + yr;
        }
      }
    }
  }
}

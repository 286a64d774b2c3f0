// The envelope-order spectrum: the input representation of the transferable DRSN (issue 18, item 5).
//
// Why: a net fed raw time windows learns one rig's resonances and levels (the shipped DRSN-CW is at
// chance on a second bearing). A localised bearing defect shows itself instead as impacts repeating at
// a fault order of the shaft speed, which the squared envelope of a resonance band turns into spectral
// lines (Randall & Antoni, "Rolling element bearing diagnostics - A tutorial", MSSP 25, 2011). Here
// those lines are put on an axis where every bearing's fault orders sit at the same place:
//   1. the last n = round(revolutions · rate / shaft Hz) samples (capped at fftLength), so each line has
//      the same width in orders at any speed (a fixed number of revolutions, as in order tracking);
//   2. band-pass [lowHz, highHz] + analytic signal (one FFT, positive in-band bins doubled, inverse FFT),
//      squared envelope, its mean removed, periodic Hann of length n, zero-padded FFT of fftLength;
//   3. frequency → shaft order → warped position: piecewise linear through (0, 0), (BPFO, canonical
//      BPFO), (BPFI, canonical BPFI) and, when 2·BPFO > BPFI, (2·BPFO, 2·canonical BPFO), (2·BPFI,
//      2·canonical BPFI); beyond the last knot, through the origin with the last knot's ratio. So the
//      first two harmonics of both race defects land on fixed positions whatever the bearing;
//   4. `bins` positions over [0, maxPosition): the largest line inside each bin (a bin holding no
//      spectral sample takes the linear interpolation at its centre), so a line's height never depends
//      on where the grid falls;
//   5. amplitude log(1 + S / median(S over floorRange)): a line against the spectrum's own floor, so the
//      signal's level (a shortcut between classes, not a property of a fault) never reaches the net.
// src/model/py/drsn/representation.py computes the same numbers for training (tests/integration/
// order-spectrum-agreement.test.ts checks the two against each other).
import { ComplexFft } from './fft.js';

export const ENVELOPE_ORDER_SPECTRUM = 'envelope-order-spectrum';

/** drsn.json `input.representation` for the envelope-order spectrum (every parameter a reader needs). */
export interface EnvelopeOrderSpectrumSpec {
  kind: typeof ENVELOPE_ORDER_SPECTRUM;
  /** Band whose squared envelope is analysed, Hz (inside the model's band limit). */
  bandHz: [number, number];
  /** Shaft revolutions per spectrum. */
  revolutions: number;
  /** FFT length (power of two); also the most samples a spectrum uses at low speed. */
  fftLength: number;
  /** Output length: what the net sees, [N, 1, bins]. */
  bins: number;
  /** Positions covered, [0, maxPosition) on the warped axis. */
  maxPosition: number;
  /** Where BPFO and BPFI land on the warped axis (their second harmonics at twice these). */
  canonical: { bpfo: number; bpfi: number };
  /** Positions whose median is the floor lines are measured against, [low, high). */
  floorRange: [number, number];
}

/**
 * drsn.json `ood` of a model on this representation: one-sided robust z of the window's spectral shape
 * (tonality, inverse flatness) against the training windows', and the score above which the input is unlike
 * anything in training (src/model/py/drsn/orders.py calibrate_ood). Vibration of a running machine is
 * broadband; a tone, a square wave, a flat line are not, whatever the bearing: on UESTC, a bearing never seen,
 * no window of any class exceeded the CWRU-calibrated threshold (docs/reports/drsn-cw-eos-cwru/).
 */
export interface SpectralShapeOod {
  kind: 'spectral-shape';
  median: [number, number];
  scale: [number, number];
  threshold: number;
  calibration?: string;
}

/** Fault orders of the monitored bearing (multiples of shaft speed). */
export interface RaceOrders {
  bpfo: number;
  bpfi: number;
}

/** Samples one spectrum uses at this shaft speed. */
export function revolutionSamples(spec: EnvelopeOrderSpectrumSpec, rateHz: number, shaftHz: number): number {
  return Math.min(Math.round((spec.revolutions * rateHz) / shaftHz), spec.fftLength);
}

/** Knots of the order → position warp (step 3 above): [orders, positions], both increasing. */
export function warpKnots(orders: RaceOrders, canonical: RaceOrders): [number[], number[]] {
  const src = [0, orders.bpfo, orders.bpfi];
  const dst = [0, canonical.bpfo, canonical.bpfi];
  if (2 * orders.bpfo > orders.bpfi) {
    src.push(2 * orders.bpfo, 2 * orders.bpfi);
    dst.push(2 * canonical.bpfo, 2 * canonical.bpfi);
  }
  return [src, dst];
}

/** Position of shaft order `o` (numpy.interp inside the knots, the last knot's ratio beyond). */
function warp(o: number, src: number[], dst: number[]): number {
  const last = src.length - 1;
  if (o > src[last]) return (o * dst[last]) / src[last];
  if (o <= src[0]) return dst[0];
  let k = 1;
  while (src[k] < o) k++;
  return dst[k - 1] + ((o - src[k - 1]) * (dst[k] - dst[k - 1])) / (src[k] - src[k - 1]);
}

/** numpy.interp(x, xs, ys) for increasing xs: clamps outside. */
function interp(x: number, xs: Float64Array, ys: Float64Array): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return ys[lo] + ((x - xs[lo]) * (ys[hi] - ys[lo])) / (xs[hi] - xs[lo]);
}

/** k-th smallest of a[0..n) (Hoare's selection, in place): O(n), where sorting 8k spectral bins cost more than the FFTs. */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median as numpy (the mean of the two middle values for an even count); `scratch` is overwritten. */
function median(values: Float64Array, scratch: Float64Array): number {
  const n = values.length;
  scratch.set(values);
  const m = n >> 1;
  if (n % 2 === 1) return select(scratch, n, m);
  const upper = select(scratch, n, m);
  // After selecting m, everything below index m is <= the m-th: the (m-1)-th is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < m; i++) if (scratch[i] > lower) lower = scratch[i];
  return (lower + upper) / 2;
}

/** Scratch buffers of one FFT length, reused across calls (one computer per sensor stream or worker). */
export class EnvelopeOrderSpectrum {
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly fft: ComplexFft;
  /** [log tonality, −log flatness] of the last computed window (see SpectralShapeOod). */
  readonly shape: [number, number] = [0, 0];

  constructor(readonly spec: EnvelopeOrderSpectrumSpec) {
    const N = spec.fftLength;
    if (!Number.isInteger(N) || N < 16 || (N & (N - 1)) !== 0) throw new RangeError(`fftLength ${N} is not a power of two >= 16`);
    this.re = new Float64Array(N);
    this.im = new Float64Array(N);
    this.fft = new ComplexFft(N);
  }

  /** Out-of-distribution score of the last computed window: > ood.threshold means unlike the training data. */
  oodScore(ood: SpectralShapeOod): number {
    return Math.max((this.shape[0] - ood.median[0]) / ood.scale[0], (this.shape[1] - ood.median[1]) / ood.scale[1]);
  }

  /** Tonality and flatness of bins 1..N/2 of the window's own spectrum (in re/im), as representation.py _spectral_shape. */
  private spectralShape(): void {
    const { re, im } = this;
    const K = this.spec.fftLength / 2;
    let tot = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let k = 1; k <= K; k++) {
      const p = re[k] * re[k] + im[k] * im[k];
      tot += p;
      if (p > t3) {
        if (p > t1) { t3 = t2; t2 = t1; t1 = p; } else if (p > t2) { t3 = t2; t2 = p; } else t3 = p;
      }
    }
    let logSum = 0;
    const eps = 1e-30 * tot + 1e-300;
    for (let k = 1; k <= K; k++) logSum += Math.log(re[k] * re[k] + im[k] * im[k] + eps);
    const flat = Math.exp(logSum / K) / Math.max(tot / K, 1e-300);
    this.shape[0] = Math.log((t1 + t2 + t3) / Math.max(tot, 1e-300) + 1e-6);
    this.shape[1] = -Math.log(flat + 1e-9);
  }

  /**
   * The representation of the latest samples of `x` (at `rateHz`), for a shaft turning at `shaftHz`
   * with a bearing of these race orders; written into `out` (spec.bins floats) if given.
   */
  compute(x: ArrayLike<number>, rateHz: number, shaftHz: number, orders: RaceOrders, out?: Float32Array): Float32Array {
    const { spec, re, im } = this;
    const N = spec.fftLength;
    if (!(shaftHz > 0) || !(orders.bpfo > 0) || !(orders.bpfi > orders.bpfo)) {
      throw new RangeError(`envelope-order spectrum needs shaft Hz > 0 and 0 < BPFO < BPFI (got ${shaftHz}, ${orders.bpfo}, ${orders.bpfi})`);
    }
    const n = Math.min(revolutionSamples(spec, rateHz, shaftHz), x.length);
    const start = x.length - n;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[start + i];
    mean /= n;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < n; i++) re[i] = x[start + i] - mean;
    this.fft.transform(re, im);
    this.spectralShape();
    // Analytic signal of the band: positive in-band bins doubled, everything else zero.
    const [lo, hi] = spec.bandHz;
    for (let k = 0; k < N; k++) {
      const f = ((k < N / 2 ? k : k - N) * rateHz) / N;
      const g = f >= lo && f <= hi ? 2 : 0;
      re[k] *= g;
      im[k] *= g;
    }
    this.fft.transform(re, im, true);
    let e2mean = 0;
    for (let i = 0; i < n; i++) {
      // The inverse transform is unscaled: the analytic signal is (re, im) / N.
      const e2 = (re[i] * re[i] + im[i] * im[i]) / (N * N);
      re[i] = e2;
      e2mean += e2;
    }
    e2mean /= n;
    let wsum = 0;
    for (let i = 0; i < N; i++) {
      if (i < n) {
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
        re[i] = (re[i] - e2mean) * w;
        wsum += w;
      } else {
        re[i] = 0;
      }
      im[i] = 0;
    }
    this.fft.transform(re, im);
    // Bins 1..N/2 (DC dropped): magnitudes and their warped positions, both in order of frequency.
    const K = N / 2;
    const mag = new Float64Array(K);
    const pos = new Float64Array(K);
    const [src, dst] = warpKnots(orders, spec.canonical);
    for (let k = 1; k <= K; k++) {
      mag[k - 1] = Math.hypot(re[k], im[k]) / wsum;
      pos[k - 1] = warp((k * rateHz) / N / shaftHz, src, dst);
    }
    const bins = spec.bins;
    const db = spec.maxPosition / bins;
    const grid = new Float64Array(bins).fill(-Infinity);
    for (let k = 0; k < K; k++) {
      const j = Math.floor(pos[k] / db);
      if (j >= 0 && j < bins && mag[k] > grid[j]) grid[j] = mag[k];
    }
    for (let j = 0; j < bins; j++) if (grid[j] === -Infinity) grid[j] = interp((j + 0.5) * db, pos, mag);
    let a = 0;
    while (a < K && pos[a] < spec.floorRange[0]) a++;
    let b = a;
    while (b < K && pos[b] < spec.floorRange[1]) b++;
    const floor = median(mag.subarray(a, b), pos) + 1e-30; // pos is no longer needed: its storage is the scratch
    const y = out ?? new Float32Array(bins);
    for (let j = 0; j < bins; j++) y[j] = Math.log1p(grid[j] / floor);
    return y;
  }
}

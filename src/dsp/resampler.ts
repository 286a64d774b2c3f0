// Rational polyphase resampler with a Kaiser-windowed sinc anti-alias / band-limit filter.
//
// Why one filter for everything: every signal the model sees (live sensors at any rate, CWRU records at
// 12 kHz and the 48 kHz normal baseline) passes through the same low-pass at `bandLimitHz`. Without it
// the normal record, decimated by CWRU with its own anti-alias roll-off, is separable from the 12 kHz
// fault records by its spectrum alone, and a model learns that shortcut instead of the bearing.
//
// Method: upsample by L (zero stuffing), low-pass at the upsampled rate, keep every M-th sample
// (Crochiere & Rabiner, Multirate Digital Signal Processing, 1983, ch. 4). Only the taps that meet
// non-zero samples are evaluated: output m uses phase p = (m·M) mod L, a K-tap sub-filter.
// Design target: passband flat within ±0.1 dB up to 0.9·cutoff, ≤ −60 dB from 1.1·cutoff up.
import { DrsndError, ErrorCodes } from '../errors.js';
import { OverlapSaveFir } from './fft-filter.js';
import { kaiserBeta, kaiserLength, kaiserLowpass } from './kaiser.js';

export interface ResampleSpec {
  inRateHz: number;
  outRateHz: number;
  /** Band limit (the filter's −6 dB point), ≤ min(in, out)/2. */
  cutoffHz: number;
}

/** Stopband attenuation designed for; above the 60 dB target to absorb the Kaiser formula's error and float32 rounding. */
const DESIGN_ATTEN_DB = 72;
/** Transition band, relative to the cutoff: 0.9·fc … 1.1·fc. */
const TRANSITION_HALF = 0.1;
/** Beyond these the design is certainly a configuration mistake (e.g. 12000 → 12001 Hz gives L = 12001). */
const MAX_FACTOR = 4096;
const MAX_TAPS = 1 << 21;
/**
 * Equal-rate filters at least this long get an FFT overlap-save path for long pushes. The FFT size is
 * the larger of 512 and 4·taps rounded up to a power of two: of 256…2048, 512 gave the most outputs
 * per second at 57 and 75 taps, and 4·taps keeps ≥ 3/4 of each block as output for longer filters.
 */
const MIN_FFT_TAPS = 16;
const MIN_FFT_SIZE = 512;
/**
 * A push takes the FFT path only while this many outputs remain; shorter pushes and the tail of a long
 * one use the direct form, so outputs never wait for a block to fill. Near break-even: one 512-point
 * block (~10 µs here) costs about as much as ~70–150 direct outputs at 75–57 taps.
 */
const MIN_FFT_OUTPUTS = 128;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function invalid(message: string): DrsndError {
  return new DrsndError(ErrorCodes.CONFIG_INVALID, message);
}

/** The designed filter, split into phases; shared by every resampler with the same spec. */
export interface PolyphaseDesign {
  up: number;
  down: number;
  /** Taps per phase. */
  taps: number;
  /** phases[p·taps + i] multiplies x[n0 − i] for an output of phase p. */
  phases: Float32Array;
  /** Filter group delay in output samples (an integer by construction). */
  delay: number;
  /** Single-phase and symmetric (linear phase): push() may fold the taps. */
  symmetric: boolean;
  /** Single-phase only: the same filter as FFT overlap-save blocks, built by the first resampler that uses it. */
  fft?: OverlapSaveFir;
}

const designCache = new Map<string, PolyphaseDesign>();

export function designResampler(spec: ResampleSpec): PolyphaseDesign {
  const { inRateHz, outRateHz, cutoffHz } = spec;
  const key = `${inRateHz}/${outRateHz}/${cutoffHz}`;
  const cached = designCache.get(key);
  if (cached) return cached;

  for (const [name, v] of [['inRateHz', inRateHz], ['outRateHz', outRateHz]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw invalid(`resampler: ${name} must be a positive integer (got ${v})`);
  }
  const nyquist = Math.min(inRateHz, outRateHz) / 2;
  if (!(cutoffHz > 0) || cutoffHz > nyquist) {
    throw invalid(`resampler: cutoffHz must be in (0, ${nyquist}] for ${inRateHz} → ${outRateHz} Hz (got ${cutoffHz})`);
  }
  const g = gcd(inRateHz, outRateHz);
  const up = outRateHz / g;
  const down = inRateHz / g;
  if (up > MAX_FACTOR || down > MAX_FACTOR) {
    throw invalid(`resampler: ${inRateHz} → ${outRateHz} Hz reduces to ${up}/${down}, beyond ${MAX_FACTOR}; use rates with a larger common divisor`);
  }

  let design: PolyphaseDesign;
  if (up === 1 && down === 1 && cutoffHz >= nyquist) {
    // Same rate and no band limit below Nyquist: nothing to do.
    design = { up, down, taps: 1, phases: Float32Array.of(1), delay: 0, symmetric: true };
  } else {
    const fsUp = inRateHz * up;
    const passEdge = (1 - TRANSITION_HALF) * cutoffHz;
    // Never let the stopband start above the lower Nyquist, or content just above it would alias.
    const stopEdge = Math.min((1 + TRANSITION_HALF) * cutoffHz, nyquist);
    const fc = (passEdge + stopEdge) / 2 / fsUp;
    const need = kaiserLength(DESIGN_ATTEN_DB, (stopEdge - passEdge) / fsUp);
    // Round the half-length up to a multiple of `down` so the delay is a whole number of output samples.
    const delay = Math.ceil((need - 1) / 2 / down);
    const half = delay * down;
    if (2 * half + 1 > MAX_TAPS) throw invalid(`resampler: ${inRateHz} → ${outRateHz} Hz at ${cutoffHz} Hz needs ${2 * half + 1} taps (max ${MAX_TAPS})`);
    const h = kaiserLowpass(half, fc, kaiserBeta(DESIGN_ATTEN_DB));
    const taps = Math.ceil(h.length / up);
    const phases = new Float32Array(up * taps);
    // Zero stuffing divides the signal's energy by L; the gain L restores unit passband gain.
    for (let j = 0; j < h.length; j++) phases[(j % up) * taps + Math.floor(j / up)] = h[j] * up;
    const single = up === 1 && down === 1;
    if (single) {
      // Make the symmetry exact (float rounding of sin/cos may differ in the last bit) so folding is exact.
      for (let i = 0; i < taps >> 1; i++) phases[taps - 1 - i] = phases[i];
    }
    design = { up, down, taps, phases, delay, symmetric: single };
  }
  designCache.set(key, design);
  return design;
}

/**
 * Resamples a stream fed in chunks of any size. Output sample m (counted since construction or reset)
 * stands for input time (m − delaySamples)/outRateHz after the first input sample; the output is the
 * offline `resample` result delayed by `delaySamples`, the first outputs being the filter's ramp-up.
 */
export class StreamingResampler {
  /** Group delay in output samples. */
  readonly delaySamples: number;
  private readonly d: PolyphaseDesign;
  /** Input history (taps − 1 samples) followed by the current chunk. */
  private buf: Float32Array;
  /** Input index, relative to the next chunk's first sample, of the next output's newest tap. */
  private next = 0;
  /** Phase of the next output. */
  private phase = 0;

  constructor(readonly spec: ResampleSpec) {
    this.d = designResampler(spec);
    this.delaySamples = this.d.delay;
    const { up, down, taps, phases } = this.d;
    if (up === 1 && down === 1 && taps >= MIN_FFT_TAPS && !this.d.fft) {
      this.d.fft = new OverlapSaveFir(phases, Math.max(MIN_FFT_SIZE, 2 ** Math.ceil(Math.log2(4 * taps))));
    }
    this.buf = new Float32Array(this.d.taps - 1 + 4096);
  }

  /** Forget all history, as at construction (call at a discontinuity). */
  reset(): void {
    this.buf.fill(0, 0, this.d.taps - 1);
    this.next = 0;
    this.phase = 0;
  }

  /** Number of outputs the next push of `n` samples will return. */
  outputsFor(n: number): number {
    const { up, down } = this.d;
    if (this.next >= n) return 0;
    // Outputs j = 0.. with next + floor((phase + j·down)/up) < n.
    return Math.floor(((n - this.next) * up - this.phase - 1) / down) + 1;
  }

  push(x: Float32Array): Float32Array {
    const { up, down, taps, phases } = this.d;
    const hist = taps - 1;
    const n = x.length;
    if (this.buf.length < hist + n) {
      const grown = new Float32Array(hist + Math.max(n, this.buf.length * 2));
      grown.set(this.buf.subarray(0, hist));
      this.buf = grown;
    }
    const buf = this.buf;
    buf.set(x, hist);
    const out = new Float32Array(this.outputsFor(n));
    const stepN = Math.floor(down / up);
    const stepP = down % up;
    let next = this.next;
    let phase = this.phase;
    if (up === 1 && down === 1 && this.d.symmetric) {
      // Same rate in and out (the band-limit filter alone, the commonest case): one output per input.
      this.sameRate(buf, hist + next, hist + n, out);
      if (hist > 0) buf.copyWithin(0, n, n + hist);
      this.next = next + out.length - n;
      return out;
    }
    for (let m = 0; m < out.length; m++) {
      const base = phase * taps;
      const newest = hist + next;
      // Four partial sums: independent additions pipeline better than one dependent chain.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let i = 0;
      for (; i + 3 < taps; i += 4) {
        a0 += phases[base + i] * buf[newest - i];
        a1 += phases[base + i + 1] * buf[newest - i - 1];
        a2 += phases[base + i + 2] * buf[newest - i - 2];
        a3 += phases[base + i + 3] * buf[newest - i - 3];
      }
      for (; i < taps; i++) a0 += phases[base + i] * buf[newest - i];
      out[m] = a0 + a1 + (a2 + a3);
      next += stepN;
      phase += stepP;
      if (phase >= up) {
        phase -= up;
        next += 1;
      }
    }
    // Keep the newest taps − 1 inputs as history for the next chunk.
    if (hist > 0) buf.copyWithin(0, n, n + hist);
    this.next = next - n;
    this.phase = phase;
    return out;
  }

  /**
   * out[m] = Σ h[i]·buf[newest + m − i] for every m: the equal-rate filter. A method of its own so the
   * JIT optimizes it apart from the polyphase loop (each keeps its own type feedback).
   */
  private sameRate(buf: Float32Array, newest: number, end: number, out: Float32Array): void {
    const { taps, phases, fft } = this.d;
    let m = 0;
    // The bulk of a long push goes through FFT overlap-save blocks (src/dsp/fft-filter.ts).
    while (fft && out.length - m >= MIN_FFT_OUTPUTS) {
      const count = Math.min(fft.block, out.length - m);
      fft.filter(buf, newest, end, count, out, m);
      m += count;
      newest += count;
    }
    // The rest directly: a linear-phase filter's taps are symmetric, so add the paired inputs first
    // and halve the multiplies (1.55-1.75x measured by bench/fir-fold.ts before the FFT path).
    const half = (taps - 1) >> 1;
    for (; m < out.length; m++, newest++) {
      const oldest = newest - (taps - 1);
      let a0 = phases[half] * buf[newest - half];
      let a1 = 0;
      let i = 0;
      for (; i + 1 < half; i += 2) {
        a0 += phases[i] * (buf[newest - i] + buf[oldest + i]);
        a1 += phases[i + 1] * (buf[newest - i - 1] + buf[oldest + i + 1]);
      }
      for (; i < half; i++) a0 += phases[i] * (buf[newest - i] + buf[oldest + i]);
      out[m] = a0 + a1;
    }
  }
}

/** Output length of `resample` for `n` input samples. */
export function resampledLength(n: number, spec: ResampleSpec): number {
  return Math.round((n * spec.outRateHz) / spec.inRateHz);
}

/**
 * Offline resampling, delay-compensated: output m stands for time m/outRateHz, like input 0 for time 0.
 * The signal is taken as zero outside [0, n), so the first and last `delaySamples` outputs carry the
 * filter's edge effects. Length: round(n·out/in).
 */
export function resample(x: Float32Array, spec: ResampleSpec): Float32Array {
  const r = new StreamingResampler(spec);
  const len = resampledLength(x.length, spec);
  const out = new Float32Array(len);
  if (len === 0) return out;
  const { up, down } = designResampler(spec);
  const skip = r.delaySamples;
  // Inputs (real plus zero padding) needed so that streaming output skip + len − 1 exists.
  const needed = Math.floor(((skip + len - 1) * down) / up) + 1;
  const streamed = [r.push(x), r.push(new Float32Array(Math.max(0, needed - x.length)))];
  let w = 0;
  let s = 0;
  for (const part of streamed) {
    for (let i = 0; i < part.length && w < len; i++, s++) if (s >= skip) out[w++] = part[i];
  }
  return out;
}

// Checks that tell a broken measurement from a machine state: flatline, clipping, DC drift or an
// offset jump, a mains-dominated signal and isolated spikes. Such a window is diagnosed
// `sensor_fault` with the reason, never Normal: a z-scored 50 Hz sine or a clipped square wave looks
// to the DRSN like any other window and was diagnosed Normal with confidence 1.000 (issue 18).
// Every check works on samples in g at the sensor's native rate (resampling would smear a clipped
// flat top and an isolated spike), except the mains check, which reads the window's power spectrum.
import type { PowerSpectrum } from './indicators.js';
import type { SensorFaultFinding } from './types.js';

/** Below this peak-to-peak (g) a channel carries no signal: a real accelerometer's noise floor is ~1e-4 g. */
export const FLATLINE_PP_G = 1e-5;
/** Samples at the extreme value, as a share of the window, from which a flat top is clipping. */
const CLIP_MIN_SHARE = 0.002;
/** A spike exceeds this many RMS of its frame… */
export const SPIKE_RMS = 12;
/** …while every sample within SPIKE_ISOLATION of it stays below this share of its height. A bearing impact
 *  rings a resonance: for any resonance period ≥ 2 samples, some sample within ±4 has ≥ 0.5 of the peak. */
export const SPIKE_NEIGHBOUR_SHARE = 0.3;
export const SPIKE_ISOLATION = 4;
/** Share of the AC power at mains lines (50/60 Hz and harmonics) from which the signal is mains pick-up. */
const MAINS_SHARE = 0.5;
const MAINS_HZ = [50, 60] as const;
const MAINS_HARMONICS = 5;
/** Block means spread over more than this many within-block RMS: the baseline wanders (drift) or steps (jump). */
const DRIFT_SPREAD_RMS = 3;
/** …and by more than this in g, so a near-silent channel's LSB wander is not a drift. */
const DRIFT_MIN_G = 1e-3;

/**
 * Statistics of a span for the flatline and clipping checks, in this layout (native/physics.c spanStats
 * fills the same): [min, max, nMin, nMax, Σ, atMax, nearMax, atMin, nearMin]. nMin/nMax count the
 * extremes; at/near count samples at and within 1 % of the peak-to-peak inside each extreme, and are
 * counted only when an extreme occurs clipMinCount(n) times or more (most windows skip that pass).
 */
export type RawStats = Float64Array;

/** Samples at an extreme from which a span of n might be clipped. */
export function clipMinCount(n: number): number {
  return Math.max(3, CLIP_MIN_SHARE * n);
}

const rawScratch: RawStats = new Float64Array(9);

/** Flatline and clipping on x[from, to). */
export function rawChecks(x: ArrayLike<number>, from: number, to: number): readonly SensorFaultFinding[] {
  const n = to - from;
  if (n < 8) return NONE;
  let min = Infinity;
  let max = -Infinity;
  let nMax = 0;
  let nMin = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = x[i];
    sum += v;
    if (v <= min) {
      nMin = v === min ? nMin + 1 : 1;
      min = v;
    }
    if (v >= max) {
      nMax = v === max ? nMax + 1 : 1;
      max = v;
    }
  }
  let atMax = 0;
  let nearMax = 0;
  let atMin = 0;
  let nearMin = 0;
  const minCount = clipMinCount(n);
  if (nMax >= minCount || nMin >= minCount) {
    const band = 0.01 * (max - min);
    for (let i = from; i < to; i++) {
      const v = x[i];
      if (v === max) atMax++;
      else if (v > max - band) nearMax++;
      if (v === min) atMin++;
      else if (v < min + band) nearMin++;
    }
  }
  const st = rawScratch;
  st[0] = min; st[1] = max; st[2] = nMin; st[3] = nMax; st[4] = sum;
  st[5] = atMax; st[6] = nearMax; st[7] = atMin; st[8] = nearMin;
  return rawFindings(st, n);
}

/** No finding: shared, so the common case allocates nothing (callers only read the result). */
const NONE: readonly SensorFaultFinding[] = Object.freeze([]);

/** The flatline and clipping verdicts of a span of n samples from its RawStats. */
export function rawFindings(st: RawStats, n: number): readonly SensorFaultFinding[] {
  if (n < 8) return NONE;
  const min = st[0];
  const max = st[1];
  const pp = max - min;
  if (pp < FLATLINE_PP_G) return [{ kind: 'flatline', detail: `peak-to-peak ${pp.toExponential(1)} g over ${n} samples (stuck or disconnected sensor)` }];
  const minCount = clipMinCount(n);
  if (st[3] < minCount && st[2] < minCount) return NONE;
  const atMax = st[5];
  const nearMax = st[6];
  const atMin = st[7];
  const nearMin = st[8];
  // Clipping: many samples at exactly the extreme value and few just inside it. A sine (even one
  // quantized by an ADC) has more samples just below its peak than at it; a flat top has none.
  const clippedAt: string[] = [];
  if (atMax >= minCount && atMax > 2 * nearMax) clippedAt.push(`${atMax} samples at +${max.toPrecision(4)} g`);
  if (atMin >= minCount && atMin > 2 * nearMin) clippedAt.push(`${atMin} samples at ${min.toPrecision(4)} g`);
  return clippedAt.length ? [{ kind: 'clipping', detail: `${clippedAt.join(', ')} of ${n} (saturated sensor or ADC)` }] : NONE;
}

/**
 * Isolated spikes in x[from, to) (one frame), reported through `onSpike` with their index. Edges of
 * the frame are skipped by the isolation width. `sums`: Σx and Σx² over the range when the caller has them.
 */
export function findSpikes(x: ArrayLike<number>, from: number, to: number, onSpike: (i: number) => void, sums?: { sum: number; sum2: number }): void {
  const n = to - from;
  if (n < 4 * SPIKE_ISOLATION) return;
  let sum = 0;
  let sum2 = 0;
  if (sums) ({ sum, sum2 } = sums);
  else {
    for (let i = from; i < to; i++) {
      sum += x[i];
      sum2 += x[i] * x[i];
    }
  }
  const mean = sum / n;
  const rms = Math.sqrt(Math.max(0, sum2 / n - mean * mean));
  if (rms === 0) return;
  const limit = SPIKE_RMS * rms;
  for (let i = from + SPIKE_ISOLATION; i < to - SPIKE_ISOLATION; i++) {
    const h = Math.abs(x[i] - mean);
    if (h <= limit) continue;
    let isolated = true;
    for (let j = 1; j <= SPIKE_ISOLATION && isolated; j++) {
      if (Math.abs(x[i - j] - mean) >= SPIKE_NEIGHBOUR_SHARE * h || Math.abs(x[i + j] - mean) >= SPIKE_NEIGHBOUR_SHARE * h) isolated = false;
    }
    if (isolated) onSpike(i);
  }
}

export function spikeFinding(count: number, samples: number): SensorFaultFinding | null {
  return count > 0 ? { kind: 'spikes', detail: `${count} isolated spike(s) above ${SPIKE_RMS}x RMS in ${samples} samples (loose connector, EMI)` } : null;
}

/**
 * Mains pick-up: most of the window's AC power at 50 or 60 Hz and their harmonics. Not reported when
 * the shaft's 1× or 2× sits on the line (a 2-pole motor at ~50 Hz is a machine, not pick-up).
 */
export function mainsCheck(s: PowerSpectrum, shaftHz: number | null): SensorFaultFinding | null {
  let total = s.ac ?? 0;
  if (s.ac === undefined) for (let k = 1; k < s.power.length; k++) total += s.power[k];
  if (total <= 0) return null;
  for (const f of MAINS_HZ) {
    if (shaftHz !== null && [1, 2].some((h) => Math.abs(h * shaftHz - f) < Math.max(2, 1.5 * s.df))) continue;
    let at = 0;
    for (let h = 1; h <= MAINS_HARMONICS; h++) {
      const k = Math.round((h * f) / s.df);
      for (let j = Math.max(1, k - 1); j <= Math.min(s.power.length - 1, k + 1); j++) at += s.power[j];
    }
    if (at / total >= MAINS_SHARE) return { kind: 'mains', detail: `${Math.round((100 * at) / total)} % of the power at ${f} Hz and harmonics (electrical pick-up: check shielding and grounding)` };
  }
  return null;
}

/** Mean and RMS about the mean of consecutive blocks of samples, oldest first. */
export interface BlockStat {
  mean: number;
  rms: number;
}

/** DC drift or an offset jump from the last few blocks' means (~1-2 s): the baseline moves far more than the vibration. */
export function driftCheck(blocks: readonly BlockStat[]): SensorFaultFinding | null {
  if (blocks.length < 2) return null;
  let lo = Infinity;
  let hi = -Infinity;
  let step = 0;
  const rmss = blocks.map((b) => b.rms).sort((a, b) => a - b);
  // A low quantile: blocks that hold a step or a fast drift have an inflated RMS of their own.
  const rms = rmss[rmss.length >> 2];
  blocks.forEach((b, i) => {
    lo = Math.min(lo, b.mean);
    hi = Math.max(hi, b.mean);
    if (i > 0) step = Math.max(step, Math.abs(b.mean - blocks[i - 1].mean));
  });
  const spread = hi - lo;
  if (spread < DRIFT_MIN_G || spread < DRIFT_SPREAD_RMS * rms) return null;
  const detail = `baseline moved ${spread.toPrecision(3)} g over ${blocks.length} blocks, ${rms > 0 ? `${(spread / rms).toFixed(1)}x` : 'far above'} the vibration RMS`;
  return step > 0.7 * spread
    ? { kind: 'offset_jump', detail: `${detail}, in one step (connector, cable or sensor bias shift)` }
    : { kind: 'dc_drift', detail: `${detail} (loose cable, failing sensor bias or thermal drift)` };
}

/** Share of a window's variance a straight line must explain for the window to be a drift on its own. */
const TREND_R2 = 0.9;

/**
 * A drift or a step inside one window, before there are blocks to compare (just after start or a gap):
 * a straight line (or two levels) explains nearly all of the window's variance and moves far more than
 * what is left.
 * A shaft below ~3 Hz (180 rpm) can look like that within a window; drsnd does not target such speeds.
 */
export function trendCheck(x: ArrayLike<number>, from: number, to: number, sum?: number): SensorFaultFinding | null {
  const n = to - from;
  if (n < 16) return null;
  let sy = 0;
  if (sum !== undefined) sy = sum;
  else for (let i = from; i < to; i++) sy += x[i];
  const my = sy / n;
  const mt = (n - 1) / 2;
  // Σ(i − mt)² over the window, in closed form (the sum of these quarter-integers is exact in a double).
  const stt = (n * (n * n - 1)) / 12;
  // One pass for the line (sty, syy) and the step. The step is the best split into two constant levels
  // (between-groups share of the variance). With m1 = left/k and m2 = −left/(n−k), the between-groups
  // sum k·m1² + (n−k)·m2² is left²·n/(k(n−k)): the search keeps the best of that (one division per
  // split), and the levels are worked out once for the best split.
  let sty = 0;
  let syy = 0;
  let left = 0;
  let best = 0;
  let bestK = 0;
  let bestLeft = 0;
  const firstK = Math.max(1, n >> 3);
  const last = n - (n >> 3);
  for (let i = 0; i < n; i++) {
    const y = x[from + i] - my;
    sty += (i - mt) * y;
    syy += y * y;
    // After sample i, `left` sums the first k = i + 1 samples.
    left += y;
    const k = i + 1;
    if (k >= firstK && k <= last) {
      const between = (left * left) / (k * (n - k));
      if (between > best) {
        best = between;
        bestK = k;
        bestLeft = left;
      }
    }
  }
  if (syy <= 0) return null;
  const r2 = (sty * sty) / (stt * syy);
  const change = Math.abs((sty / stt) * (n - 1));
  const residual = Math.sqrt(Math.max(0, (syy - (sty * sty) / stt) / n));
  if (r2 >= TREND_R2 && change >= DRIFT_MIN_G && change >= DRIFT_SPREAD_RMS * residual) {
    return { kind: 'dc_drift', detail: `baseline moved ${change.toPrecision(3)} g within ${n} samples, a straight line explains ${Math.round(100 * r2)} % of the signal (loose cable, failing sensor bias or thermal drift)` };
  }
  const bestR2 = bestK > 0 ? (best * n) / syy : 0;
  const bestJump = bestK > 0 ? Math.abs(bestLeft / bestK + bestLeft / (n - bestK)) : 0;
  const stepResidual = Math.sqrt(Math.max(0, (syy * (1 - bestR2)) / n));
  if (bestR2 >= TREND_R2 && bestJump >= DRIFT_MIN_G && bestJump >= DRIFT_SPREAD_RMS * stepResidual) {
    return { kind: 'offset_jump', detail: `baseline stepped ${bestJump.toPrecision(3)} g within ${n} samples, two levels explain ${Math.round(100 * bestR2)} % of the signal (connector, cable or sensor bias shift)` };
  }
  return null;
}

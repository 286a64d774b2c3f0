// Shaft speed from the spectrum, within the configured range: the candidate whose first harmonics
// (1×…4×) carry the most VELOCITY amplitude, among candidates whose 1× is a real line. Velocity
// (acceleration / f) because on most machines 1× and 2× dominate the low-frequency velocity spectrum,
// while a bearing defect's comb of impacts lives in acceleration near the resonance: summing
// whitened acceleration lines locked onto BPFO/2 in the simulator (a comb with every 2nd line at BPFO
// multiples outvotes three shaft lines). Requiring a line at 1× keeps f/2 (a gap there) out, and 2f
// loses 1×, the strongest line.

const HARMONICS = 4;
/**
 * Harmonics this close (or within a bin) of a mains line are skipped: electrical lines at exactly 50/60
 * Hz and twice that are in many spectra (the CWRU rig's among them) and are not a shaft. An induction
 * motor runs with slip, ≥ 0.5 Hz off; a shaft locked to the grid is not read from the spectrum.
 */
const MAINS_GUARD_HZ = 0.3;
/** Mains and its second harmonic, for 50 and 60 Hz grids: they neither count as a harmonic nor as 1×. */
const MAINS_LINES_HZ = [50, 60, 100, 120];
/**
 * After the best candidate f, f/2 is taken instead when it has a 1× line of its own and scores at least
 * this share of f's: the lowest fundamental that explains the lines (on the CWRU rig 2× often outweighs 1×).
 */
const OCTAVE_SHARE = 0.5;
/** 1× must stand this far over its local floor (amplitude, dB) to be a line. */
const LINE_DB = 6;
/** Floor around a bin: mean amplitude from 3 to FLOOR_BINS bins away on each side. */
const FLOOR_BINS = 20;

export interface SpeedEstimate {
  hz: number;
  /** dB of the 1× line over its local floor. */
  strengthDb: number;
}

/** `amp`: acceleration amplitude spectrum (bins df apart); the shaft rate is sought in [minHz, maxHz]. */
export function estimateShaftHz(amp: Float64Array, df: number, minHz: number, maxHz: number): SpeedEstimate | null {
  const top = Math.min(amp.length - 2 - FLOOR_BINS, Math.ceil((HARMONICS * maxHz) / df) + 2);
  if (top < 8 || minHz / df < 2) return null;
  const vel = new Float64Array(top + 2);
  for (let k = 1; k < vel.length; k++) vel[k] = amp[k] / (k * df);
  /** Largest velocity amplitude within ±1 bin of f, linearly interpolated between bins. */
  const at = (f: number): number => {
    const x = f / df;
    const k = Math.floor(x);
    if (k < 1 || k + 2 >= vel.length) return 0;
    return Math.max(vel[k - 1] ?? 0, vel[k], vel[k + 1], vel[k + 2]) * 0.5 + (vel[k] * (1 - (x - k)) + vel[k + 1] * (x - k)) * 0.5;
  };
  const mains = (f: number) => MAINS_LINES_HZ.some((m) => Math.abs(f - m) <= Math.max(MAINS_GUARD_HZ, df));
  const score = (f: number): number => {
    let s = 0;
    for (let h = 1; h <= HARMONICS; h++) if (!mains(h * f)) s += at(h * f);
    return s;
  };
  const isLine = (f: number) => lineDb(amp, f / df) >= LINE_DB && !mains(f);
  const step = df / (3 * HARMONICS);
  let best = -1;
  let bestScore = 0;
  for (let f = minHz; f <= maxHz; f += step) {
    const s = score(f);
    if (s > bestScore && isLine(f)) {
      bestScore = s;
      best = f;
    }
  }
  if (best < 0) return null;
  // The octave below, if it is a line and explains most of the score (searched ±1 bin around best/2).
  if (best / 2 >= minHz) {
    let half = -1;
    let halfScore = 0;
    for (let f = best / 2 - df / 2; f <= best / 2 + df / 2; f += step) {
      const s = score(f);
      if (s > halfScore && isLine(f)) {
        halfScore = s;
        half = f;
      }
    }
    if (half > 0 && halfScore >= OCTAVE_SHARE * bestScore) best = half;
  }
  // Refine on the harmonic with the clearest line: a peak at h·f locates f to 1/h of a bin.
  let refined = best;
  let clearest = -Infinity;
  for (let h = 1; h <= HARMONICS; h++) {
    const k = Math.round((h * best) / df);
    if (k + 1 >= amp.length) break;
    const db = lineDb(amp, k);
    if (db >= LINE_DB + 4 * (h - 1) / HARMONICS && db > clearest) {
      const p = peakBin(amp, k);
      if (Math.abs(p * df - h * best) <= 1.5 * df) {
        clearest = db;
        refined = (p * df) / h;
      }
    }
  }
  return { hz: refined, strengthDb: lineDb(amp, refined / df) };
}

/** dB of the highest of bins round(x)±1 over the mean of the bins 3..FLOOR_BINS away. */
function lineDb(amp: Float64Array, x: number): number {
  const k = Math.round(x);
  if (k < 2 || k + FLOOR_BINS >= amp.length) return 0;
  const peak = Math.max(amp[k - 1], amp[k], amp[k + 1]);
  let sum = 0;
  let n = 0;
  for (let j = 3; j <= FLOOR_BINS; j++) {
    if (k - j >= 1) {
      sum += amp[k - j];
      n++;
    }
    sum += amp[k + j];
    n++;
  }
  const floor = sum / n;
  return floor > 0 && peak > 0 ? 20 * Math.log10(peak / floor) : 0;
}

/** The local maximum near bin k, interpolated with a parabola through it and its neighbours. */
function peakBin(amp: Float64Array, k: number): number {
  let m = k;
  for (const j of [k - 1, k + 1]) if (amp[j] > amp[m]) m = j;
  const a = amp[m - 1];
  const b = amp[m];
  const c = amp[m + 1];
  const d = a - 2 * b + c;
  return d < 0 ? m + (0.5 * (a - c)) / d : m;
}

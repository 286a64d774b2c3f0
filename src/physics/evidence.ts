// Bearing evidence from a squared-envelope spectrum: how far the lines at each defect frequency stand
// above the local floor, turned into a 0-1 score per component. The rules are the textbook signatures
// (Randall & Antoni, MSSP 25 (2011), §2 and §3.4): outer race, a line train at BPFO; inner race, BPFI
// with ±1× shaft sidebands (the defect turns through the load zone once a revolution); ball, 2×BSF
// (a ball defect strikes both races each spin) with cage-rate sidebands; cage, FTF.
import type { FaultOrders } from './bearing.js';
import type { BearingEvidence } from './types.js';

/**
 * Where a defect line is sought, relative to its nominal frequency: rolling elements slip, so the
 * real line sits 1-2 % (rarely more) below the kinematic one (Randall & Antoni, §2.1). Wider windows
 * caught an inner-race fault's BPFI − 2× sideband as BPFO on CWRU (3.415 vs 3.585 orders for a 6205).
 */
export const SEARCH = { below: 0.03, above: 0.015 } as const;
/** A line's floor: the median of the spectrum this far (relative) on both sides, outside the search window. */
const FLOOR_SPAN = 0.3;
const FLOOR_MIN_BINS = 12;
/** …and at most this many bins per side: a median of ~100 bins is as steady as of 400, and 4x cheaper to sort. */
const FLOOR_MAX_BINS = 48;
/**
 * Score = (L − START_DB) / SPAN_DB, clipped to 0..1, with L the fundamental's dB over the floor plus
 * half the excess of the confirming lines over CONFIRM_DB. The maximum of ~8 bins of pure noise sits
 * ~6 dB over the median, so 8 dB is where evidence starts and 20 dB is unmistakable. Chosen on the
 * CWRU data and the simulator (tests/unit/physics-evidence.test.ts), never on UESTC.
 */
export const START_DB = 8;
export const SPAN_DB = 12;
const CONFIRM_DB = 6;
/**
 * Lines count as evidence only when the demodulated band is impulsive: a defect strikes, and the
 * impacts make the band's envelope kurtotic (spectral kurtosis, Antoni, MSSP 20 (2006); 0 for
 * Gaussian noise, −1 for a steady tone). A line in a non-impulsive band is a modulation of something
 * else (shaft, electrical, process). Chosen on CWRU (every buffer, speed fixed): every buffer whose lines
 * named the right component had SK ≥ 1.55, all but one naming a wrong one ≤ 0.52 (ball and OR014
 * records, where the literature finds no diagnosable lines); 1 sits in the gap. Never tuned on UESTC.
 */
export const MIN_BAND_SK = 1;

export interface EvidenceInput {
  ses: Float64Array;
  df: number;
  /** Spectral kurtosis of the band the spectrum was demodulated from (MIN_BAND_SK). */
  sk: number;
  shaftHz: number;
  orders: FaultOrders;
}

/** Per-component line strengths and scores (BearingEvidence without its provenance fields). */
export function scoreEvidence({ ses, df, sk, shaftHz, orders }: EvidenceInput): Pick<BearingEvidence, 'linesDb' | 'bpfiSidebandsDb' | 'strengthDb' | 'scores'> {
  const harmonics = (order: number) => [1, 2, 3].map((h) => lineDb(ses, df, h * order * shaftHz, shaftHz));
  const bpfo = harmonics(orders.bpfo);
  const bpfi = harmonics(orders.bpfi);
  const bsf2 = harmonics(2 * orders.bsf);
  const ftf = harmonics(orders.ftf);
  // Sidebands sit at the line actually found ± the modulation rate (slip moves them with it).
  const around = (l: Line, offsetHz: number) => (lineDb(ses, df, l.hz - offsetHz, shaftHz, true).db + lineDb(ses, df, l.hz + offsetHz, shaftHz, true).db) / 2;
  const sidebands = around(bpfi[0], shaftHz);
  const ballSidebands = around(bsf2[0], orders.ftf * shaftHz);
  // Confirming lines count only behind a fundamental that is itself evidence: at low speeds another
  // component's harmonics and sidebands fall into their search windows (2×BPFI ≈ 3×BPFO for a 6205).
  const strength = (fund: number, ...confirm: number[]) => (fund >= START_DB ? fund + 0.5 * Math.max(0, ...confirm.map((c) => c - CONFIRM_DB)) : fund);
  const strengthDb = {
    outer_race: strength(bpfo[0].db, bpfo[1].db),
    inner_race: strength(bpfi[0].db, bpfi[1].db, sidebands),
    ball: strength(bsf2[0].db, bsf2[1].db, ballSidebands),
    cage: ftf[0].db,
  };
  const impulsive = sk >= MIN_BAND_SK;
  const score = (l: number) => (impulsive ? Math.min(1, Math.max(0, (l - START_DB) / SPAN_DB)) : 0);
  const db = (ls: Line[]) => ls.map((l) => l.db);
  return {
    linesDb: { bpfo: db(bpfo), bpfi: db(bpfi), bsf2: db(bsf2), ftf: db(ftf) },
    bpfiSidebandsDb: sidebands,
    strengthDb,
    scores: { outer_race: score(strengthDb.outer_race), inner_race: score(strengthDb.inner_race), ball: score(strengthDb.ball), cage: score(strengthDb.cage) },
  };
}

/**
 * dB of the highest bin near f over the median floor around it. Bins on integer shaft harmonics are
 * skipped unless f itself is one: shaft harmonics are in the envelope of most machines (unbalance,
 * looseness), and a bearing line that falls exactly on one cannot be told from it.
 */
export interface Line {
  db: number;
  /** Where the peak was found (f itself when there is none). */
  hz: number;
}

let floorScratch = new Float64Array(0);

export function lineDb(ses: Float64Array, df: number, f: number, shaftHz: number, exact = false): Line {
  const lo = Math.max(1, Math.floor((exact ? f - 1.5 * df : f * (1 - SEARCH.below)) / df));
  const hi = Math.ceil((exact ? f + 1.5 * df : f * (1 + SEARCH.above)) / df);
  const none = { db: 0, hz: f };
  if (hi >= ses.length || f <= 0) return none;
  const onHarmonic = (k: number) => {
    const order = (k * df) / shaftHz;
    return Math.abs(order - Math.round(order)) * shaftHz <= 1.01 * df && Math.round(order) >= 1;
  };
  const fIsHarmonic = Math.abs(f / shaftHz - Math.round(f / shaftHz)) * shaftHz <= df;
  let peak = 0;
  let at = -1;
  for (let k = lo; k <= hi; k++) {
    if ((fIsHarmonic || !onHarmonic(k)) && ses[k] > peak) {
      peak = ses[k];
      at = k;
    }
  }
  const span = Math.min(FLOOR_MAX_BINS, Math.max(FLOOR_MIN_BINS, Math.round((FLOOR_SPAN * f) / df)));
  // The floor's bins in a typed scratch array, sorted natively: a number[] sorted with a comparator
  // callback was the evidence's largest cost (16 lines per analysis, up to 2 × FLOOR_MAX_BINS bins each).
  if (floorScratch.length < 2 * span) floorScratch = new Float64Array(2 * span);
  let m = 0;
  for (let k = Math.max(1, lo - span); k < lo; k++) floorScratch[m++] = ses[k];
  for (let k = hi + 1; k <= Math.min(ses.length - 1, hi + span); k++) floorScratch[m++] = ses[k];
  if (m < 4 || peak <= 0) return none;
  const floorBins = floorScratch.subarray(0, m).sort();
  const floor = floorBins[m >> 1];
  return floor > 0 ? { db: 20 * Math.log10(peak / floor), hz: at * df } : none;
}

/**
 * The component the envelope alone points to: among those scoring at least `threshold`, the one with
 * the strongest lines (scores saturate at 1, strengths do not); none below the threshold.
 */
export function physicsVerdict(e: Pick<BearingEvidence, 'scores' | 'strengthDb'>, threshold = 0.5): 'outer_race' | 'inner_race' | 'ball' | null {
  let best: 'outer_race' | 'inner_race' | 'ball' | null = null;
  for (const c of ['outer_race', 'inner_race', 'ball'] as const) {
    if (e.scores[c] >= threshold && (best === null || e.strengthDb[c] > e.strengthDb[best])) best = c;
  }
  return best;
}

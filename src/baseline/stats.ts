// The statistics of an on-site baseline (docs/baseline.md), pure: a window's physics as a vector of
// features in dB, their running mean and variance while learning (Welford, one pass, numerically
// stable: Knuth TAOCP vol. 2, 4.2.2), and a window judged against the learnt baseline.
//
// Every feature is in dB, so one floor on the spread (settings baseline.minStdDb) keeps a very steady
// machine from alerting on a change no instrument would call significant, and a change reads the same
// way for every feature ("+7.2 dB").
//
// Two questions, kept apart so that neither answers for the other:
// - How loud? The broadband levels (RMS acceleration, RMS velocity) against ratios to their baseline
//   (alertRatio, dangerRatio), in the spirit of ISO 13373-1 and of ISO 20816-1's annex on alarms,
//   which set alarms relative to the machine's own baseline rather than absolute limits.
// - What shape? Crest factor, kurtosis and each octave band's share of the power (its level minus the
//   overall level) as one novelty score: the root mean square of their z-scores (a Mahalanobis distance
//   with a diagonal covariance, over √features so that a healthy window scores below 1 whatever their
//   number). A machine only louder does not move it; impacts or a new resonance do.
// Only rises count: faults add energy or impulsiveness, while a machine that stops or runs lighter
// falls below its baseline, and drsnd does not know the machine's running state: every stop would
// otherwise be a novelty.
import type { WindowPhysics } from '../physics/types.js';

/** How many times above its baseline level a broadband level is, and the novelty score, for the two levels. */
export interface BaselineLimits {
  alertRatio: number;
  dangerRatio: number;
  alertScore: number;
  dangerScore: number;
  /** Smallest standard deviation a feature is given, dB. */
  minStdDb: number;
}

export type BaselineLevel = 'normal' | 'alert' | 'danger';

/** Running statistics of the features (what is stored in SQLite, JSON). */
export interface BaselineStats {
  /** Feature names, in the order of `mean` and `m2` (featureNames). */
  features: string[];
  n: number;
  mean: number[];
  /** Sum of squared deviations from the mean (Welford's M2). */
  m2: number[];
}

/** The level features: judged by their ratio to the baseline as well as by the score. */
export const LEVEL_FEATURES: Readonly<Record<string, string>> = { rms: 'acceleration RMS', velocity: 'velocity RMS' };

const LABELS: Readonly<Record<string, string>> = { ...LEVEL_FEATURES, crest: 'crest factor', kurtosis: 'kurtosis' };

/**
 * Names of the features of a window whose spectrum has these octave bands (edges in Hz): the level
 * features first, then the shape features (a band's name stands for its share of the power).
 */
export function featureNames(bandEdges: readonly number[]): string[] {
  const bands = bandEdges.slice(1).map((hi, i) => `band ${Math.round(bandEdges[i])}-${Math.round(hi)} Hz`);
  return ['rms', 'velocity', 'crest', 'kurtosis', ...bands];
}

export function featureLabel(name: string): string {
  return LABELS[name] ?? name;
}

/** Below this a level is taken as this (-200 dB): a silent band stays finite. */
const TINY = 1e-10;
const db20 = (x: number) => 20 * Math.log10(Math.max(x, TINY));
const db10 = (x: number) => 10 * Math.log10(Math.max(x, TINY * TINY));

/** The features of a window, or null when its physics has no band levels (pipeline.physics off). */
export function windowFeatures(p: WindowPhysics | undefined): number[] | null {
  if (!p?.bandsDb) return null;
  const i = p.indicators;
  // Amplitudes in 20·log10, the power-like kurtosis (a fourth moment over a squared second) in 10·log10;
  // a band's share: its power (dB re 1 g²) minus the window's mean square (the same in 20·log10 of the RMS).
  const total = db20(i.rmsG);
  return [total, db20(i.velocityMmS), db20(i.crest), db10(i.kurtosis), ...p.bandsDb.map((b) => b - total)];
}

export function emptyStats(features: string[]): BaselineStats {
  return { features: [...features], n: 0, mean: features.map(() => 0), m2: features.map(() => 0) };
}

/** Adds one window's features (Welford's update). */
export function learn(s: BaselineStats, x: readonly number[]): void {
  s.n++;
  for (let i = 0; i < s.mean.length; i++) {
    const d = x[i] - s.mean[i];
    s.mean[i] += d / s.n;
    s.m2[i] += d * (x[i] - s.mean[i]);
  }
}

/** Sample standard deviation of feature i, at least minStdDb. */
export function stdDb(s: BaselineStats, i: number, minStdDb: number): number {
  const v = s.n > 1 ? s.m2[i] / (s.n - 1) : 0;
  return Math.max(Math.sqrt(v), minStdDb);
}

/** A stored statistics object is usable for windows with these features (same names, same count). */
export function statsMatch(s: BaselineStats, features: readonly string[]): boolean {
  return s.features.length === features.length && s.features.every((f, i) => f === features[i]) && s.mean.length === features.length && s.m2.length === features.length;
}

export interface Departure {
  feature: string;
  /** Window minus baseline mean, dB. */
  deltaDb: number;
  z: number;
}

export interface Judgement {
  level: BaselineLevel;
  /** Highest ratio of a level feature to its baseline (the baseline: the geometric mean of the learnt windows). */
  ratio: { feature: string; value: number };
  score: number;
  /** The shape features that rose most, largest z first (at most 3, z ≥ 1); a band's deltaDb is its share's. */
  top: Departure[];
  /** One sentence: which level, which feature, how many times its baseline. */
  reason: string;
}

const fmtDb = (d: number) => `${d >= 0 ? '+' : ''}${d.toFixed(1)} dB`;

export function judge(s: BaselineStats, x: readonly number[], limits: BaselineLimits): Judgement {
  const deps: Departure[] = [];
  let sum2 = 0;
  let shape = 0;
  let ratio = { feature: 'rms', value: 0 };
  for (let i = 0; i < s.features.length; i++) {
    const deltaDb = x[i] - s.mean[i];
    if (s.features[i] in LEVEL_FEATURES) {
      const r = 10 ** (deltaDb / 20);
      if (r > ratio.value) ratio = { feature: s.features[i], value: r };
      continue;
    }
    const z = deltaDb / stdDb(s, i, limits.minStdDb);
    shape++;
    if (z > 0) sum2 += z * z;
    deps.push({ feature: s.features[i], deltaDb, z });
  }
  const score = Math.sqrt(sum2 / Math.max(1, shape));
  const byRatio: BaselineLevel = ratio.value >= limits.dangerRatio ? 'danger' : ratio.value >= limits.alertRatio ? 'alert' : 'normal';
  const byScore: BaselineLevel = score >= limits.dangerScore ? 'danger' : score >= limits.alertScore ? 'alert' : 'normal';
  const rank = { normal: 0, alert: 1, danger: 2 } as const;
  const level = rank[byRatio] >= rank[byScore] ? byRatio : byScore;
  const top = deps.filter((d) => d.z >= 1).sort((a, b) => b.z - a.z).slice(0, 3);
  const r = `${featureLabel(ratio.feature)} ${ratio.value.toFixed(1)}× baseline (${fmtDb(20 * Math.log10(ratio.value))}; alert at ${limits.alertRatio}×, danger at ${limits.dangerRatio}×)`;
  const sc = `novelty score ${score.toFixed(1)} (alert at ${limits.alertScore}, danger at ${limits.dangerScore})${top.length ? `: ${top.map((d) => `${featureLabel(d.feature)} ${fmtDb(d.deltaDb)}`).join(', ')}` : ''}`;
  // The judgement that decided the level comes first.
  const reason = `${level === 'normal' ? 'within its baseline' : `departs from its baseline (${level})`}: ${rank[byScore] > rank[byRatio] ? `${sc}; ${r}` : `${r}; ${sc}`}`;
  return { level, ratio, score, top, reason };
}

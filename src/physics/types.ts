// What the physics analysis (src/physics/) adds to a window and a diagnosis. Plain data: it crosses
// worker threads (packed: src/runtime/physics-wire.ts) and is stored and published as is.
import type { FaultOrders } from './bearing.js';

/** The fused verdict's vocabulary: bearing components, plus the two answers that are not about the bearing. */
// `novelty`: the machine departs from its own on-site baseline (src/baseline/) while nothing else
// names a fault; set on the main thread after fusion, never by fuse().
export type Component = 'normal' | 'inner_race' | 'outer_race' | 'ball' | 'unknown' | 'sensor_fault' | 'novelty';
export const COMPONENTS: readonly Component[] = ['normal', 'inner_race', 'outer_race', 'ball', 'unknown', 'sensor_fault', 'novelty'];

export type IsoZone = 'A' | 'B' | 'C' | 'D';
export type Severity = 'none' | 'low' | 'medium' | 'high';

/** Condition indicators of one window, in the sensor's physical units (before normalization). */
export interface Indicators {
  /** RMS acceleration (mean removed), g. */
  rmsG: number;
  /** Largest |acceleration − mean|, g. */
  peakG: number;
  crest: number;
  /** Fourth standardized moment (3 for Gaussian noise). */
  kurtosis: number;
  /** RMS velocity 10-1000 Hz, mm/s (ISO 10816/20816 band), integrated in the frequency domain. */
  velocityMmS: number;
  /** Zone of velocityMmS for the sensor's configured machine class; null without one. */
  isoZone: IsoZone | null;
}

export type SpeedSource = 'fixed' | 'topic' | 'estimated';

/** Envelope-spectrum evidence for each bearing component, from the sensor's last ~1 s. */
export interface BearingEvidence {
  shaftHz: number;
  speedSource: SpeedSource;
  /** The demodulated band. */
  bandHz: [number, number];
  /** How the band was chosen: spectral kurtosis (its value), or the configured band. */
  band: 'kurtogram' | 'configured';
  /** Spectral kurtosis of the band's envelope in the analysed buffer: how impulsive it is (0: Gaussian noise). */
  bandSk: number;
  /** Peak vs local floor of the squared envelope spectrum, dB, at harmonics 1..3 of each defect frequency. */
  linesDb: { bpfo: number[]; bpfi: number[]; bsf2: number[]; ftf: number[] };
  /** Mean of the ±1× shaft sidebands around BPFI, dB over the floor. */
  bpfiSidebandsDb: number;
  /** Line strength per component, dB over the floor with confirming harmonics/sidebands added (evidence.ts). */
  strengthDb: { outer_race: number; inner_race: number; ball: number; cage: number };
  /** Evidence per component, 0 (none) … 1 (unmistakable). */
  scores: { outer_race: number; inner_race: number; ball: number; cage: number };
  /** Epoch ms of the analysed stretch's last sample. */
  at: number;
}

export type SensorFaultKind = 'flatline' | 'clipping' | 'dc_drift' | 'offset_jump' | 'mains' | 'spikes';

export interface SensorFaultFinding {
  kind: SensorFaultKind;
  detail: string;
}

/** What the signal path attaches to a window besides its samples. */
export interface WindowPhysics {
  indicators: Indicators;
  /** null: no evidence, for the reason in evidenceNote. */
  evidence: BearingEvidence | null;
  evidenceNote?: string;
  sensorFaults: SensorFaultFinding[];
  /** The model's out-of-distribution score of this window and its threshold (models that define one). */
  ood?: { score: number; threshold: number };
  /** The sensor checks cannot judge drift yet (the first ~0.5 s after a start or a gap). */
  settling?: boolean;
  /**
   * Octave-band levels of the window, dB re 1 g² (indicators.ts octaveBandEdges up to 0.4 × the model
   * rate): the spectral shape the on-site baseline learns (src/baseline/). Not stored or published.
   */
  bandsDb?: number[];
}

/** The one diagnosis a user reads: the DRSN, the evidence and the sensor checks fused (fuse.ts). */
export interface Fusion {
  component: Component;
  confidence: number;
  severity: Severity;
  reason: string;
}

/** A sensor's machine metadata, resolved from config (machine.ts). */
export interface MachineInfo {
  orders: FaultOrders | null;
  speed: { mode: 'fixed'; hz: number } | { mode: 'topic'; topic: string } | { mode: 'estimate'; minHz: number; maxHz: number } | null;
  /** Velocity limits A/B, B/C, C/D in mm/s. */
  isoZones: [number, number, number] | null;
  envelopeBandHz: [number, number] | null;
}

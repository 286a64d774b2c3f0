// Synthetic drive-end bearing vibration modelled on the CWRU rig (SKF 6205 at ~1797 rpm), for the
// simulator source and demos without hardware. The model is the textbook one (McFadden & Smith
// 1984; Randall & Antoni, MSSP 25, 2011): every time a rolling element meets a localised defect, the
// impact rings a structural resonance (here ~3 kHz) that decays within a few milliseconds. Impacts
// repeat at the defect frequency with a little random slip, and are amplitude-modulated by the
// load zone: not at all for a stationary outer-race defect, at shaft rate for an inner-race defect
// that rotates with the shaft, at cage rate for a ball defect carried round by the cage.
// On top: shaft harmonics (residual unbalance/misalignment), broadband structural response and
// sensor noise. Amplitudes (in g) are set so the healthy signal has a standard deviation close to
// CWRU 97_DE (~0.07 g) and faults at severity 1 land within CWRU's fault range (~0.1-0.6 g).

export type BearingCondition = 'normal' | 'inner_race' | 'outer_race' | 'ball';

export interface BearingGeometry {
  balls: number;
  ballDiameterIn: number;
  pitchDiameterIn: number;
  contactAngleDeg: number;
}

/** CWRU drive-end bearing, SKF 6205-2RS JEM (CWRU bearing data center, "Bearing specifications"). */
export const SKF_6205: BearingGeometry = { balls: 9, ballDiameterIn: 0.3126, pitchDiameterIn: 1.537, contactAngleDeg: 0 };

/** Defect frequencies as multiples of shaft speed, as CWRU tabulates them for the 6205. */
export const CWRU_DE_ORDERS = { bpfi: 5.4152, bpfo: 3.5848, bsf: 2.357, ballPass: 4.7135, ftf: 0.39828 } as const;

/** Defect orders from geometry (REFERENCE.md formulas). ballPass = 2×BSF: a ball defect hits both races per spin. */
export function defectOrders(g: BearingGeometry): { bpfi: number; bpfo: number; bsf: number; ballPass: number; ftf: number } {
  const r = (g.ballDiameterIn / g.pitchDiameterIn) * Math.cos((g.contactAngleDeg * Math.PI) / 180);
  const bsf = (g.pitchDiameterIn / (2 * g.ballDiameterIn)) * (1 - r * r);
  return { bpfi: (g.balls / 2) * (1 + r), bpfo: (g.balls / 2) * (1 - r), bsf, ballPass: 2 * bsf, ftf: (1 - r) / 2 };
}

/** Impact repetition frequency in Hz of a condition at a shaft speed; null for a healthy bearing. */
export function defectFrequencyHz(condition: BearingCondition, rpm: number): number | null {
  const fr = rpm / 60;
  switch (condition) {
    case 'inner_race': return CWRU_DE_ORDERS.bpfi * fr;
    case 'outer_race': return CWRU_DE_ORDERS.bpfo * fr;
    case 'ball': return CWRU_DE_ORDERS.ballPass * fr;
    case 'normal': return null;
  }
}

export interface BearingSimOptions {
  rateHz: number;
  condition: BearingCondition;
  /** Impact amplitude relative to the default fault (1 ≈ a CWRU 7-14 mil fault); 0 = healthy. */
  severity?: number;
  rpm?: number;
  /** Sensor noise, g RMS. */
  noiseRms?: number;
  seed?: number;
  /** Structural resonance the impacts excite; default 3 kHz, or 0.3 × rate for slow sensors. */
  resonanceHz?: number;
  /** Overall scale (other axes of a triaxial sensor see less than the radial one). */
  gain?: number;
}

/** Per-condition impact amplitude (g) at severity 1, and load-zone modulation depth. */
const IMPACT: Record<Exclude<BearingCondition, 'normal'>, { amp: number; slip: number }> = {
  outer_race: { amp: 1.5, slip: 0.005 },
  inner_race: { amp: 2.0, slip: 0.01 },
  ball: { amp: 1.5, slip: 0.01 },
};
const HARMONICS_G = [0.01, 0.005, 0.003];
const STRUCTURAL_RMS_G = 0.02;
/**
 * Narrow lines of the healthy CWRU rig, measured in record 97 (drive end, Welch PSD): about 35 % of
 * its power at 4145 Hz, 17 % at 4263 Hz, 4 % at 4383 Hz (120 Hz apart: electrical, not the bearing)
 * and 2 % at 360 Hz; amplitudes in g for its 0.071 g RMS. The rig's motor makes them whatever the
 * bearing's state. They are also what a CWRU-trained model learns "Normal" by, since 97 is the only
 * healthy record: a property of that data set, said in the README, not of healthy bearings in general.
 */
const RIG_LINES: ReadonlyArray<{ hz: number; ampG: number }> = [
  { hz: 4145, ampG: 0.059 },
  { hz: 4263, ampG: 0.042 },
  { hz: 4383, ampG: 0.019 },
  { hz: 360, ampG: 0.014 },
];
const RESONANCE_DAMPING = 0.05;
/** Impacts ring until they have decayed to 1e-3 of their peak. */
const RING_DECADES = Math.log(1000);

/** mulberry32: tiny, fast, good enough for noise, and reproducible from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rand();
    const v = rand();
    const m = Math.sqrt(-2 * Math.log(u));
    spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  };
}

interface Impact {
  /** Onset, seconds from the stream start. */
  t: number;
  amp: number;
  omegaD: number;
  decay: number;
  end: number;
}

/**
 * Generates the signal in consecutive blocks; any split into blocks yields the same samples as one
 * long block (phases are computed from the absolute sample index, impacts ringing across a block
 * boundary carry over, and noise and impacts draw from separate random streams).
 */
export class BearingSimulator {
  private readonly rate: number;
  private readonly fr: number;
  private readonly noiseRms: number;
  private readonly gain: number;
  private readonly impactAmp: number;
  private readonly slip: number;
  private readonly defectHz: number | null;
  private readonly modHz: number;
  private readonly modPhase: number;
  private readonly harmonicPhases: number[];
  private readonly rigLines: Array<{ omega: number; amp: number; phase: number }>;
  private readonly resonanceHz: number;
  private readonly noise: () => number;
  private readonly impactRand: () => number;
  private readonly impactGauss: () => number;
  // Structural response: white noise through a two-pole resonator, state kept across blocks.
  private readonly a1: number;
  private readonly a2: number;
  private readonly b0: number;
  private y1 = 0;
  private y2 = 0;
  private n = 0;
  private nextImpact: number;
  private active: Impact[] = [];

  constructor(private readonly opts: BearingSimOptions) {
    this.rate = opts.rateHz;
    const rpm = opts.rpm ?? 1797;
    this.fr = rpm / 60;
    this.noiseRms = opts.noiseRms ?? 0.02;
    this.gain = opts.gain ?? 1;
    const seed = opts.seed ?? 1;
    const setup = mulberry32(seed ^ 0x5eed);
    this.noise = gaussian(mulberry32(seed));
    this.impactRand = mulberry32(seed + 0x9e3779b9);
    this.impactGauss = gaussian(this.impactRand);
    this.harmonicPhases = HARMONICS_G.map(() => 2 * Math.PI * setup());
    // Lines above 0.45 × rate cannot be represented by a slower sensor (and its anti-alias filter removes them).
    this.rigLines = RIG_LINES.filter((l) => l.hz < 0.45 * opts.rateHz).map((l) => ({ omega: 2 * Math.PI * l.hz, amp: l.ampG, phase: 2 * Math.PI * setup() }));
    this.modPhase = 2 * Math.PI * setup();
    this.resonanceHz = opts.resonanceHz ?? Math.min(3000, 0.3 * this.rate);

    const theta = (2 * Math.PI * this.resonanceHz) / this.rate;
    const r = Math.exp(-RESONANCE_DAMPING * theta);
    this.a1 = 2 * r * Math.cos(theta);
    this.a2 = -r * r;
    // Stationary variance of the AR(2) output for unit white input, to scale it to STRUCTURAL_RMS_G.
    const r2 = r * r;
    const variance = (1 + r2) / ((1 - r2) * ((1 + r2) ** 2 - 4 * r2 * Math.cos(theta) ** 2));
    this.b0 = STRUCTURAL_RMS_G / Math.sqrt(variance);

    const severity = opts.severity ?? 1;
    const defectHz = defectFrequencyHz(opts.condition, rpm);
    this.defectHz = severity > 0 ? defectHz : null;
    const impact = opts.condition === 'normal' ? { amp: 0, slip: 0 } : IMPACT[opts.condition];
    this.impactAmp = impact.amp * severity;
    this.slip = impact.slip;
    // Load-zone modulation: none for a stationary outer-race defect, shaft rate for the inner race,
    // cage rate for a ball.
    this.modHz = opts.condition === 'inner_race' ? this.fr : opts.condition === 'ball' ? CWRU_DE_ORDERS.ftf * this.fr : 0;
    this.nextImpact = this.defectHz ? this.impactRand() / this.defectHz : Infinity;
  }

  get condition(): BearingCondition {
    return this.opts.condition;
  }

  /** Samples generated so far. */
  get position(): number {
    return this.n;
  }

  /** The next `count` samples, in g. */
  next(count: number): Float32Array {
    const out = new Float64Array(count);
    const rate = this.rate;
    const n0 = this.n;
    for (let i = 0; i < count; i++) {
      const t = (n0 + i) / rate;
      let v = 0;
      for (let h = 0; h < HARMONICS_G.length; h++) v += HARMONICS_G[h] * Math.sin(2 * Math.PI * (h + 1) * this.fr * t + this.harmonicPhases[h]);
      for (const l of this.rigLines) v += l.amp * Math.sin(l.omega * t + l.phase);
      const y = this.a1 * this.y1 + this.a2 * this.y2 + this.b0 * this.noise();
      this.y2 = this.y1;
      this.y1 = y;
      out[i] = v + y + this.noiseRms * this.noise();
    }
    this.addImpacts(out, n0, count);
    this.n += count;
    const res = new Float32Array(count);
    for (let i = 0; i < count; i++) res[i] = out[i] * this.gain;
    return res;
  }

  private addImpacts(out: Float64Array, n0: number, count: number): void {
    const rate = this.rate;
    const blockEnd = (n0 + count) / rate;
    while (this.defectHz && this.nextImpact < blockEnd) {
      const t = this.nextImpact;
      const mod = this.modHz > 0 ? 0.55 + 0.45 * Math.cos(2 * Math.PI * this.modHz * t + this.modPhase) : 1;
      // Each impact rings a slightly different mode shape: ±3 % resonance, ±10 % amplitude.
      const omegaN = 2 * Math.PI * this.resonanceHz * (1 + 0.03 * this.impactGauss());
      const decay = RESONANCE_DAMPING * omegaN;
      this.active.push({
        t,
        amp: this.impactAmp * mod * (1 + 0.1 * this.impactGauss()),
        omegaD: omegaN * Math.sqrt(1 - RESONANCE_DAMPING ** 2),
        decay,
        end: t + RING_DECADES / decay,
      });
      // Rolling elements slip a little, so the spacing of impacts jitters around the mean period.
      this.nextImpact = t + (1 + this.slip * this.impactGauss()) / this.defectHz;
    }
    for (const imp of this.active) {
      const first = Math.max(n0, Math.ceil(imp.t * rate));
      const last = Math.min(n0 + count - 1, Math.floor(imp.end * rate));
      for (let m = first; m <= last; m++) {
        const tau = m / rate - imp.t;
        out[m - n0] += imp.amp * Math.exp(-imp.decay * tau) * Math.sin(imp.omegaD * tau);
      }
    }
    this.active = this.active.filter((imp) => imp.end * rate >= n0 + count);
  }
}

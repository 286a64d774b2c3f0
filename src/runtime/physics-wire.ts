// A window's physics (WindowPhysics) on the DSP wire: its numbers in one transferred Float64Array per
// message, its strings and objects only when they change.
//
// Why: structured clone of a WindowPhysics (indicators, band levels, findings, a note: ~25 properties)
// cost both threads more than computing it. At 300 channels (~3,500 windows/s) the clone was the main
// thread's largest single addition with the physics on (V8 profile, docs/physics.md "Cost"), and the
// numbers are what every window carries, while the evidence and its note change every few seconds.
import { bandEdgesFor } from '../physics/indicators.js';
import type { BearingEvidence, IsoZone, SensorFaultFinding, WindowPhysics } from '../physics/types.js';
import type { ModelMetadata } from '../types.js';

/** Float64 slots before a window's band levels: 6 indicators and the flags. */
const HEAD = 7;
const ZONES: readonly IsoZone[] = ['A', 'B', 'C', 'D'];
const SETTLING = 1;
const HAS_BANDS = 2;

/**
 * What a window's physics carries besides numbers. `ev` and `n` are sticky: present only when they
 * differ from the last sent for the same sensor and axis (null = none); `f` and `ood` are the window's own.
 */
export interface WirePhysicsRare {
  ev?: BearingEvidence | null;
  n?: string | null;
  f?: SensorFaultFinding[];
  ood?: { score: number; threshold: number };
}

/** Band levels per window for a model (the physics' octave bands at its rate). */
export function physicsBands(model: ModelMetadata): number {
  return bandEdgesFor(model.input.sampleRateHz).length - 1;
}

/** Float64 slots per window for `bands` band levels. */
export function physicsStride(bands: number): number {
  return HEAD + bands;
}

interface Sticky {
  ev: BearingEvidence | null;
  n: string | null;
}

/**
 * The worker's side: one per worker thread. `key` names a sensor and axis. reset() after windows were
 * lost (their sticky fields with them): the next window of every key then carries its own again.
 */
export class PhysicsEncoder {
  private sent = new Map<number, Sticky>();

  constructor(private readonly bands: number) {}

  get stride(): number {
    return physicsStride(this.bands);
  }

  /** Writes p's numbers at out[at…at+stride) and returns what else must travel (undefined: nothing). */
  encode(key: number, p: WindowPhysics, out: Float64Array, at: number): WirePhysicsRare | undefined {
    const i = p.indicators;
    out[at] = i.rmsG;
    out[at + 1] = i.peakG;
    out[at + 2] = i.crest;
    out[at + 3] = i.kurtosis;
    out[at + 4] = i.velocityMmS;
    out[at + 5] = i.isoZone === null ? -1 : ZONES.indexOf(i.isoZone);
    const b = p.bandsDb;
    if (b && b.length !== this.bands) throw new RangeError(`physics wire: ${b.length} band levels, ${this.bands} expected`);
    out[at + 6] = (p.settling ? SETTLING : 0) | (b ? HAS_BANDS : 0);
    if (b) for (let k = 0; k < b.length; k++) out[at + HEAD + k] = b[k];
    let rare: WirePhysicsRare | undefined;
    const ev = p.evidence;
    const n = p.evidenceNote ?? null;
    const last = this.sent.get(key);
    if (!last || last.ev !== ev) (rare ??= {}).ev = ev;
    if (!last || last.n !== n) (rare ??= {}).n = n;
    if (!last) this.sent.set(key, { ev, n });
    else {
      last.ev = ev;
      last.n = n;
    }
    if (p.sensorFaults.length > 0) (rare ??= {}).f = p.sensorFaults;
    if (p.ood) (rare ??= {}).ood = p.ood;
    return rare;
  }

  reset(): void {
    this.sent.clear();
  }
}

/** The main thread's side: one per worker (a replacement worker starts a new one, as its encoder does). */
export class PhysicsDecoder {
  private known = new Map<number, Sticky>();

  constructor(private readonly bands: number) {}

  decode(key: number, buf: Float64Array, at: number, rare: WirePhysicsRare | undefined): WindowPhysics {
    let st = this.known.get(key);
    if (!st) this.known.set(key, (st = { ev: null, n: null }));
    if (rare?.ev !== undefined) st.ev = rare.ev;
    if (rare?.n !== undefined) st.n = rare.n;
    const z = buf[at + 5];
    const p: WindowPhysics = {
      indicators: { rmsG: buf[at], peakG: buf[at + 1], crest: buf[at + 2], kurtosis: buf[at + 3], velocityMmS: buf[at + 4], isoZone: z < 0 ? null : ZONES[z] },
      evidence: st.ev,
      sensorFaults: rare?.f ?? [],
    };
    const flags = buf[at + 6];
    if (st.n !== null) p.evidenceNote = st.n;
    if (rare?.ood) p.ood = rare.ood;
    if (flags & SETTLING) p.settling = true;
    if (flags & HAS_BANDS) p.bandsDb = Array.from(buf.subarray(at + HEAD, at + HEAD + this.bands));
    return p;
  }
}

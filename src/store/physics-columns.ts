// The physics and fusion fields of a diagnosis as SQLite columns (schema step 4), and back. Scalars
// only: the full evidence (every line's dB) is published on MQTT but not kept, so a row grows by
// ~100 bytes, not ~400 (5 million rows on an SD card).
import type { Diagnosis } from '../types.js';
import type { Component, Fusion, Indicators, IsoZone, SensorFaultKind, Severity, SpeedSource } from '../physics/types.js';

/** Column names, in the order of the INSERT (partitions.ts) and of schema step 4 (migrations.ts). */
export const PHYSICS_COLUMNS = [
  'component', 'fused_confidence', 'severity', 'reason',
  'rms_g', 'peak_g', 'crest', 'kurtosis', 'velocity_mm_s', 'iso_zone',
  'shaft_hz', 'speed_source', 'ev_outer', 'ev_inner', 'ev_ball', 'ev_cage', 'sensor_faults',
] as const;

export type PhysicsColumn = (typeof PHYSICS_COLUMNS)[number];

export interface PhysicsRow {
  component: Component | null; fused_confidence: number | null; severity: Severity | null; reason: string | null;
  rms_g: number | null; peak_g: number | null; crest: number | null; kurtosis: number | null; velocity_mm_s: number | null; iso_zone: IsoZone | null;
  shaft_hz: number | null; speed_source: SpeedSource | null; ev_outer: number | null; ev_inner: number | null; ev_ball: number | null; ev_cage: number | null;
  /** Comma-separated kinds; the details are in `reason`. */
  sensor_faults: string | null;
}

/** What a stored diagnosis carries of its physics (Diagnosis.physics is not stored whole). */
export interface StoredPhysics {
  fusion?: Fusion;
  indicators?: Indicators;
  shaftHz?: number;
  speedSource?: SpeedSource;
  /** Envelope evidence per component, 0..1; absent where there was none. */
  evidence?: { outer_race: number; inner_race: number; ball: number; cage: number };
  sensorFaults?: SensorFaultKind[];
}

/** Named parameters for the INSERT (null where the diagnosis has no physics). */
export function physicsParams(d: Diagnosis): PhysicsRow {
  const f = d.fusion;
  const i = d.physics?.indicators;
  const e = d.physics?.evidence;
  const faults = d.physics?.sensorFaults ?? [];
  return {
    component: f?.component ?? null, fused_confidence: f?.confidence ?? null, severity: f?.severity ?? null, reason: f?.reason ?? null,
    rms_g: i?.rmsG ?? null, peak_g: i?.peakG ?? null, crest: i?.crest ?? null, kurtosis: i?.kurtosis ?? null,
    velocity_mm_s: i?.velocityMmS ?? null, iso_zone: i?.isoZone ?? null,
    shaft_hz: e?.shaftHz ?? null, speed_source: e?.speedSource ?? null,
    ev_outer: e?.scores.outer_race ?? null, ev_inner: e?.scores.inner_race ?? null, ev_ball: e?.scores.ball ?? null, ev_cage: e?.scores.cage ?? null,
    sensor_faults: faults.length ? faults.map((x) => x.kind).join(',') : null,
  };
}

/** physicsParams' values in PHYSICS_COLUMNS order (the INSERT's positional parameters: partitions.ts). */
export function physicsValues(d: Diagnosis): PhysicsRow[PhysicsColumn][] {
  const r = physicsParams(d);
  return PHYSICS_COLUMNS.map((c) => r[c]);
}

export function physicsFromRow(r: PhysicsRow): StoredPhysics {
  const out: StoredPhysics = {};
  if (r.component !== null) out.fusion = { component: r.component, confidence: r.fused_confidence ?? 0, severity: r.severity ?? 'none', reason: r.reason ?? '' };
  if (r.rms_g !== null) {
    out.indicators = { rmsG: r.rms_g, peakG: r.peak_g ?? 0, crest: r.crest ?? 0, kurtosis: r.kurtosis ?? 0, velocityMmS: r.velocity_mm_s ?? 0, isoZone: r.iso_zone };
  }
  if (r.shaft_hz !== null) out.shaftHz = r.shaft_hz;
  if (r.speed_source !== null) out.speedSource = r.speed_source;
  if (r.ev_outer !== null) out.evidence = { outer_race: r.ev_outer, inner_race: r.ev_inner ?? 0, ball: r.ev_ball ?? 0, cage: r.ev_cage ?? 0 };
  if (r.sensor_faults) out.sensorFaults = r.sensor_faults.split(',') as SensorFaultKind[];
  return out;
}

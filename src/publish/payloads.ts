// JSON payloads published by drsnd (docs/topics.md shows an example of each). Pure builders.
import type { AlertEvent, AlertTransition, Diagnosis } from '../types.js';
import type { Component, Indicators, SensorFaultFinding, Severity, SpeedSource } from '../physics/types.js';
import { isoTime as iso } from '../util/iso-time.js';
import { alertKindOf, type AlertKind } from '../pipeline/alert-state.js';

/** Six decimals is far below model noise and keeps a 10-class payload around 400 bytes. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface DiagnosisPayload {
  gatewayId: string;
  sensorId: string;
  asset: string;
  channel: string;
  windowStart: string;
  windowEnd: string;
  classIndex: number;
  className: string;
  kind: 'normal' | 'fault';
  confidence: number;
  probabilities: number[];
  modelId: string;
  modelVersion: string;
  latencyMs: number;
  /** The fused verdict (docs/topics.md): absent only for diagnoses made outside the signal path. */
  component?: Component;
  componentConfidence?: number;
  severity?: Severity;
  reason?: string;
  indicators?: Indicators;
  /** Envelope evidence, or null with evidenceNote saying why there is none. */
  evidence?: {
    shaftHz: number; speedSource: SpeedSource; bandHz: [number, number];
    scores: { outer_race: number; inner_race: number; ball: number; cage: number };
    /** dB over the floor at 1× BPFO, BPFI, 2×BSF, FTF. */
    linesDb: { bpfo: number; bpfi: number; bsf2: number; ftf: number };
  } | null;
  evidenceNote?: string;
  sensorFaults?: SensorFaultFinding[];
}

const round3 = (x: number) => Math.round(x * 1e3) / 1e3;
const round1 = (x: number) => Math.round(x * 10) / 10;

export function diagnosisPayload(gatewayId: string, d: Diagnosis): DiagnosisPayload {
  const p: DiagnosisPayload = {
    gatewayId, sensorId: d.sensorId, asset: d.asset, channel: d.channel,
    windowStart: iso(d.windowStart), windowEnd: iso(d.windowEnd),
    classIndex: d.classIndex, className: d.className, kind: d.kind, confidence: round6(d.confidence),
    probabilities: d.probabilities.map(round6), modelId: d.modelId, modelVersion: d.modelVersion,
    latencyMs: Math.round(d.latencyMs * 100) / 100,
  };
  if (d.fusion) {
    p.component = d.fusion.component;
    p.componentConfidence = round6(d.fusion.confidence);
    p.severity = d.fusion.severity;
    p.reason = d.fusion.reason;
  }
  const ph = d.physics;
  if (ph) {
    const i = ph.indicators;
    p.indicators = { rmsG: round6(i.rmsG), peakG: round6(i.peakG), crest: round3(i.crest), kurtosis: round3(i.kurtosis), velocityMmS: round3(i.velocityMmS), isoZone: i.isoZone };
    const e = ph.evidence;
    p.evidence = e ? {
      shaftHz: round3(e.shaftHz), speedSource: e.speedSource, bandHz: [Math.round(e.bandHz[0]), Math.round(e.bandHz[1])],
      scores: { outer_race: round3(e.scores.outer_race), inner_race: round3(e.scores.inner_race), ball: round3(e.scores.ball), cage: round3(e.scores.cage) },
      linesDb: { bpfo: round1(e.linesDb.bpfo[0]), bpfi: round1(e.linesDb.bpfi[0]), bsf2: round1(e.linesDb.bsf2[0]), ftf: round1(e.linesDb.ftf[0]) },
    } : null;
    if (ph.evidenceNote) p.evidenceNote = ph.evidenceNote;
    p.sensorFaults = ph.sensorFaults;
  }
  return p;
}

/** What the publisher remembers of an active alert, to fill the alert and health topics. */
export interface ActiveAlert {
  alertId: number;
  sensorId: string;
  asset: string;
  className: string;
  previousClassName: string | null;
  confidence: number;
  peakConfidence: number;
  raisedAt: number;
  changedAt: number;
}

export interface AlertPayload {
  gatewayId: string;
  alertId: number;
  sensorId: string;
  asset: string;
  state: 'active';
  className: string;
  /** bearing (className is the component), sensor_fault or unknown. */
  alertKind: AlertKind;
  previousClassName: string | null;
  confidence: number;
  peakConfidence: number;
  raisedAt: string;
  changedAt: string;
}

export function alertPayload(gatewayId: string, a: ActiveAlert): AlertPayload {
  return {
    gatewayId, alertId: a.alertId, sensorId: a.sensorId, asset: a.asset, state: 'active',
    className: a.className, alertKind: alertKindOf(a.className), previousClassName: a.previousClassName, confidence: round6(a.confidence),
    peakConfidence: round6(a.peakConfidence), raisedAt: iso(a.raisedAt), changedAt: iso(a.changedAt),
  };
}

export interface AlertEventPayload {
  gatewayId: string;
  alertId: number;
  sensorId: string;
  asset: string;
  transition: AlertTransition;
  className: string;
  alertKind: AlertKind;
  previousClassName: string | null;
  confidence: number;
  at: string;
}

export function alertEventPayload(gatewayId: string, alertId: number, e: AlertEvent): AlertEventPayload {
  return {
    gatewayId, alertId, sensorId: e.sensorId, asset: e.asset, transition: e.transition,
    className: e.className, alertKind: alertKindOf(e.className), previousClassName: e.previousClassName, confidence: round6(e.confidence), at: iso(e.at),
  };
}

export type HealthStatus = 'ok' | 'fault' | 'unknown';

export interface HealthPayload {
  gatewayId: string;
  sensorId: string;
  asset: string;
  /** fault: an alert is active; ok: diagnosing, no active alert; unknown: no diagnosis yet. */
  status: HealthStatus;
  lastClass: string | null;
  lastKind: 'normal' | 'fault' | null;
  /** The latest fused verdict's component (normal, outer_race, …, sensor_fault). */
  lastComponent?: Component | null;
  confidence: number | null;
  channel: string | null;
  /** alertId and raisedAt are null when only the alert tracker knows of the alert (open since before a restart). */
  activeAlert: { alertId: number | null; className: string; raisedAt: string | null } | null;
  /** End of the latest diagnosed window; null before the first diagnosis. */
  time: string | null;
  updatedAt: string;
}

export function healthPayload(
  gatewayId: string, sensorId: string, asset: string, last: Diagnosis | undefined,
  alert: ActiveAlert | undefined, now: number, activeClassHint: string | null = null,
): HealthPayload {
  return {
    gatewayId, sensorId, asset,
    status: alert || activeClassHint !== null ? 'fault' : last ? 'ok' : 'unknown',
    lastClass: last?.className ?? null,
    lastKind: last?.kind ?? null,
    lastComponent: last?.fusion?.component ?? null,
    confidence: last ? round6(last.confidence) : null,
    channel: last?.channel ?? null,
    activeAlert: alert ? { alertId: alert.alertId, className: alert.className, raisedAt: iso(alert.raisedAt) }
      : activeClassHint !== null ? { alertId: null, className: activeClassHint, raisedAt: null } : null,
    time: last ? iso(last.windowEnd) : null,
    updatedAt: iso(now),
  };
}

// JSON payloads published by drsnd (docs/topics.md shows an example of each). Pure builders.
import type { AlertEvent, AlertEventKind, Diagnosis } from '../types.js';
import type { Component, Indicators, SensorFaultKind, Severity, SpeedSource } from '../physics/types.js';
import { physicsFromRow, physicsParams, type StoredPhysics } from '../store/physics-columns.js';
import { isoTime as iso } from '../util/iso-time.js';
import { alertKindOf, type AlertKind } from '../pipeline/alert-state.js';

/** Six decimals is far below model noise and keeps a 10-class payload around 400 bytes. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * A message's stable id: `<store id>-d<row id>` for a diagnosis, `<store id>-e<row id>` for an alert
 * event. The same row always gets the same id, also when QoS 1 or the outbox sends it again after a
 * reconnect or restart, so a subscriber de-duplicates on it; the store id (random, per database file)
 * keeps ids apart across gateways and across a database that was replaced.
 */
export function messageId(storeId: string, kind: 'd' | 'e', rowId: number): string {
  return `${storeId}-${kind}${rowId}`;
}

export interface DiagnosisPayload {
  /** Stable message id (messageId): de-duplicate QoS 1 redeliveries on it. */
  id: string;
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
  /** The shaft speed the evidence used, and where it came from. */
  shaftHz?: number;
  speedSource?: SpeedSource;
  /** Envelope evidence per component, 0-1 (absent without evidence: the reason says why). */
  evidence?: { outer_race: number; inner_race: number; ball: number; cage: number };
  /** Kinds of the sensor findings (their details are in the reason). */
  sensorFaults?: SensorFaultKind[];
}

const round3 = (x: number) => Math.round(x * 1e3) / 1e3;

export function diagnosisPayload(gatewayId: string, id: string, d: Diagnosis): DiagnosisPayload {
  const p: DiagnosisPayload = {
    id, gatewayId, sensorId: d.sensorId, asset: d.asset, channel: d.channel,
    // As SQLite has them (INTEGER ms, float32 probabilities), so a message built from a committed batch
    // and the same row read back from the outbox after a reconnect are the same bytes.
    windowStart: iso(Math.round(d.windowStart)), windowEnd: iso(Math.round(d.windowEnd)),
    classIndex: d.classIndex, className: d.className, kind: d.kind, confidence: round6(d.confidence),
    probabilities: d.probabilities.map((p) => round6(Math.fround(p))), modelId: d.modelId, modelVersion: d.modelVersion,
    latencyMs: Math.round(d.latencyMs * 100) / 100,
  };
  // From what SQLite keeps (store/physics-columns.ts), so a message resent from the outbox after a
  // reconnect is the same bytes as the one built from the live diagnosis.
  const st: StoredPhysics = d.physics ? physicsFromRow(physicsParams(d)) : (d as StoredPhysics);
  if (st.fusion) {
    p.component = st.fusion.component;
    p.componentConfidence = round6(st.fusion.confidence);
    p.severity = st.fusion.severity;
    p.reason = st.fusion.reason;
  }
  const i = st.indicators;
  if (i) p.indicators = { rmsG: round6(i.rmsG), peakG: round6(i.peakG), crest: round3(i.crest), kurtosis: round3(i.kurtosis), velocityMmS: round3(i.velocityMmS), isoZone: i.isoZone };
  if (st.shaftHz !== undefined) p.shaftHz = round3(st.shaftHz);
  if (st.speedSource !== undefined) p.speedSource = st.speedSource;
  if (st.evidence) {
    const e = st.evidence;
    p.evidence = { outer_race: round3(e.outer_race), inner_race: round3(e.inner_race), ball: round3(e.ball), cage: round3(e.cage) };
  }
  if (st.sensorFaults) p.sensorFaults = st.sensorFaults;
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
  /** Set once an operator acknowledged it (CLI, HTTP or MQTT); optional for alerts built before. */
  acknowledgedAt?: number | null;
  acknowledgedBy?: string | null;
}

export interface AlertPayload {
  gatewayId: string;
  alertId: number;
  sensorId: string;
  asset: string;
  state: 'active';
  className: string;
  /** bearing (className is the component), sensor_fault, unknown or novelty (departs from the on-site baseline). */
  alertKind: AlertKind;
  previousClassName: string | null;
  confidence: number;
  peakConfidence: number;
  raisedAt: string;
  changedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export function alertPayload(gatewayId: string, a: ActiveAlert): AlertPayload {
  return {
    gatewayId, alertId: a.alertId, sensorId: a.sensorId, asset: a.asset, state: 'active',
    className: a.className, alertKind: alertKindOf(a.className), previousClassName: a.previousClassName, confidence: round6(a.confidence),
    peakConfidence: round6(a.peakConfidence), raisedAt: iso(a.raisedAt), changedAt: iso(a.changedAt),
    acknowledgedAt: a.acknowledgedAt == null ? null : iso(a.acknowledgedAt), acknowledgedBy: a.acknowledgedBy ?? null,
  };
}

export interface AlertEventPayload {
  /** Stable message id (messageId): de-duplicate QoS 1 redeliveries on it. */
  id: string;
  gatewayId: string;
  alertId: number;
  sensorId: string;
  asset: string;
  transition: AlertEventKind;
  className: string;
  alertKind: AlertKind;
  previousClassName: string | null;
  confidence: number;
  at: string;
  /** Only on `acknowledged`: who acknowledged (null when nobody was named). */
  by?: string | null;
}

/** An event as stored: a state machine transition, or an acknowledgement with who made it. */
export type StoredAlertEvent = Omit<AlertEvent, 'transition'> & { transition: AlertEventKind; by?: string | null };

export function alertEventPayload(gatewayId: string, id: string, alertId: number, e: StoredAlertEvent): AlertEventPayload {
  const p: AlertEventPayload = {
    id, gatewayId, alertId, sensorId: e.sensorId, asset: e.asset, transition: e.transition,
    className: e.className, alertKind: alertKindOf(e.className), previousClassName: e.previousClassName, confidence: round6(e.confidence), at: iso(e.at),
  };
  if (e.transition === 'acknowledged') p.by = e.by ?? null;
  return p;
}

export type HealthStatus = 'ok' | 'fault' | 'unknown' | 'degraded';

export interface HealthPayload {
  gatewayId: string;
  sensorId: string;
  asset: string;
  /**
   * degraded: the gateway cannot store (disk full, I/O error), so nothing new is diagnosed into the
   * history or published; fault: an alert is active; ok: diagnosing, no active alert; unknown: no
   * diagnosis yet.
   */
  status: HealthStatus;
  /** Why the status is degraded (e.g. "SQLITE_FULL: database or disk is full"); null otherwise. */
  problem: string | null;
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
  alert: ActiveAlert | undefined, now: number, activeClassHint: string | null = null, problem: string | null = null,
): HealthPayload {
  return {
    gatewayId, sensorId, asset,
    status: problem !== null ? 'degraded' : alert || activeClassHint !== null ? 'fault' : last ? 'ok' : 'unknown',
    problem,
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

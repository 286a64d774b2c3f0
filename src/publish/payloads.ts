// JSON payloads published by drsnd (docs/topics.md shows an example of each). Pure builders.
import type { AlertEvent, AlertTransition, Diagnosis } from '../types.js';
import { isoTime as iso } from '../util/iso-time.js';

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
}

export function diagnosisPayload(gatewayId: string, id: string, d: Diagnosis): DiagnosisPayload {
  return {
    id, gatewayId, sensorId: d.sensorId, asset: d.asset, channel: d.channel,
    // As SQLite has them (INTEGER ms, float32 probabilities), so a message built from a committed batch
    // and the same row read back from the outbox after a reconnect are the same bytes.
    windowStart: iso(Math.round(d.windowStart)), windowEnd: iso(Math.round(d.windowEnd)),
    classIndex: d.classIndex, className: d.className, kind: d.kind, confidence: round6(d.confidence),
    probabilities: d.probabilities.map((p) => round6(Math.fround(p))), modelId: d.modelId, modelVersion: d.modelVersion,
    latencyMs: Math.round(d.latencyMs * 100) / 100,
  };
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
  previousClassName: string | null;
  confidence: number;
  peakConfidence: number;
  raisedAt: string;
  changedAt: string;
}

export function alertPayload(gatewayId: string, a: ActiveAlert): AlertPayload {
  return {
    gatewayId, alertId: a.alertId, sensorId: a.sensorId, asset: a.asset, state: 'active',
    className: a.className, previousClassName: a.previousClassName, confidence: round6(a.confidence),
    peakConfidence: round6(a.peakConfidence), raisedAt: iso(a.raisedAt), changedAt: iso(a.changedAt),
  };
}

export interface AlertEventPayload {
  /** Stable message id (messageId): de-duplicate QoS 1 redeliveries on it. */
  id: string;
  gatewayId: string;
  alertId: number;
  sensorId: string;
  asset: string;
  transition: AlertTransition;
  className: string;
  previousClassName: string | null;
  confidence: number;
  at: string;
}

export function alertEventPayload(gatewayId: string, id: string, alertId: number, e: AlertEvent): AlertEventPayload {
  return {
    id, gatewayId, alertId, sensorId: e.sensorId, asset: e.asset, transition: e.transition,
    className: e.className, previousClassName: e.previousClassName, confidence: round6(e.confidence), at: iso(e.at),
  };
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
    confidence: last ? round6(last.confidence) : null,
    channel: last?.channel ?? null,
    activeAlert: alert ? { alertId: alert.alertId, className: alert.className, raisedAt: iso(alert.raisedAt) }
      : activeClassHint !== null ? { alertId: null, className: activeClassHint, raisedAt: null } : null,
    time: last ? iso(last.windowEnd) : null,
    updatedAt: iso(now),
  };
}

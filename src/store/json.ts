// The JSON shape of stored records, shared by every reader that hands them out: `drsnd history/alerts
// --format json`, the HTTP API and the MQTT request/response interface. Times as ISO 8601 UTC.
import { isoTime as iso } from '../util/iso-time.js';
import type { AlertEventRecord, AlertRecord, DiagnosisRecord } from './rows.js';

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function diagnosisJson(d: DiagnosisRecord) {
  return {
    id: d.id, sensorId: d.sensorId, asset: d.asset, channel: d.channel,
    windowStart: iso(d.windowStart), windowEnd: iso(d.windowEnd),
    classIndex: d.classIndex, className: d.className, kind: d.kind, confidence: round(d.confidence, 6),
    probabilities: d.probabilities.map((p) => round(p, 6)), modelId: d.modelId, modelVersion: d.modelVersion,
    latencyMs: d.latencyMs, createdAt: iso(d.createdAt),
    fusion: d.fusion, indicators: d.indicators, shaftHz: d.shaftHz, speedSource: d.speedSource, evidence: d.evidence, sensorFaults: d.sensorFaults,
  };
}

export function alertJson(a: AlertRecord) {
  return {
    id: a.id, state: a.state, sensorId: a.sensorId, asset: a.asset, className: a.className,
    raisedAt: iso(a.raisedAt), clearedAt: isoOrNull(a.clearedAt),
    lastChangedAt: iso(a.lastChangedAt), peakConfidence: a.peakConfidence,
    acknowledgedAt: isoOrNull(a.acknowledgedAt), acknowledgedBy: a.acknowledgedBy,
  };
}

export function alertEventJson(e: AlertEventRecord) {
  return {
    id: e.id, alertId: e.alertId, transition: e.transition, className: e.className,
    previousClassName: e.previousClassName, confidence: round(e.confidence, 6), at: iso(e.at),
  };
}

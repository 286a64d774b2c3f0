// What the store's queries return, and the mapping from SQLite rows (snake_case, BLOBs) to them.
import type { AlertEventKind, Diagnosis } from '../types.js';
import type { Component } from '../physics/types.js';
import { physicsFromRow, type PhysicsRow, type StoredPhysics } from './physics-columns.js';

/** A stored diagnosis: the Diagnosis (its physics as stored: physics-columns.ts) plus its row id and commit time. */
export interface DiagnosisRecord extends Diagnosis, StoredPhysics {
  id: number;
  createdAt: number;
}

export interface HistoryFilter {
  sensor?: string;
  asset?: string;
  className?: string;
  /** The fused verdict's component (normal, inner_race, …, sensor_fault). */
  component?: Component;
  /** Only diagnoses whose ISO velocity zone is at least this. */
  minZone?: 'A' | 'B' | 'C' | 'D';
  /** Epoch ms, inclusive, compared with windowEnd. */
  since?: number;
  /** Epoch ms, inclusive, compared with windowEnd. */
  until?: number;
  /** Default 100. Results are newest first. */
  limit?: number;
  /** Keyset paging: only rows older than this one (window end, then id), i.e. the next page. */
  before?: { windowEnd: number; id: number };
}

export type AlertState = 'active' | 'cleared';

export interface AlertRecord {
  id: number;
  sensorId: string;
  asset: string;
  className: string;
  state: AlertState;
  raisedAt: number;
  clearedAt: number | null;
  lastChangedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  peakConfidence: number;
}

export interface AlertFilter {
  /** true: only active; false: only cleared; undefined: all. */
  active?: boolean;
  sensor?: string;
  /** Default 100. Results are newest raised first. */
  limit?: number;
  /** Keyset paging: only alerts raised before this one (raise time, then id), i.e. the next page. */
  before?: { raisedAt: number; id: number };
}

export interface AlertEventRecord {
  id: number;
  alertId: number;
  transition: AlertEventKind;
  className: string;
  previousClassName: string | null;
  confidence: number;
  at: number;
  /** Who acknowledged (an acknowledgement's `--by`, or the interface); null otherwise. */
  by: string | null;
}

export interface SensorRecord {
  id: string;
  asset: string;
  rateHz: number | null;
  unit: string | null;
  axes: string[];
  firstSeen: number;
  lastSeen: number | null;
}

export const DEFAULT_LIMIT = 100;

export function encodeProbabilities(p: readonly number[]): Buffer {
  const f = Float32Array.from(p);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

export function decodeProbabilities(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(b.readFloatLE(i));
  return out;
}

export interface DiagnosisRow extends PhysicsRow {
  id: number; sensor: string; asset: string; channel: string; window_start: number; window_end: number;
  class_index: number; class_name: string; kind: 'normal' | 'fault'; confidence: number; probabilities: Buffer;
  model_id: string; model_version: string; latency_ms: number; created_at: number;
}

export function toDiagnosisRecord(r: DiagnosisRow): DiagnosisRecord {
  return {
    id: r.id, sensorId: r.sensor, asset: r.asset, channel: r.channel,
    windowStart: r.window_start, windowEnd: r.window_end,
    classIndex: r.class_index, className: r.class_name, kind: r.kind, confidence: r.confidence,
    probabilities: decodeProbabilities(r.probabilities),
    modelId: r.model_id, modelVersion: r.model_version, latencyMs: r.latency_ms, createdAt: r.created_at,
    ...physicsFromRow(r),
  };
}

export interface AlertRow {
  id: number; sensor: string; asset: string; class_name: string; state: AlertState; raised_at: number;
  cleared_at: number | null; last_changed_at: number; acknowledged_at: number | null;
  acknowledged_by: string | null; peak_confidence: number;
}

export function toAlertRecord(r: AlertRow): AlertRecord {
  return {
    id: r.id, sensorId: r.sensor, asset: r.asset, className: r.class_name, state: r.state,
    raisedAt: r.raised_at, clearedAt: r.cleared_at, lastChangedAt: r.last_changed_at,
    acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by, peakConfidence: r.peak_confidence,
  };
}

export interface AlertEventRow {
  id: number; alert_id: number; transition: AlertEventKind; class_name: string;
  previous_class_name: string | null; confidence: number; at: number; by: string | null;
}

export function toAlertEventRecord(r: AlertEventRow): AlertEventRecord {
  return {
    id: r.id, alertId: r.alert_id, transition: r.transition, className: r.class_name,
    previousClassName: r.previous_class_name, confidence: r.confidence, at: r.at, by: r.by,
  };
}

export interface SensorRow {
  id: string; asset: string; rate_hz: number | null; unit: string | null; axes: string | null;
  first_seen: number; last_seen: number | null;
}

export function toSensorRecord(r: SensorRow): SensorRecord {
  return {
    id: r.id, asset: r.asset, rateHz: r.rate_hz, unit: r.unit,
    axes: r.axes ? (JSON.parse(r.axes) as string[]) : [], firstSeen: r.first_seen, lastSeen: r.last_seen,
  };
}

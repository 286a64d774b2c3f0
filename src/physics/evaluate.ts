// Issue 18 item 7: UESTC zero-shot evaluation and the generated sensor-fault table, through the daemon's
// own code path: replay source → validate → signal path (units, resample + band-limit, window, physics)
// → normalize → engine → toDiagnosis (fusion). It runs on the calling thread (the daemon's
// `pipeline.fused: false, pipeline.workers: 0` arrangement) so a recording is processed as fast as the
// CPU allows, with no frames dropped by a worker falling behind.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { concat, defer, from, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import { BadInputCounter } from '../bad-input.js';
import { sensorSchema, type SensorSettings } from '../config/schema.js';
import { createReplaySource } from '../ingest/replay-source.js';
import { createLogger, type Logger } from '../log.js';
import type { InferenceEngine } from '../model/engines/engine.js';
import { netInputLength } from '../model/metadata.js';
import { toDiagnosis } from '../pipeline/classify.js';
import { normalizeData } from '../pipeline/normalize.js';
import { signalPipeline } from '../pipeline/sensor-pipeline.js';
import { validateFrames } from '../pipeline/validate.js';
import type { Diagnosis, Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { physicsVerdict } from './evidence.js';
import { drsnByComponent, BEARING_COMPONENTS, type BearingComponent } from './fuse.js';
import { resolveMachine } from './machine.js';
import { FAULT_SIGNALS } from './test-signals.js';
import type { Component } from './types.js';

/**
 * UESTC's values are most likely volts of a 10.22 mV/(m/s²) accelerometer (its README: the inner-race
 * 1400 rpm records clip at +9.999, a ±10 V DAQ). Replayed as unit m/s2 with this scale.
 */
export const UESTC_SCALE = 1 / 0.01022;
/** Speed estimation range for UESTC: the rig's nominal speeds 800-1400 rpm, ±20 %. */
export const UESTC_RPM_RANGE = [640, 1680] as const;

export interface UestcRecord {
  record_id: string;
  file: string;
  label: 'normal' | 'inner_race' | 'outer_race' | 'ball';
  sampling_rate_hz: number;
  shaft_speed_rpm: number;
  shaft_speed_hz_estimated: number;
  acquisition_group: string;
  segment_index: number;
  n_samples: number;
}

export interface UestcManifest {
  records: UestcRecord[];
  bearing: { assumed_geometry: { fault_frequencies_per_shaft_hz: { BPFO: number; BPFI: number; BSF: number; FTF: number } } };
}

export function readUestcManifest(dir: string): UestcManifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as UestcManifest;
}

export type Method = 'drsn' | 'physics' | 'fusion';
export type SpeedMode = 'fixed' | 'estimated';
/** What a method answered for one window: a component, or that it had no answer (physics without evidence). */
export type Answer = Component | 'unavailable';

/** Per-window answers of one record. */
export interface RecordResult {
  recordId: string;
  label: UestcRecord['label'];
  windows: number;
  answers: Record<SpeedMode, Record<Method, Answer[]>>;
}

/** What each method says of one diagnosis. The physics rule: its verdict, Normal without lines, sensor_fault on a sensor finding. */
export function answersOf(d: Diagnosis, model: ModelMetadata): Record<Method, Answer> {
  const probs = drsnByComponent(d.probabilities, model.classes);
  let drsn: BearingComponent = 'normal';
  for (const c of BEARING_COMPONENTS) if (probs[c] > probs[drsn]) drsn = c;
  const p = d.physics;
  const physics: Answer = !p ? 'unavailable' : p.sensorFaults.length ? 'sensor_fault' : !p.evidence ? 'unavailable' : physicsVerdict(p.evidence) ?? 'normal';
  return { drsn, physics, fusion: d.fusion?.component ?? drsn };
}

/** A sensor replaying one UESTC record, with the manifest's assumed bearing and the given speed mode. */
export function uestcSensor(dir: string, r: UestcRecord, orders: UestcManifest['bearing']['assumed_geometry']['fault_frequencies_per_shaft_hz'], mode: SpeedMode): SensorSettings {
  return sensorSchema.parse({
    id: r.record_id, asset: 'uestc', rateHz: r.sampling_rate_hz, unit: 'm/s2', axes: ['x'], range: 2000,
    source: { type: 'replay', file: path.join(dir, r.file), format: 'f32', loop: false, speed: 1e6, frameSamples: 2048, scale: UESTC_SCALE },
    machine: {
      bearing: { orders: { bpfo: orders.BPFO, bpfi: orders.BPFI, bsf: orders.BSF, ftf: orders.FTF } },
      speed: mode === 'fixed' ? { rpm: r.shaft_speed_hz_estimated * 60 } : { estimate: { minRpm: UESTC_RPM_RANGE[0], maxRpm: UESTC_RPM_RANGE[1] } },
    },
  });
}

export interface PathOptions {
  model: ModelMetadata;
  engine: InferenceEngine;
  batchSize?: number;
  log?: Logger;
}

/** Frames → diagnoses through validate, the signal path, normalization, the engine and the fusion. */
export async function diagnoseFrames(frames: Observable<Frame>, settings: SensorSettings, opts: PathOptions): Promise<Diagnosis[]> {
  const log = opts.log ?? createLogger('silent');
  const sensor: SensorMeta = { id: settings.id, asset: settings.asset, rateHz: settings.rateHz, unit: settings.unit, axes: [...settings.axes], machine: resolveMachine(settings.machine) };
  const badInput = new BadInputCounter(log);
  const windows: Window[] = await lastValueFrom(frames.pipe(
    validateFrames({ sensor, range: settings.range, gapTolerancePeriods: 2, badInput }),
    signalPipeline({ sensor, model: opts.model, hop: null }),
    toArray(),
  ));
  const len = netInputLength(opts.model);
  const nClasses = opts.model.classes.length;
  const classes = new Map(opts.model.classes.map((c) => [c.index, c]));
  const batch = opts.batchSize ?? 256;
  const x = new Float32Array(batch * len);
  const out: Diagnosis[] = [];
  for (let a = 0; a < windows.length; a += batch) {
    const n = Math.min(batch, windows.length - a);
    for (let i = 0; i < n; i++) normalizeData(windows[a + i].data, opts.model.normalization, x.subarray(i * len, (i + 1) * len));
    const probs = await opts.engine.run(x, n);
    for (let i = 0; i < n; i++) out.push(toDiagnosis(windows[a + i], probs.subarray(i * nClasses, (i + 1) * nClasses), opts.model, classes, 0));
  }
  return out;
}

/**
 * UESTC's five files per state and speed are one continuous ~59 s recording the authors cut up (its
 * README). Replayed as one stream, as a live sensor would deliver it: the segments' frames follow one
 * another in time and sequence, so the signal path's state (the envelope buffer, the drift blocks)
 * carries across the cuts, and only the recording's first ~1.6 s has no evidence yet.
 */
export function recordingSource(dir: string, segments: UestcRecord[], settings: SensorSettings, ctx: Parameters<typeof createReplaySource>[1]): Observable<Frame> {
  const startMs = (ctx.now ?? Date.now)();
  let offsetMs = 0;
  let seq = 0;
  const parts = segments.map((r) => defer(() => {
    const at = startMs + offsetMs;
    offsetMs += (r.n_samples / r.sampling_rate_hz) * 1000;
    const source = settings.source as Extract<SensorSettings['source'], { type: 'replay' }>;
    return createReplaySource({ ...settings, source: { ...source, file: path.join(dir, r.file) } }, { ...ctx, now: () => at });
  }));
  return concat(...parts).pipe(map((f) => ({ ...f, seq: seq++ })));
}

/**
 * Every recording (its segments in order, as one stream) replayed with the speed fixed and estimated;
 * with `segment`, only that segment of each, on its own (a quicker subset: each starts cold).
 */
export async function evaluateUestc(dir: string, opts: PathOptions & { segment?: number; onRecord?: (r: RecordResult) => void }): Promise<RecordResult[]> {
  const manifest = readUestcManifest(dir);
  const orders = manifest.bearing.assumed_geometry.fault_frequencies_per_shaft_hz;
  const ctx = { log: opts.log ?? createLogger('silent'), badInput: new BadInputCounter(createLogger('silent')), maxPayloadBytes: 1 << 30 };
  const recordings = new Map<string, UestcRecord[]>();
  for (const r of manifest.records) {
    if (opts.segment !== undefined && r.segment_index !== opts.segment) continue;
    const key = opts.segment === undefined ? `UESTC_${r.acquisition_group}` : r.record_id;
    recordings.set(key, [...(recordings.get(key) ?? []), r]);
  }
  const results: RecordResult[] = [];
  for (const [id, segments] of recordings) {
    segments.sort((a, b) => a.segment_index - b.segment_index);
    const first = segments[0];
    const result: RecordResult = { recordId: id, label: first.label, windows: 0, answers: { fixed: { drsn: [], physics: [], fusion: [] }, estimated: { drsn: [], physics: [], fusion: [] } } };
    for (const mode of ['fixed', 'estimated'] as const) {
      const settings = { ...uestcSensor(dir, first, orders, mode), id };
      const ds = await diagnoseFrames(recordingSource(dir, segments, settings, ctx), settings, opts);
      result.windows = ds.length;
      for (const d of ds) {
        const a = answersOf(d, opts.model);
        for (const m of ['drsn', 'physics', 'fusion'] as const) result.answers[mode][m].push(a[m]);
      }
    }
    results.push(result);
    opts.onRecord?.(result);
  }
  return results;
}

export interface Scores {
  /** Share of windows answered with the true class, per class. */
  recall: Record<UestcRecord['label'], number>;
  windows: Record<UestcRecord['label'], number>;
  /** Mean recall over normal, inner_race, outer_race. */
  balancedAccuracy: number;
  /** Among inner/outer-race windows answered inner or outer race: the share with the right race. */
  innerVsOuter: number;
  innerVsOuterWindows: number;
  /** Windows answered sensor_fault, and (physics) without an answer. */
  sensorFault: number;
  unavailable: number;
}

export function score(results: RecordResult[], mode: SpeedMode, method: Method): Scores {
  const labels = ['normal', 'inner_race', 'outer_race', 'ball'] as const;
  const hit = Object.fromEntries(labels.map((l) => [l, 0])) as Record<UestcRecord['label'], number>;
  const total = Object.fromEntries(labels.map((l) => [l, 0])) as Record<UestcRecord['label'], number>;
  let races = 0;
  let racesRight = 0;
  let sensorFault = 0;
  let unavailable = 0;
  for (const r of results) {
    for (const a of r.answers[mode][method]) {
      total[r.label]++;
      if (a === r.label) hit[r.label]++;
      if (a === 'sensor_fault') sensorFault++;
      if (a === 'unavailable') unavailable++;
      if ((r.label === 'inner_race' || r.label === 'outer_race') && (a === 'inner_race' || a === 'outer_race')) {
        races++;
        if (a === r.label) racesRight++;
      }
    }
  }
  const recall = Object.fromEntries(labels.map((l) => [l, total[l] ? hit[l] / total[l] : NaN])) as Record<UestcRecord['label'], number>;
  return {
    recall, windows: total, balancedAccuracy: (recall.normal + recall.inner_race + recall.outer_race) / 3,
    innerVsOuter: races ? racesRight / races : NaN, innerVsOuterWindows: races, sensorFault, unavailable,
  };
}

export interface FaultSignalRow {
  name: string;
  expect: string;
  rateHz: number;
  windows: number;
  /** The DRSN's own class was Normal. */
  drsnNormal: number;
  /** The fused verdict was normal (target 0). */
  fusedNormal: number;
  sensorFault: number;
  /** Windows that found the expected kind. */
  expectedKind: number;
}

/** The generated broken-sensor signals (test-signals.ts), 3 s each at 12 and 20 kHz, through the same path. */
export async function evaluateFaultSignals(opts: PathOptions): Promise<FaultSignalRow[]> {
  const rows: FaultSignalRow[] = [];
  for (const rateHz of [12_000, 20_000]) {
    for (const s of FAULT_SIGNALS) {
      const x = s.generate(rateHz, 3);
      // A model on the envelope-order spectrum needs a bearing and a speed: the simulator's 6205 at 1797 rpm.
      const machine = opts.model.input.representation ? { machine: { bearing: { designation: '6205' }, speed: { rpm: 1797 } } } : {};
      const settings = sensorSchema.parse({ id: 'generated', asset: 'test', rateHz, unit: 'g', axes: ['x'], range: 50, source: { type: 'simulator' }, ...machine });
      const frames: Frame[] = [];
      for (let i = 0; i < x.length; i += 1024) frames.push({ sensorId: 'generated', t0: 1e12 + (i / rateHz) * 1000, rateHz, unit: 'g', axes: ['x'], channels: [x.slice(i, i + 1024)] });
      const ds = await diagnoseFrames(from(frames), settings, opts);
      rows.push({
        name: s.name, expect: s.expect, rateHz, windows: ds.length,
        drsnNormal: ds.filter((d) => d.kind === 'normal').length,
        fusedNormal: ds.filter((d) => d.fusion?.component === 'normal').length,
        sensorFault: ds.filter((d) => d.fusion?.component === 'sensor_fault').length,
        expectedKind: ds.filter((d) => d.physics?.sensorFaults.some((f) => f.kind === s.expect)).length,
      });
    }
  }
  return rows;
}

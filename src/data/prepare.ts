// Dataset preparation: labelled records -> the prepared format the PyTorch trainer reads
// (docs/ARCHITECTURE.md, "Prepared dataset").
//
// Every record goes through the project's resampler with the same band limit, whatever its native
// rate: the CWRU normal baseline is 48 kHz and would otherwise carry its own decimation roll-off that
// the native 12 kHz fault records lack, a shortcut a net learns instead of the bearing (issue 3,
// "No shortcuts"). The live pipeline uses the same resampler, so training and inference see the
// same spectrum.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { designResampler, resample } from '../dsp/resampler.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { ModelClass } from '../types.js';
import type { LabeledRecord } from './records.js';

export const PREPARED_FORMAT = 'drsn-prepared-1';
export const PREPARED_INDEX = 'index.json';

export type Segment = [start: number, end: number];
export type SplitName = 'train' | 'val' | 'test';

export interface SplitFractions { train: number; val: number; test: number }

export interface PrepareOptions {
  outDir: string;
  sampleRateHz: number;
  bandLimitHz: number;
  windowLength: number;
  split: SplitFractions;
}

export interface PreparedRecord {
  id: string;
  label: number;
  loadHp: number | null;
  rpm: number | null;
  /** Fault orders of the bearing the labels concern (absent when the source does not say). */
  faultOrders?: { bpfo: number; bpfi: number; bsf?: number };
  file: string;
  samples: number;
  /** Disjoint [start, end) sample ranges, in time order train, val, test. */
  splits: Record<SplitName, Segment>;
  /** Native rate and file of the source, for the record's provenance. */
  sourceRateHz: number;
  source: string;
}

export interface PreparedIndex {
  format: typeof PREPARED_FORMAT;
  sampleRateHz: number;
  bandLimitHz: number;
  windowLength: number;
  classes: ModelClass[];
  split: SplitFractions;
  /** Hash of the inputs and options; a cache with the same fingerprint is reused as is. */
  fingerprint: string;
  records: PreparedRecord[];
}

function invalid(message: string): DrsndError {
  return new DrsndError(ErrorCodes.DATA_FILE_INVALID, message);
}

/**
 * Resamples to `sampleRateHz` and band-limits at `bandLimitHz` (one filter design per input rate,
 * identical cutoff and transition for all), then drops the filter's ramp at both ends: the offline
 * resampler treats the signal as zero outside the record, so those samples are not real vibration.
 */
export function bandLimitRecord(data: Float32Array, rateHz: number, sampleRateHz: number, bandLimitHz: number): Float32Array {
  const spec = { inRateHz: rateHz, outRateHz: sampleRateHz, cutoffHz: bandLimitHz };
  const y = resample(data, spec);
  const edge = designResampler(spec).delay;
  return y.slice(edge, Math.max(edge, y.length - edge));
}

/**
 * Splits [0, samples) into consecutive train | val | test segments by the given fractions. Each
 * must hold at least one window, so every split has data from every record.
 */
export function timeSplits(samples: number, split: SplitFractions, windowLength: number, id = 'record'): Record<SplitName, Segment> {
  const total = split.train + split.val + split.test;
  if (!(split.train > 0 && split.val > 0 && split.test > 0) || Math.abs(total - 1) > 1e-9) {
    throw new DrsndError(ErrorCodes.USAGE, `split fractions must be positive and sum to 1 (got ${JSON.stringify(split)})`);
  }
  const a = Math.floor(samples * split.train);
  const b = Math.floor(samples * (split.train + split.val));
  const splits: Record<SplitName, Segment> = { train: [0, a], val: [a, b], test: [b, samples] };
  for (const [name, [s, e]] of Object.entries(splits)) {
    if (e - s < windowLength) {
      throw invalid(`${id}: ${samples} samples after resampling leave only ${e - s} for the ${name} split; need at least ${windowLength} (one window)`);
    }
  }
  return splits;
}

function fingerprintOf(records: LabeledRecord[], classes: ModelClass[], opts: PrepareOptions): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ format: PREPARED_FORMAT, classes, opts: { ...opts, outDir: undefined } }));
  for (const r of records) {
    h.update(JSON.stringify([r.id, r.label, r.rateHz, r.loadHp, r.rpm, r.faultOrders ?? null, r.data.length]));
    h.update(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

/** Reads `<dir>/index.json` if it is a prepared dataset with this fingerprint (or any, when none is given). */
export function readPreparedIndex(dir: string, fingerprint?: string): PreparedIndex | undefined {
  const file = path.join(dir, PREPARED_INDEX);
  if (!existsSync(file)) return undefined;
  const idx = JSON.parse(readFileSync(file, 'utf8')) as PreparedIndex;
  if (idx.format !== PREPARED_FORMAT) throw invalid(`${file}: format ${String(idx.format)}, expected ${PREPARED_FORMAT}`);
  if (fingerprint !== undefined && idx.fingerprint !== fingerprint) return undefined;
  return idx;
}

/** The samples of one prepared record. */
export function readPreparedRecord(dir: string, rec: PreparedRecord): Float32Array {
  const buf = readFileSync(path.join(dir, rec.file));
  if (buf.byteLength !== rec.samples * 4) throw invalid(`${path.join(dir, rec.file)}: ${buf.byteLength} bytes, index says ${rec.samples} samples`);
  const out = new Float32Array(rec.samples);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Writes the prepared dataset to `opts.outDir` and returns its index. If the folder already holds
 * the same preparation (same records, classes and options), it is reused without recomputing.
 */
export function prepareDataset(records: LabeledRecord[], classes: ModelClass[], opts: PrepareOptions): PreparedIndex {
  if (records.length === 0) throw invalid('no records to prepare');
  const fingerprint = fingerprintOf(records, classes, opts);
  const cached = readPreparedIndex(opts.outDir, fingerprint);
  if (cached) return cached;
  mkdirSync(opts.outDir, { recursive: true });
  const ids = new Set<string>();
  const prepared: PreparedRecord[] = [];
  for (const r of records) {
    if (ids.has(r.id)) throw invalid(`${r.source}: record id ${r.id} appears twice`);
    ids.add(r.id);
    if (!classes[r.label]) throw invalid(`${r.source}: label ${r.label} is not one of the ${classes.length} classes`);
    const x = bandLimitRecord(r.data, r.rateHz, opts.sampleRateHz, opts.bandLimitHz);
    const splits = timeSplits(x.length, opts.split, opts.windowLength, `${r.source} (${r.id})`);
    const file = `${r.id}.f32`;
    // Float32Array is host-endian; every platform Node supports is little-endian, which the format requires.
    writeFileSync(path.join(opts.outDir, file), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    prepared.push({ id: r.id, label: r.label, loadHp: r.loadHp, rpm: r.rpm, ...(r.faultOrders ? { faultOrders: r.faultOrders } : {}), file, samples: x.length, splits, sourceRateHz: r.rateHz, source: r.source });
  }
  const index: PreparedIndex = {
    format: PREPARED_FORMAT, sampleRateHz: opts.sampleRateHz, bandLimitHz: opts.bandLimitHz,
    windowLength: opts.windowLength, classes, split: opts.split, fingerprint, records: prepared,
  };
  // index.json last and atomically: a crash mid-way leaves no index, so the cache is never half valid.
  const tmp = path.join(opts.outDir, `${PREPARED_INDEX}.tmp`);
  writeFileSync(tmp, JSON.stringify(index, null, 1));
  renameSync(tmp, path.join(opts.outDir, PREPARED_INDEX));
  return index;
}

// CWRU Bearing Data Center readers: the project's shared float32 folder (manifest.json + .f32, see
// ../shared/data/cwru/README.md) and a folder of original CWRU .mat files as users download them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DrsndError, ErrorCodes } from '../errors.js';
import { CWRU_DE_ORDERS } from './bearing.js';
import { readMatContents, type MatArray } from './mat-reader.js';
import { CWRU_CLASSES, cwruClassFor, type LabeledRecord } from './records.js';
import { decodeF32LE } from './recording.js';

export type CwruChannel = 'DE' | 'FE' | 'BA';

export interface CwruOptions {
  /** Accelerometer: drive end (default), fan end or base. Records without it are left out (97 has no BA). */
  channel?: CwruChannel;
  /** Motor loads in hp to keep (0-3); default all. */
  loads?: number[];
}

/** Every fault of this set is seeded in the drive-end SKF 6205, whichever accelerometer records it. */
const FAULT_BEARING_ORDERS = { bpfo: CWRU_DE_ORDERS.bpfo, bpfi: CWRU_DE_ORDERS.bpfi, bsf: CWRU_DE_ORDERS.bsf };

/** Nominal shaft speed per load (CWRU's pages); used when a file carries no RPM variable. */
const NOMINAL_RPM: Record<number, number> = { 0: 1797, 1: 1772, 2: 1750, 3: 1730 };

function invalid(file: string, problem: string): DrsndError {
  return new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${file}: ${problem}`);
}

interface ManifestChannel {
  file: string;
  channel: string;
  samples: number;
  bytes: number;
  dtype: string;
  byte_order: string;
  sampling_rate_hz: number;
  derived?: boolean;
}

interface ManifestRecord {
  cwru_file_number: number;
  fault_type: string;
  fault_diameter_in: number | null;
  outer_race_position: string | null;
  load_hp: number;
  rpm_recorded: number | null;
  rpm_nominal: number | null;
  channels: ManifestChannel[];
}

function readManifest(dir: string): ManifestRecord[] {
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) throw invalid(file, 'not found; point the CWRU folder at the directory holding manifest.json and the .f32 files');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(file, `not valid JSON (${(e as Error).message})`);
  }
  const records = (parsed as { records?: unknown }).records;
  if (!Array.isArray(records)) throw invalid(file, 'has no "records" array');
  return records as ManifestRecord[];
}

/** Reads one .f32 channel after checking it against the manifest's dtype, byte order and size. */
function readManifestChannel(dir: string, ch: ManifestChannel): Float32Array {
  const file = path.join(dir, ch.file);
  if (ch.dtype !== 'float32' || ch.byte_order !== 'little') {
    throw invalid(file, `manifest says dtype ${ch.dtype}/${ch.byte_order}; only little-endian float32 is supported`);
  }
  if (!existsSync(file)) throw invalid(file, 'listed in manifest.json but missing; the copy of the CWRU folder is incomplete');
  const size = statSync(file).size;
  if (size !== ch.bytes || ch.bytes !== ch.samples * 4) {
    throw invalid(file, `is ${size} bytes, manifest.json says ${ch.bytes} bytes (${ch.samples} float32 samples); the file is truncated or replaced`);
  }
  return decodeF32LE(readFileSync(file));
}

/**
 * The CWRU records of the shared float32 folder, one per record for the chosen channel, labelled
 * with CWRU_CLASSES by fault type + diameter (never by the manifest's label number).
 * The normal baseline is read from its original 48 kHz file, never the derived 12 kHz copy: the
 * project resamples with its own resampler so every class passes through the same filter.
 */
export function loadCwruRecords(dir: string, opts: CwruOptions = {}): LabeledRecord[] {
  const channel = opts.channel ?? 'DE';
  const out: LabeledRecord[] = [];
  for (const r of readManifest(dir)) {
    if (opts.loads && !opts.loads.includes(r.load_hp)) continue;
    // The 10-class set has outer-race faults at 6:00 only; other positions would be mislabelled.
    if (r.fault_type === 'outer_race' && r.outer_race_position !== '6:00') continue;
    const cls = cwruClassFor(r.fault_type, r.fault_diameter_in);
    if (!cls) continue; // e.g. 0.028" faults: not one of the 10 classes
    const ch = r.channels.find((c) => c.channel === channel && !c.derived);
    if (!ch) continue;
    out.push({
      id: `${r.cwru_file_number}_${channel}`,
      label: cls.index,
      className: cls.name,
      kind: cls.kind,
      component: cls.component,
      sizeIn: cls.sizeIn,
      loadHp: r.load_hp,
      rpm: r.rpm_recorded ?? r.rpm_nominal ?? NOMINAL_RPM[r.load_hp] ?? null,
      faultOrders: FAULT_BEARING_ORDERS,
      rateHz: ch.sampling_rate_hz,
      unit: 'g',
      data: readManifestChannel(dir, ch),
      source: path.join(dir, ch.file),
    });
  }
  return out;
}

/**
 * CWRU file numbers of the 10-class set by class index, at 0/1/2/3 hp (data README table).
 * 97-100 are the normal baselines, recorded at 48 kHz; all fault files listed are 12 kHz drive-end.
 */
const CWRU_FILE_NUMBERS: number[][] = [
  [97, 98, 99, 100],
  [118, 119, 120, 121],
  [185, 186, 187, 188],
  [222, 223, 224, 225],
  [105, 106, 107, 108],
  [169, 170, 171, 172],
  [209, 210, 211, 212],
  [130, 131, 132, 133],
  [197, 198, 199, 200],
  [234, 235, 236, 237],
];

interface CwruFileInfo { label: number; loadHp: number; rateHz: number }

const CWRU_FILES = new Map<number, CwruFileInfo>();
CWRU_FILE_NUMBERS.forEach((nums, label) =>
  nums.forEach((n, loadHp) => CWRU_FILES.set(n, { label, loadHp, rateHz: label === 0 ? 48_000 : 12_000 })));

/** CWRU's number for a file named "105.mat" or "12k_Drive_End_IR007_0_105.mat". */
export function cwruFileNumber(name: string): number | null {
  const m = /(?:^|_)(\d+)\.mat$/i.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Picks the channel's variable. CWRU files sometimes hold variables of another file number too
 * (99.mat also contains X098_DE_time), so the variable whose number matches the file wins; failing
 * that, the only variable of that channel; anything else is ambiguous and an error.
 */
function pickVariable(vars: Map<string, MatArray>, num: number, channel: CwruChannel, file: string): MatArray {
  const re = new RegExp(`^X(\\d+)_${channel}_time$`);
  const candidates = [...vars.keys()].filter((k) => re.test(k));
  const own = candidates.find((k) => Number(re.exec(k)![1]) === num);
  const name = own ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!name) {
    throw invalid(file, candidates.length === 0
      ? `has no X<nnn>_${channel}_time variable (variables: ${[...vars.keys()].join(', ') || 'none'})`
      : `has several ${channel} variables (${candidates.join(', ')}) and none numbered ${num}`);
  }
  const v = vars.get(name)!;
  if (v.rows !== 1 && v.cols !== 1) throw invalid(file, `variable ${name} is a ${v.rows}x${v.cols} matrix, expected a vector`);
  return v;
}

function pickRpm(vars: Map<string, MatArray>, num: number): number | null {
  const own = vars.get(`X${String(num).padStart(3, '0')}RPM`) ?? vars.get(`X${num}RPM`);
  const any = [...vars.entries()].filter(([k]) => /^X\d+RPM$/.test(k));
  const v = own ?? (any.length === 1 ? any[0][1] : undefined);
  return v && v.data.length > 0 && Number.isFinite(v.data[0]) ? v.data[0] : null;
}

export interface CwruMatOptions extends CwruOptions {
  /** Skip .mat files whose number is not one of the 40 known files instead of failing. */
  ignoreUnknown?: boolean;
}

/** Labelled records from a folder of original CWRU .mat files (the 40 files of the 10-class set). */
export function loadCwruMatFolder(dir: string, opts: CwruMatOptions = {}): LabeledRecord[] {
  const channel = opts.channel ?? 'DE';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid(dir, 'is not a folder of CWRU .mat files');
  const names = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.mat')).sort();
  if (names.length === 0) throw invalid(dir, 'contains no .mat files');
  const seen = new Map<number, string>();
  const unknown: string[] = [];
  const out: LabeledRecord[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const num = cwruFileNumber(name);
    const info = num === null ? undefined : CWRU_FILES.get(num);
    if (num === null || !info) {
      unknown.push(name);
      continue;
    }
    const dup = seen.get(num);
    if (dup) throw invalid(file, `is CWRU file ${num} again (also ${dup}); keep one copy so its windows are not counted twice`);
    seen.set(num, name);
    if (opts.loads && !opts.loads.includes(info.loadHp)) continue;
    const vars = readMatContents(readFileSync(file), file).variables;
    const cls = CWRU_CLASSES[info.label];
    out.push({
      id: `${num}_${channel}`,
      label: cls.index,
      className: cls.name,
      kind: cls.kind,
      component: cls.component,
      sizeIn: cls.sizeIn,
      loadHp: info.loadHp,
      rpm: pickRpm(vars, num) ?? NOMINAL_RPM[info.loadHp],
      faultOrders: FAULT_BEARING_ORDERS,
      rateHz: info.rateHz,
      unit: 'g',
      data: Float32Array.from(pickVariable(vars, num, channel, file).data),
      source: file,
    });
  }
  if (unknown.length > 0 && !opts.ignoreUnknown) {
    throw new DrsndError(ErrorCodes.DATA_FILE_INVALID,
      `${dir}: ${unknown.length} .mat file(s) are not among the 40 CWRU files of the 10-class set (12 kHz drive-end faults 105-237, normal 97-100): ${unknown.join(', ')}; remove them or skip unknown files`,
      { details: unknown });
  }
  return out;
}

// A user's own recordings: signal files (raw float32 LE, CSV, MAT v5) and the manifest that labels
// them for training (format documented in docs/recordings.md). Also used by the replay source.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { ModelClass, Unit } from '../types.js';
import { readMatContents } from './mat-reader.js';
import type { LabeledRecord } from './records.js';

export type SignalFormat = 'f32' | 'csv' | 'mat';

export interface SignalFileOptions {
  /** Default: from the extension (.f32/.bin/.raw, .csv/.txt/.tsv, .mat). */
  format?: SignalFormat;
  /** f32: number of interleaved channels (sample-major: x0 y0 z0 x1 y1 z1 ...). Default 1. */
  channels?: number;
  /** csv: column names (from the header) or 0-based indices; mat: columns of a matrix. Default: all (csv: except a time column). */
  columns?: Array<string | number>;
  /** mat: variable to read; default the first *_DE_time, else the only numeric variable. */
  variable?: string;
}

export interface SignalData {
  channels: Float32Array[];
  /** One name per channel: CSV header names, "ch<i>" otherwise. */
  names: string[];
}

function invalid(file: string, problem: string): DrsndError {
  return new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${file}: ${problem}`);
}

/** Little-endian float32 samples of a raw file (copied, so the result is aligned and owns its memory). */
export function decodeF32LE(buf: Buffer): Float32Array {
  const n = Math.floor(buf.byteLength / 4);
  if (os.endianness() === 'LE') return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + n * 4));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function signalFormatOf(file: string, format?: SignalFormat): SignalFormat {
  if (format) return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.f32' || ext === '.bin' || ext === '.raw') return 'f32';
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return 'csv';
  if (ext === '.mat') return 'mat';
  throw invalid(file, `cannot tell the format from the extension "${ext}"; use .f32, .csv or .mat, or set the format explicitly`);
}

function readF32Signal(file: string, buf: Buffer, channels: number): SignalData {
  if (buf.byteLength % (4 * channels) !== 0) {
    throw invalid(file, `${buf.byteLength} bytes is not a whole number of ${channels}-channel float32 samples (${4 * channels} bytes each); the file is truncated or not raw float32`);
  }
  const all = decodeF32LE(buf);
  const n = all.length / channels;
  if (n === 0) throw invalid(file, 'is empty');
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c][i] = all[i * channels + c];
  for (const ch of out) {
    const bad = ch.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw invalid(file, `sample ${bad} is ${ch[bad]}; raw float32 recordings must hold finite values`);
  }
  return { channels: out, names: out.map((_, c) => `ch${c}`) };
}

const TIME_COLUMN = /^(t|time|timestamp|ts|seconds|s|ms)$/i;

function selectColumns(file: string, names: string[], wanted: Array<string | number> | undefined, hasHeader: boolean): number[] {
  if (!wanted) {
    const cols = names.map((_, i) => i).filter((i) => !(hasHeader && TIME_COLUMN.test(names[i])));
    if (cols.length === 0) throw invalid(file, 'has only a time column, no signal column');
    return cols;
  }
  return wanted.map((w) => {
    const i = typeof w === 'number' ? w : names.findIndex((n) => n.toLowerCase() === w.toLowerCase());
    if (i < 0 || i >= names.length) {
      throw invalid(file, `has no column ${JSON.stringify(w)} (columns: ${names.join(', ')}${hasHeader ? '' : '; the file has no header, select columns by 0-based index'})`);
    }
    return i;
  });
}

function readCsvSignal(file: string, text: string, columns: Array<string | number> | undefined): SignalData {
  const lines = text.split(/\r?\n/);
  let first = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (first < 0) throw invalid(file, 'has no data lines');
  const sample = lines[first];
  const delim: string | RegExp = sample.includes(',') ? ',' : sample.includes(';') ? ';' : sample.includes('\t') ? '\t' : /\s+/;
  const split = (l: string) => l.trim().split(delim).map((f) => f.trim());
  let fields = split(sample);
  const hasHeader = fields.some((f) => f === '' || !Number.isFinite(Number(f)));
  const names = hasHeader ? fields : fields.map((_, i) => `ch${i}`);
  if (hasHeader) first++;
  const cols = selectColumns(file, names, columns, hasHeader);
  const values: number[][] = cols.map(() => []);
  for (let ln = first; ln < lines.length; ln++) {
    const line = lines[ln];
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    fields = split(line);
    if (fields.length !== names.length) throw invalid(file, `line ${ln + 1}: ${fields.length} fields, expected ${names.length}`);
    cols.forEach((c, k) => {
      const v = Number(fields[c]);
      if (fields[c] === '' || !Number.isFinite(v)) throw invalid(file, `line ${ln + 1}: column "${names[c]}": ${JSON.stringify(fields[c])} is not a number`);
      values[k].push(v);
    });
  }
  if (values[0].length === 0) throw invalid(file, 'has a header but no data lines');
  return { channels: values.map((v) => Float32Array.from(v)), names: cols.map((c) => names[c]) };
}

function readMatSignal(file: string, buf: Buffer, variable: string | undefined, columns: Array<string | number> | undefined): SignalData {
  const { variables, skipped } = readMatContents(buf, file);
  let name = variable;
  if (!name) {
    const keys = [...variables.keys()];
    name = keys.find((k) => /_DE_time$/.test(k)) ?? (keys.length === 1 ? keys[0] : undefined);
    if (!name) throw invalid(file, `name the variable to read (numeric variables: ${keys.join(', ') || 'none'})`);
  }
  const v = variables.get(name);
  if (!v) {
    const why = skipped.find((s) => s.name === name);
    throw invalid(file, why ? `variable "${name}" cannot be read: ${why.reason}` : `has no variable "${name}" (numeric variables: ${[...variables.keys()].join(', ') || 'none'})`);
  }
  if (v.rows === 0 || v.cols === 0) throw invalid(file, `variable "${name}" is empty`);
  // A row or column vector is one signal; a matrix is samples x channels (one column per channel).
  const vector = v.rows === 1 || v.cols === 1;
  const n = vector ? v.data.length : v.rows;
  const width = vector ? 1 : v.cols;
  const names = Array.from({ length: width }, (_, c) => (width === 1 ? name! : `${name}[${c}]`));
  const cols = columns === undefined ? names.map((_, i) => i) : selectColumns(file, names, columns, false);
  const channels = cols.map((c) => Float32Array.from(v.data.subarray(c * n, (c + 1) * n)));
  return { channels, names: cols.map((c) => names[c]) };
}

/** Reads a signal file into one Float32Array per channel. Errors name the file and the problem. */
export function readSignalFile(file: string, opts: SignalFileOptions = {}): SignalData {
  const format = signalFormatOf(file, opts.format);
  if (!existsSync(file)) throw invalid(file, 'not found');
  const buf = readFileSync(file);
  if (format === 'f32') return readF32Signal(file, buf, opts.channels ?? 1);
  if (format === 'csv') return readCsvSignal(file, buf.toString('utf8'), opts.columns);
  return readMatSignal(file, buf, opts.variable, opts.columns);
}

// ---- manifest --------------------------------------------------------------------------------

const unitSchema = z.enum(['g', 'm/s2', 'mg']);
const classSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['normal', 'fault']),
  component: z.string().nullable().default(null),
  sizeIn: z.number().positive().nullable().default(null),
});
const recordSchema = z.strictObject({
  file: z.string().min(1),
  label: z.string().min(1),
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" or "." (it becomes a file name)').optional(),
  format: z.enum(['f32', 'csv', 'mat']).optional(),
  rateHz: z.number().positive().optional(),
  unit: unitSchema.optional(),
  loadHp: z.number().nonnegative().nullable().default(null),
  rpm: z.number().positive().nullable().default(null),
  channels: z.int().positive().optional(),
  columns: z.array(z.union([z.string().min(1), z.int().nonnegative()])).min(1).optional(),
  variable: z.string().optional(),
});
const manifestSchema = z.strictObject({
  format: z.literal('drsnd-recordings-1').optional(),
  rateHz: z.number().positive().optional(),
  unit: unitSchema.default('g'),
  classes: z.array(classSchema).min(2, 'a model needs at least two classes'),
  records: z.array(recordSchema).min(1),
});

export type RecordingManifest = z.infer<typeof manifestSchema>;

function parseManifest(file: string): RecordingManifest {
  if (!existsSync(file)) throw invalid(file, 'not found');
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw invalid(file, `cannot be parsed (${(e as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${file}: invalid recordings manifest: ${details.join('; ')}`, { details });
  }
  return parsed.data;
}

/**
 * Loads a recordings manifest (JSON or YAML, docs/recordings.md): the class list in model order
 * and one LabeledRecord per channel of every listed file. Relative file paths resolve against the
 * manifest's folder.
 */
export function loadRecordingManifest(manifestPath: string): { classes: ModelClass[]; records: LabeledRecord[] } {
  const m = parseManifest(manifestPath);
  const where = (i: number) => `${manifestPath}: records[${i}]`;
  const classes: ModelClass[] = m.classes.map((c, index) => ({ index, name: c.name, kind: c.kind, component: c.component, sizeIn: c.sizeIn }));
  const byName = new Map<string, ModelClass>();
  for (const c of classes) {
    if (byName.has(c.name)) throw invalid(manifestPath, `class "${c.name}" is listed twice`);
    byName.set(c.name, c);
  }
  if (!classes.some((c) => c.kind === 'normal')) throw invalid(manifestPath, 'no class has kind "normal"; alerts need to know what healthy looks like');

  const records: LabeledRecord[] = [];
  const ids = new Set<string>();
  m.records.forEach((r, i) => {
    const cls = byName.get(r.label);
    if (!cls) throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${where(i)}: label "${r.label}" is not one of the classes (${classes.map((c) => c.name).join(', ')})`);
    const rateHz = r.rateHz ?? m.rateHz;
    if (rateHz === undefined) throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${where(i)}: no rateHz (set it on the record or at the top of the manifest)`);
    const file = path.resolve(path.dirname(manifestPath), r.file);
    const signal = readSignalFile(file, { format: r.format, channels: r.channels, columns: r.columns, variable: r.variable });
    const base = r.id ?? path.basename(r.file, path.extname(r.file)).replace(/[^A-Za-z0-9_.-]/g, '_');
    signal.channels.forEach((data, c) => {
      const id = signal.channels.length === 1 ? base : `${base}_${signal.names[c].replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      if (ids.has(id)) throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${where(i)}: record id "${id}" is used twice; give the record an "id"`);
      ids.add(id);
      records.push({
        id, label: cls.index, className: cls.name, kind: cls.kind, component: cls.component, sizeIn: cls.sizeIn,
        loadHp: r.loadHp, rpm: r.rpm, rateHz, unit: (r.unit ?? m.unit) as Unit, data, source: file,
      });
    });
  });
  return { classes, records };
}

// Writes a recording into a folder of recordings (docs/recordings.md): the samples as raw float32 LE,
// channels interleaved, and an entry in the folder's manifest (recordings.yaml, or an existing
// recordings.json), which is created when missing. `drsnd record` uses it; `drsnd train --data
// <folder>/recordings.yaml` reads the result with loadRecordingManifest.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DrsndError, ErrorCodes } from '../errors.js';

export interface NewRecording {
  /** Becomes the record id and the file name (with a time stamp). */
  sensorId: string;
  label: string;
  /** The class's kind when the label is a new class; null: `normal` for Normal/Healthy, else `fault`. */
  kind: 'normal' | 'fault' | null;
  /** The class's bearing component when the label is a new class (inner_race, outer_race, ball). */
  component: string | null;
  rateHz: number;
  unit: string;
  /** Epoch ms of the first sample (names the file). */
  t0: number;
  channels: readonly Float32Array[];
  rpm?: number | null;
}

const MANIFESTS = ['recordings.yaml', 'recordings.yml', 'recordings.json'];
const HEALTHY = /^(normal|healthy|ok|good)$/i;

/** The manifest file of a folder: the one that exists, else recordings.yaml. */
export function manifestOf(dir: string): string {
  return path.join(dir, MANIFESTS.find((m) => existsSync(path.join(dir, m))) ?? MANIFESTS[0]);
}

interface RawManifest {
  classes?: Array<{ name?: unknown; kind?: unknown; component?: unknown }>;
  records?: unknown[];
  [k: string]: unknown;
}

/** Writes the samples and adds them to the folder's manifest; returns both paths. */
export function addRecording(dir: string, r: NewRecording): { manifest: string; file: string } {
  mkdirSync(dir, { recursive: true });
  const manifest = manifestOf(dir);
  let m: RawManifest = { format: 'drsnd-recordings-1', classes: [], records: [] };
  if (existsSync(manifest)) {
    try {
      m = (parseYaml(readFileSync(manifest, 'utf8')) ?? {}) as RawManifest;
    } catch (e) {
      throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${manifest}: cannot be parsed (${(e as Error).message}); fix it or record into another folder`);
    }
    if (typeof m !== 'object' || Array.isArray(m) || (m.classes !== undefined && !Array.isArray(m.classes)) || (m.records !== undefined && !Array.isArray(m.records))) {
      throw new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${manifest}: not a recordings manifest (docs/recordings.md)`);
    }
  }
  const classes = (m.classes ??= []);
  const records = (m.records ??= []);
  const existing = classes.find((c) => c.name === r.label);
  if (existing) {
    if (r.kind !== null && existing.kind !== r.kind) {
      throw new DrsndError(ErrorCodes.USAGE, `class "${r.label}" is already in ${manifest} with kind ${String(existing.kind)}, not ${r.kind}`);
    }
  } else {
    classes.push({ name: r.label, kind: r.kind ?? (HEALTHY.test(r.label) ? 'normal' : 'fault'), ...(r.component ? { component: r.component } : {}) });
  }

  const stamp = new Date(r.t0).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = `${r.sensorId}-${r.label}-${stamp}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  let id = base;
  for (let k = 2; existsSync(path.join(dir, `${id}.f32`)); k++) id = `${base}-${k}`;
  const file = path.join(dir, `${id}.f32`);
  writeFileSync(file, interleaveF32(r.channels));
  records.push({
    file: path.basename(file), label: r.label, id, rateHz: r.rateHz, unit: r.unit,
    ...(r.channels.length > 1 ? { channels: r.channels.length } : {}), ...(r.rpm ? { rpm: r.rpm } : {}),
  });
  const text = manifest.endsWith('.json') ? `${JSON.stringify(m, null, 2)}\n` : stringifyYaml(m);
  // Written whole and renamed: a crash mid-write leaves the old manifest, never half of one.
  const tmp = `${manifest}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text);
  renameSync(tmp, manifest);
  return { manifest, file };
}

/** x0 y0 z0 x1 y1 z1 … as float32 little-endian (the recordings f32 format). */
export function interleaveF32(channels: readonly Float32Array[], from = 0, to = channels[0]?.length ?? 0): Buffer {
  const n = Math.max(0, to - from);
  const k = channels.length;
  if (os.endianness() === 'LE') {
    // Typed-array stores, not a writeFloatLE call per sample: 600 s of a 25.6 kHz triaxial sensor is 46 M samples.
    const x = new Float32Array(n * k);
    for (let c = 0; c < k; c++) {
      const ch = channels[c];
      for (let i = 0; i < n; i++) x[i * k + c] = ch[from + i];
    }
    return Buffer.from(x.buffer, 0, x.byteLength);
  }
  const out = Buffer.alloc(n * k * 4);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out.writeFloatLE(channels[c][from + i], (i * k + c) * 4);
  return out;
}

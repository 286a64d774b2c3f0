// Model folders for tests: a seeded random-init DRSN exported by the real PyTorch exporter
// (`python3 -m drsn.export --random`), with PyTorch's own probabilities for real CWRU windows in
// reference.json/bin. Tests skip visibly when /usr/bin/python3 has no torch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { normalizeData } from '../../src/pipeline/normalize.js';
import type { ModelMetadata } from '../../src/types.js';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/metadata.js';
import { EnvelopeOrderSpectrum } from '../../src/physics/order-spectrum.js';
import { cwruDirPath, projectRoot } from './data.js';
import { existsSync } from 'node:fs';

export const PYTHON = process.env.DRSND_PYTHON ?? '/usr/bin/python3';
const PY_ROOT = path.join(projectRoot, 'src', 'model', 'py');

let torchChecked: string | null | undefined;

/** Why PyTorch cannot export here, or null when it can. */
export function torchUnavailable(): string | null {
  if (torchChecked === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    torchChecked = r.status === 0 ? null : `${PYTHON} cannot import torch/numpy (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  }
  return torchChecked;
}

export interface ExportOptions {
  variant?: 'cw' | 'cs' | 'plain';
  /** Calibrate BN and take reference windows from real CWRU data (default: when the data is present). */
  cwru?: string | null;
  seed?: number;
  /** Width of the first convolution (default the paper's 3). */
  stemKernel?: number;
  /** Classifier head (default the paper's global average pooling). */
  head?: 'gap' | 'flatten';
  /** Net input length (default 2048). */
  windowLength?: number;
}

/**
 * Exports a random-init model into a new temp dir; returns it, or undefined after skipping the test
 * (no torch). Remove it with `removeModelDir`.
 */
export function exportRandomModel(t: TestContext | undefined, opts: ExportOptions = {}): string | undefined {
  const why = torchUnavailable();
  if (why) {
    t?.skip(`${why}; skipping`);
    return undefined;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'drsnd-model-'));
  const cwru = opts.cwru === undefined ? (existsSync(path.join(cwruDirPath(), 'manifest.json')) ? cwruDirPath() : null) : opts.cwru;
  const args = ['-m', 'drsn.export', '--random', '--variant', opts.variant ?? 'cw', '--out', out, '--seed', String(opts.seed ?? 7)];
  if (cwru) args.push('--cwru', cwru);
  if (opts.stemKernel !== undefined) args.push('--stem-kernel', String(opts.stemKernel));
  if (opts.head !== undefined) args.push('--head', opts.head);
  if (opts.windowLength !== undefined) args.push('--window-length', String(opts.windowLength));
  const r = spawnSync(PYTHON, args, { cwd: PY_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`drsn.export failed (${r.status}): ${r.stderr}`);
  }
  return out;
}

export function removeModelDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export interface Reference {
  count: number;
  windowLength: number;
  numClasses: number;
  /** count × windowLength normalized windows. */
  inputs: Float32Array;
  /** count × numClasses PyTorch probabilities. */
  probs: Float32Array;
  sources?: { file: string; offset: number; label: number }[];
  /** Models with an input.representation: the samples, shaft speed and race orders each input was computed from. */
  raw?: { windows: Float32Array[]; shaftHz: number[]; bpfo: number[]; bpfi: number[] };
}

export function readReference(dir: string): Reference {
  const doc = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8'));
  const buf = readFileSync(path.join(dir, doc.file));
  const at = (span: { offset: number; length: number }): Float32Array => {
    const out = new Float32Array(span.length);
    for (let i = 0; i < span.length; i++) out[i] = buf.readFloatLE(span.offset + i * 4);
    return out;
  };
  const raw = doc.raw && {
    windows: (() => {
      const all = at(doc.raw);
      let o = 0;
      return (doc.raw.lengths as number[]).map((n) => all.subarray(o, (o += n)));
    })(),
    shaftHz: doc.raw.shaftHz as number[], bpfo: doc.raw.bpfo as number[], bpfi: doc.raw.bpfi as number[],
  };
  return { count: doc.count, windowLength: doc.windowLength, numClasses: doc.numClasses, inputs: at(doc.inputs), probs: at(doc.probs), sources: doc.sources, raw };
}

/** A slice of a CWRU .f32 file, normalized by the daemon's own code (src/pipeline/normalize.ts). */
export function cwruWindow(cwruDir: string, file: string, offset: number, length: number, normalization: ModelMetadata['normalization']): Float32Array {
  const buf = readFileSync(path.join(cwruDir, file));
  const raw = new Float32Array(length);
  for (let i = 0; i < length; i++) raw[i] = buf.readFloatLE((offset + i) * 4);
  return normalizeData(raw, normalization);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Splits count × len floats into per-window arrays (copies, as the pipeline would hand them over). */
export function splitWindows(flat: Float32Array, len: number): Float32Array[] {
  return Array.from({ length: flat.length / len }, (_, i) => flat.slice(i * len, (i + 1) * len));
}

/** Why the native engine (build/native, compiled by npm run build) cannot load here, or null when it can. */
export { nativeUnavailable } from '../../src/model/engines/native.js';

/** Rebuilds a folder's reference inputs from its raw samples with the daemon's envelope-order spectrum; max |Δ|. */
export async function representationAgreement(dir: string): Promise<{ d: number; count: number }> {
  const { meta } = await loadModel(dir);
  const spec = meta.input.representation;
  assert.ok(spec, `${dir}: no input.representation`);
  const ref = readReference(dir);
  assert.ok(ref.raw, 'the reference carries the raw windows its inputs came from');
  assert.equal(ref.raw.windows.length, ref.count);
  const eos = new EnvelopeOrderSpectrum(spec);
  const ours = new Float32Array(ref.count * spec.bins);
  ref.raw.windows.forEach((w, i) => {
    eos.compute(w, meta.input.sampleRateHz, ref.raw!.shaftHz[i], { bpfo: ref.raw!.bpfo[i], bpfi: ref.raw!.bpfi[i] }, ours.subarray(i * spec.bins, (i + 1) * spec.bins));
  });
  return { d: maxAbsDiff(ours, ref.inputs), count: ref.count };
}


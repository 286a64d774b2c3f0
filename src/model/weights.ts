// weights.json + weights.bin (format "drsn-weights-1", docs/ARCHITECTURE.md): the PyTorch state_dict
// as float32 LE, read here and re-laid-out for tfjs. Layout conversions live here, in one place,
// because getting them wrong gives a model that runs and silently predicts garbage.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DrsndError, ErrorCodes } from '../errors.js';

export const WEIGHTS_FORMAT = 'drsn-weights-1';

const tensorEntry = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.int().min(0)),
  offset: z.int().min(0),
  length: z.int().min(0),
});

const weightsDoc = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  architecture: z.enum(['drsn-cw', 'drsn-cs', 'resnet']),
  bnEpsilon: z.number().positive(),
  numClasses: z.int().positive(),
  file: z.string().default('weights.bin'),
  tensors: z.array(tensorEntry).min(1),
});

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface DrsnWeights {
  architecture: 'drsn-cw' | 'drsn-cs' | 'resnet';
  bnEpsilon: number;
  numClasses: number;
  /** PyTorch state_dict names (e.g. "units.0.conv1.weight") in PyTorch layout. */
  tensors: Map<string, WeightTensor>;
}

function invalid(file: string, details: string[], cause?: unknown): DrsndError {
  return new DrsndError(ErrorCodes.MODEL_INVALID, `invalid weights ${file}:\n  ${details.join('\n  ')}`, { details, cause });
}

/** Reads `<dir>/<weightsFile>` and the binary it points to; checks every tensor lies inside it. */
export async function loadWeights(dir: string, weightsFile = 'weights.json'): Promise<DrsnWeights> {
  const jsonPath = path.join(dir, weightsFile);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw invalid(jsonPath, [`(root): ${(e as Error).message}`], e);
  }
  const r = weightsDoc.safeParse(raw);
  if (!r.success) throw invalid(jsonPath, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  const doc = r.data;
  const binPath = path.join(dir, doc.file);
  let bin: Buffer;
  try {
    bin = await readFile(binPath);
  } catch (e) {
    throw invalid(jsonPath, [`file: cannot read ${binPath}`], e);
  }
  const problems: string[] = [];
  const tensors = new Map<string, WeightTensor>();
  doc.tensors.forEach((t, i) => {
    const elems = t.shape.reduce((a, b) => a * b, 1);
    if (elems !== t.length) problems.push(`tensors.${i} (${t.name}): shape ${JSON.stringify(t.shape)} has ${elems} values, length says ${t.length}`);
    if (t.offset % 4 !== 0 || t.offset + t.length * 4 > bin.byteLength) {
      problems.push(`tensors.${i} (${t.name}): bytes [${t.offset}, ${t.offset + t.length * 4}) outside ${doc.file} (${bin.byteLength} bytes)`);
      return;
    }
    // Copy via DataView: explicit little endian, and no alignment assumption about the Buffer pool.
    const view = new DataView(bin.buffer, bin.byteOffset + t.offset, t.length * 4);
    const data = new Float32Array(t.length);
    for (let k = 0; k < t.length; k++) data[k] = view.getFloat32(k * 4, true);
    tensors.set(t.name, { shape: t.shape, data });
  });
  if (problems.length > 0) throw invalid(jsonPath, problems);
  return { architecture: doc.architecture, bnEpsilon: doc.bnEpsilon, numClasses: doc.numClasses, tensors };
}

/** Fetches a tensor by PyTorch name, checking its shape. */
/** weights.json must describe the net drsn.json names (architecture and classes). */
export function assertWeightsMatch(weights: DrsnWeights, meta: { architecture: string; classes: readonly unknown[] }): void {
  if (weights.numClasses !== meta.classes.length || weights.architecture !== meta.architecture) {
    const msg = `weights.json (${weights.architecture}, ${weights.numClasses} classes) does not match drsn.json (${meta.architecture}, ${meta.classes.length} classes)`;
    throw new DrsndError(ErrorCodes.MODEL_INVALID, msg, { details: [msg] });
  }
}

export function requireTensor(w: DrsnWeights, name: string, shape?: number[]): WeightTensor {
  const t = w.tensors.get(name);
  if (!t) throw new DrsndError(ErrorCodes.MODEL_INVALID, `weights: missing tensor ${name}`, { details: [`tensors: missing ${name}`] });
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    const msg = `weights: ${name} has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`;
    throw new DrsndError(ErrorCodes.MODEL_INVALID, msg, { details: [`${name}: ${msg}`] });
  }
  return t;
}

/** PyTorch Conv1d weight [Cout, Cin, k] → tfjs conv1d kernel [k, Cin, Cout]. */
export function convKernelToTfjs(t: WeightTensor): WeightTensor {
  const [cout, cin, k] = t.shape as [number, number, number];
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let j = 0; j < k; j++) out[(j * cin + i) * cout + o] = t.data[(o * cin + i) * k + j];
    }
  }
  return { shape: [k, cin, cout], data: out };
}

/** PyTorch Linear weight [out, in] → tfjs dense kernel [in, out]. */
export function linearKernelToTfjs(t: WeightTensor): WeightTensor {
  const [nOut, nIn] = t.shape as [number, number];
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < nOut; o++) {
    for (let i = 0; i < nIn; i++) out[i * nOut + o] = t.data[o * nIn + i];
  }
  return { shape: [nIn, nOut], data: out };
}

// drsn.json: the model folder's description (docs/ARCHITECTURE.md). The daemon hard-codes nothing of a
// model, so everything downstream trusts this file: it is validated once, completely, at load time.
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { ModelMetadata, Unit } from '../types.js';

/** Channels of the paper's three stages: what a drsn.json without `widths` means (src/model/py/drsn/model.py). */
export const PAPER_WIDTHS: readonly number[] = [4, 8, 16];
/** Width of the paper's first convolution: what a drsn.json without `stemKernel` means. */
export const PAPER_STEM_KERNEL = 3;

/** The block variant of each architecture. Here, not in tfjs-drsn.ts, so that the native engine can
 * read it without loading TensorFlow.js (an optional dependency, left out of lean bundles). */
export type DrsnVariant = 'cw' | 'cs' | 'plain';
export const VARIANT_OF_ARCHITECTURE = { 'drsn-cw': 'cw', 'drsn-cs': 'cs', resnet: 'plain' } as const satisfies Record<string, DrsnVariant>;

export const METADATA_FILE = 'drsn.json';

const positive = z.number().positive();

const modelClass = z.strictObject({
  index: z.int().min(0),
  name: z.string().min(1),
  kind: z.enum(['normal', 'fault']),
  component: z.string().nullable(),
  sizeIn: z.number().nonnegative().nullable(),
});

const normalization = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('window-zscore'), epsilon: z.number().nonnegative() }),
  z.strictObject({ method: z.literal('global'), mean: z.number(), std: positive }),
]);

const fileName = z.string().min(1).refine((f) => !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..'), 'must be a file inside the model folder');

// Refinements sit on the smallest object they concern: zod skips an object's refinements when any
// of its fields failed, and we want every problem reported in one go.
const classes = z.array(modelClass).min(2).superRefine((cs, ctx) => {
  cs.forEach((c, i) => {
    if (c.index !== i) ctx.addIssue({ code: 'custom', path: [i, 'index'], message: `must be ${i} (classes are listed in output order)` });
  });
  if (!cs.some((c) => c.kind === 'normal')) ctx.addIssue({ code: 'custom', message: 'needs one class of kind "normal"' });
});

const input = z.strictObject({
  sampleRateHz: positive,
  windowLength: z.int().positive(),
  channels: z.int().positive(),
  unit: z.enum(['g', 'm/s2', 'mg']),
  bandLimitHz: positive,
}).superRefine((i, ctx) => {
  if (i.bandLimitHz > i.sampleRateHz / 2) ctx.addIssue({ code: 'custom', path: ['bandLimitHz'], message: `must be <= Nyquist (${i.sampleRateHz / 2} Hz)` });
});

const files = z.object({ onnx: fileName.optional(), weights: fileName.optional() })
  .refine((f) => f.onnx !== undefined || f.weights !== undefined, 'needs "onnx" or "weights" (no engine could run this model)');

export const modelMetadataSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" or "."'),
  version: z.string().min(1),
  architecture: z.enum(['drsn-cw', 'drsn-cs', 'resnet']),
  /** Channels of the three stages; absent = the paper's [4, 8, 16]. Non-decreasing: the shortcut zero-pads channels. */
  widths: z.array(z.int().positive()).length(3).refine((w) => w[0] <= w[1] && w[1] <= w[2], 'must not decrease from stage to stage').optional(),
  /** Width of the first convolution; absent = the paper's 3. Odd: PyTorch pads k / 2 on both sides. */
  stemKernel: z.int().min(3).max(255).refine((k) => k % 2 === 1, 'must be odd').optional(),
  /** Nets of this architecture whose probabilities are averaged (weights under "members.<i>."); absent = one net. */
  members: z.int().min(2).max(16).optional(),
  input,
  normalization,
  classes,
  files,
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

function issuePath(p: readonly PropertyKey[]): string {
  return p.length === 0 ? '(root)' : p.map(String).join('.');
}

/** Validates parsed drsn.json; every problem is listed as "path: message" in `details`. */
export function parseModelMetadata(raw: unknown, source = METADATA_FILE): ModelMetadata {
  const r = modelMetadataSchema.safeParse(raw);
  if (!r.success) {
    const details = r.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
    throw new DrsndError(ErrorCodes.MODEL_INVALID, `invalid model metadata ${source}:\n  ${details.join('\n  ')}`, { details });
  }
  return r.data as ModelMetadata;
}

/** Reads and validates `<dir>/drsn.json`; also checks that the files it names exist. */
export async function loadModel(dir: string): Promise<{ meta: ModelMetadata; dir: string }> {
  const abs = path.resolve(dir);
  const file = path.join(abs, METADATA_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DrsndError(ErrorCodes.MODEL_NOT_FOUND, `no model at ${abs}: cannot read ${METADATA_FILE} (set model.dir to a model folder, see \`drsnd models\`)`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = `invalid model metadata ${file}: not JSON (${(e as Error).message})`;
    throw new DrsndError(ErrorCodes.MODEL_INVALID, msg, { cause: e, details: [`(root): ${(e as Error).message}`] });
  }
  const meta = parseModelMetadata(raw, file);
  const missing: string[] = [];
  for (const [key, name] of Object.entries(meta.files)) {
    if (name === undefined) continue;
    try {
      await access(path.join(abs, name));
    } catch {
      missing.push(`files.${key}: ${name} not found in ${abs}`);
    }
  }
  if (missing.length > 0) {
    throw new DrsndError(ErrorCodes.MODEL_INVALID, `invalid model ${abs}:\n  ${missing.join('\n  ')}`, { details: missing });
  }
  return { meta, dir: abs };
}

/** What the pipeline will feed the model; any field given must match drsn.json. */
export interface ExpectedModelInput {
  windowLength?: number;
  channels?: number;
  classes?: number;
  unit?: Unit;
  sampleRateHz?: number;
}

/** Refuses a model whose input/output does not fit what the caller feeds it (MODEL_MISMATCH, naming each difference). */
export function checkModelInput(meta: ModelMetadata, expected: ExpectedModelInput = {}): void {
  const diffs: string[] = [];
  const cmp = (what: string, model: unknown, want: unknown): void => {
    if (want !== undefined && model !== want) diffs.push(`${what}: model has ${String(model)}, expected ${String(want)}`);
  };
  cmp('input.windowLength', meta.input.windowLength, expected.windowLength);
  cmp('input.channels', meta.input.channels, expected.channels);
  cmp('classes', meta.classes.length, expected.classes);
  cmp('input.unit', meta.input.unit, expected.unit);
  cmp('input.sampleRateHz', meta.input.sampleRateHz, expected.sampleRateHz);
  // The engines here feed one channel per window ([N, 1, L]); a multi-channel model cannot be served.
  if (expected.channels === undefined && meta.input.channels !== 1) diffs.push(`input.channels: model has ${meta.input.channels}, drsnd feeds 1 channel per window`);
  if (diffs.length > 0) {
    throw new DrsndError(ErrorCodes.MODEL_MISMATCH, `model ${meta.id} ${meta.version} does not fit: ${diffs.join('; ')}`, { details: diffs });
  }
}

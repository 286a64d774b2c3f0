// drsn.json: the model folder's description (docs/ARCHITECTURE.md). The daemon hard-codes nothing of a
// model, so everything downstream trusts this file: it is validated once, completely, at load time.
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DrsndError, ErrorCodes } from '../errors.js';
import { ENVELOPE_ORDER_SPECTRUM } from '../physics/order-spectrum.js';
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
  // The representation normalizes its own amplitudes (src/physics/order-spectrum.ts, step 5).
  z.strictObject({ method: z.literal('none') }),
]);

/**
 * What the net sees instead of the raw window (issue 18): the envelope-order spectrum of the window's
 * latest samples, `bins` long. Every parameter a reader needs to rebuild it is here.
 */
const representation = z.strictObject({
  kind: z.literal(ENVELOPE_ORDER_SPECTRUM),
  bandHz: z.tuple([positive, positive]).refine(([lo, hi]) => lo < hi, 'low edge must be below the high edge'),
  revolutions: positive,
  fftLength: z.int().min(16).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  // Each of the net's 4 strided stages halves the length: 16 divides it, and 32 is the native engine's minimum.
  bins: z.int().min(32).refine((n) => n % 16 === 0, 'must be a multiple of 16'),
  maxPosition: positive,
  canonical: z.strictObject({ bpfo: positive, bpfi: positive }).refine((c) => c.bpfo < c.bpfi, 'bpfo must be below bpfi'),
  floorRange: z.tuple([z.number().nonnegative(), positive]).refine(([lo, hi]) => lo < hi, 'low edge must be below the high edge'),
});

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
  representation: representation.optional(),
}).superRefine((i, ctx) => {
  if (i.bandLimitHz > i.sampleRateHz / 2) ctx.addIssue({ code: 'custom', path: ['bandLimitHz'], message: `must be <= Nyquist (${i.sampleRateHz / 2} Hz)` });
  const r = i.representation;
  if (r && r.bandHz[1] > i.bandLimitHz) ctx.addIssue({ code: 'custom', path: ['representation', 'bandHz'], message: `must lie below input.bandLimitHz (${i.bandLimitHz} Hz)` });
  if (r && r.fftLength < i.windowLength) ctx.addIssue({ code: 'custom', path: ['representation', 'fftLength'], message: `must be >= input.windowLength (${i.windowLength}): a spectrum uses at most fftLength samples` });
});

const files = z.object({ onnx: fileName.optional(), weights: fileName.optional() })
  .refine((f) => f.onnx !== undefined || f.weights !== undefined, 'needs "onnx" or "weights" (no engine could run this model)');

/** Out-of-distribution score of an envelope-order model (src/physics/order-spectrum.ts SpectralShapeOod). */
const ood = z.strictObject({
  kind: z.literal('spectral-shape'),
  median: z.tuple([z.number(), z.number()]),
  scale: z.tuple([positive, positive]),
  threshold: z.number(),
  calibration: z.string().optional(),
});

export const modelMetadataSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" or "."'),
  version: z.string().min(1),
  architecture: z.enum(['drsn-cw', 'drsn-cs', 'resnet']),
  /** Channels of the three stages; absent = the paper's [4, 8, 16]. Non-decreasing: the shortcut zero-pads channels. */
  widths: z.array(z.int().positive()).length(3).refine((w) => w[0] <= w[1] && w[1] <= w[2], 'must not decrease from stage to stage').optional(),
  /** Width of the first convolution; absent = the paper's 3. Odd: PyTorch pads k / 2 on both sides. */
  stemKernel: z.int().min(3).max(255).refine((k) => k % 2 === 1, 'must be odd').optional(),
  /** Pooling before the classifier: "gap" (the paper's global average; absent = this) or "flatten" (every position of the last map). */
  head: z.enum(['gap', 'flatten']).optional(),
  /** Nets of this architecture whose probabilities are averaged (weights under "members.<i>."); absent = one net. */
  members: z.int().min(2).max(16).optional(),
  input,
  normalization,
  classes,
  files,
  ood: ood.optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
}).superRefine((m, ctx) => {
  if (m.ood && !m.input.representation) ctx.addIssue({ code: 'custom', path: ['ood'], message: 'is defined on an input.representation only' });
  // A representation brings its own amplitude scale; z-scoring it again would differ from training.
  if (m.input.representation && m.normalization.method !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['normalization', 'method'], message: 'must be "none" with an input.representation' });
  }
});

/** Floats per window the net takes: the representation's length, else the raw window's. */
export function netInputLength(meta: Pick<ModelMetadata, 'input'>): number {
  return meta.input.representation?.bins ?? meta.input.windowLength;
}

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

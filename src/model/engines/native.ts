// native engine: the DRSN forward pass in C (native/drsn.c), built by `npm run build` where a C
// compiler and Node's headers exist (native/build.mjs), for the CPU it was built on. It reads the same
// weights.json as tfjs; here the BatchNorms that follow a linear layer are folded into it, and the
// whole net is handed to C as a plan (int32) plus parameters (float32) in the order drsn.c reads them.
import { DrsndError, ErrorCodes } from '../../errors.js';
import type { ModelMetadata } from '../../types.js';
import { netInputLength, PAPER_STEM_KERNEL, PAPER_WIDTHS, VARIANT_OF_ARCHITECTURE } from '../metadata.js';
import { assertWeightsMatch, loadWeights, requireTensor, type DrsnWeights } from '../weights.js';
import type { InferenceEngine } from './engine.js';
import { loadNativeAddon, PLAN_VERSION } from './native-addon.js';

// The addon's loading lives in native-addon.ts (the physics' FFTs load it too, without the engine).
export { cpuFeatures, loadNativeAddon, missingFeatures, nativeBuildDir, nativeUnavailable } from './native-addon.js';

const VARIANT_CODE = { cw: 0, cs: 1, plain: 2 } as const;
const HEAD_CODE = { gap: 0, flatten: 1 } as const;

/** BatchNorm (eval) as y = x·scale + shift. */
function bnAffine(w: DrsnWeights, name: string, eps: number): { scale: Float32Array; shift: Float32Array } {
  const g = requireTensor(w, `${name}.weight`).data;
  const b = requireTensor(w, `${name}.bias`, [g.length]).data;
  const m = requireTensor(w, `${name}.running_mean`, [g.length]).data;
  const v = requireTensor(w, `${name}.running_var`, [g.length]).data;
  const scale = new Float32Array(g.length);
  const shift = new Float32Array(g.length);
  for (let c = 0; c < g.length; c++) {
    const s = g[c] / Math.sqrt(v[c] + eps);
    scale[c] = s;
    shift[c] = b[c] - m[c] * s;
  }
  return { scale, shift };
}

/** A linear layer (rows = output channels, `per` weights each) followed by a BN: weights and bias scaled per row. */
function foldRows(weight: Float32Array, bias: Float32Array, bn: { scale: Float32Array; shift: Float32Array }): [Float32Array, Float32Array] {
  const rows = bias.length;
  const per = weight.length / rows;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < per; k++) w[r * per + k] = weight[r * per + k] * bn.scale[r];
    b[r] = bias[r] * bn.scale[r] + bn.shift[r];
  }
  return [w, b];
}

/** The plan and folded parameters drsn.c runs (its net_create documents the plan layout). */
export function buildNativePlan(meta: ModelMetadata, w: DrsnWeights): { plan: Int32Array; params: Float32Array } {
  const variant = VARIANT_OF_ARCHITECTURE[meta.architecture];
  const widths = meta.widths ?? PAPER_WIDTHS;
  const stemK = meta.stemKernel ?? PAPER_STEM_KERNEL;
  const members = meta.members ?? 1;
  const eps = w.bnEpsilon;
  const classes = w.numClasses;
  const head = meta.head ?? 'gap';
  // The stem and each stage's first unit halve the length: a flatten head sees the last map's every position.
  const lastLength = netInputLength(meta) / 16;
  const plan: number[] = [PLAN_VERSION, netInputLength(meta), classes, members, VARIANT_CODE[variant], HEAD_CODE[head]];
  const params: Float32Array[] = [];
  for (let mi = 0; mi < members; mi++) {
    const p = members > 1 ? `members.${mi}.` : '';
    let units = 0;
    while (w.tensors.has(`${p}units.${units}.conv1.weight`)) units++;
    if (units === 0 || units % widths.length !== 0) {
      const msg = `weights: ${units} residual units under "${p}units." do not divide into ${widths.length} stages`;
      throw new DrsndError(ErrorCodes.MODEL_INVALID, msg, { details: [msg] });
    }
    const perStage = units / widths.length;
    const c0 = widths[0];
    plan.push(c0, stemK, units);
    params.push(requireTensor(w, `${p}stem.weight`, [c0, 1, stemK]).data, requireTensor(w, `${p}stem.bias`, [c0]).data);
    let cin = c0;
    for (let u = 0; u < units; u++) {
      const q = `${p}units.${u}.`;
      const cout = widths[Math.floor(u / perStage)];
      plan.push(cin, cout, u % perStage === 0 ? 2 : 1);
      const bn1 = bnAffine(w, `${q}bn1`, eps);
      const [w1, b1] = foldRows(requireTensor(w, `${q}conv1.weight`, [cout, cin, 3]).data, requireTensor(w, `${q}conv1.bias`, [cout]).data, bnAffine(w, `${q}bn2`, eps));
      params.push(bn1.scale, bn1.shift, w1, b1);
      params.push(requireTensor(w, `${q}conv2.weight`, [cout, cout, 3]).data, requireTensor(w, `${q}conv2.bias`, [cout]).data);
      if (variant !== 'plain') {
        const F = variant === 'cw' ? cout : 1;
        const [f1w, f1b] = foldRows(requireTensor(w, `${q}shrink.fc1.weight`, [cout, cout]).data, requireTensor(w, `${q}shrink.fc1.bias`, [cout]).data, bnAffine(w, `${q}shrink.bn`, eps));
        params.push(f1w, f1b, requireTensor(w, `${q}shrink.fc2.weight`, [F, cout]).data, requireTensor(w, `${q}shrink.fc2.bias`, [F]).data);
      }
      cin = cout;
    }
    plan.push(cin);
    const headBn = bnAffine(w, `${p}head_bn`, eps);
    const fcIn = head === 'flatten' ? cin * lastLength : cin;
    params.push(headBn.scale, headBn.shift, requireTensor(w, `${p}head_fc.weight`, [classes, fcIn]).data, requireTensor(w, `${p}head_fc.bias`, [classes]).data);
  }
  const flat = new Float32Array(params.reduce((a, t) => a + t.length, 0));
  let at = 0;
  for (const t of params) {
    flat.set(t, at);
    at += t.length;
  }
  return { plan: Int32Array.from(plan), params: flat };
}

export interface NativeEngineOptions {
  modelDir: string;
  meta: ModelMetadata;
  /** Where the built addon is; default build/native in the package (bench/arm-check.ts: a cross-built one). */
  buildDir?: string;
}

export async function createNativeEngine(opts: NativeEngineOptions): Promise<InferenceEngine> {
  const file = opts.meta.files.weights;
  if (file === undefined) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: model ${opts.meta.id} has no files.weights`);
  }
  const addon = loadNativeAddon(opts.buildDir);
  const weights = await loadWeights(opts.modelDir, file);
  assertWeightsMatch(weights, opts.meta);
  const { plan, params } = buildNativePlan(opts.meta, weights);
  let handle: unknown;
  try {
    handle = addon.create(plan, params);
  } catch (e) {
    throw new DrsndError(ErrorCodes.MODEL_INVALID, `native engine: model ${opts.meta.id}: ${(e as Error).message}`, { cause: e });
  }
  const { channels } = opts.meta.input;
  const windowLength = netInputLength(opts.meta);
  const classes = opts.meta.classes.length;
  return {
    name: 'native',
    backend: 'cpu',
    async run(batch, n) {
      if (handle === undefined) throw new Error('native engine disposed');
      if (batch.length < n * channels * windowLength) throw new RangeError(`native engine: ${batch.length} floats for ${n} windows`);
      const out = new Float32Array(n * classes);
      // Synchronous: the engine runs inside a worker thread, one window after another.
      addon.run(handle, batch, n, out);
      return out;
    },
    async dispose() {
      // The C side frees the net when the handle is garbage collected.
      handle = undefined;
    },
  };
}

// The DRSN of src/model/py/drsn/model.py rebuilt as a tfjs layers model (channels-last [N, L, 1]),
// with PyTorch's weights. Three classic porting bugs are avoided on purpose and can be switched back
// on (`PortingFaults`) so tests can prove the engine-agreement check would catch each of them. The
// switches stay here, not in the engine (engines/tfjs.ts) or the settings: each bug is a choice this
// builder makes (padding, epsilon, kernel layout), so only the builder can make it the wrong way.
import * as tf from '@tensorflow/tfjs';
import { DrsndError, ErrorCodes } from '../errors.js';
import { PAPER_STEM_KERNEL, PAPER_WIDTHS, type DrsnVariant } from './metadata.js';
import { AbsMean, Shortcut, SoftThreshold, ZeroPad1D } from './engines/tfjs-layers.js';
import { convKernelToTfjs, linearKernelToTfjs, requireTensor, type DrsnWeights, type WeightTensor } from './weights.js';

export { VARIANT_OF_ARCHITECTURE, type DrsnVariant } from './metadata.js';
export type DrsnHead = 'gap' | 'flatten';

export interface DrsnSpec {
  variant: DrsnVariant;
  windowLength: number;
  numClasses: number;
  widths?: readonly number[];
  /** Width of the first convolution (odd); default the paper's 3. */
  stemKernel?: number;
  unitsPerStage?: number;
  /** PyTorch BatchNorm1d default. tfjs defaults to 1e-3, which shifts every BN output. */
  bnEpsilon?: number;
  /** Nets averaged on their probabilities (drsn.json `members`); default 1. */
  members?: number;
  /** Pooling before the classifier (drsn.json `head`); default the paper's global average. */
  head?: DrsnHead;
}

/** Deliberate porting bugs (tests/unit/model-porting-bugs.test.ts): each must make the agreement check fail. */
export interface PortingFaults {
  /** Use this BN epsilon instead of the weights' (e.g. tfjs' default 1e-3). */
  bnEpsilon?: number;
  /** 'same' lets tfjs pad strided convs (0, 1) instead of PyTorch's (1, 1). */
  stridedPadding?: 'same';
  /** 'reshape' reads PyTorch [Cout, Cin, k] data as if it were [k, Cin, Cout] (no transpose). */
  convLayout?: 'reshape';
}

type ParamKind = 'conv' | 'dense' | 'bn';

export interface DrsnTfjsModel {
  model: tf.LayersModel;
  /** tfjs layer name (= PyTorch module name) → how its weights map. */
  params: Map<string, ParamKind>;
}

/** Builds the graph with fresh weights. Layer names are the PyTorch module names (docs/ARCHITECTURE.md). */
export function buildDrsn(spec: DrsnSpec, faults: PortingFaults = {}): DrsnTfjsModel {
  const widths = spec.widths ?? PAPER_WIDTHS;
  const perStage = spec.unitsPerStage ?? 4;
  const epsilon = faults.bnEpsilon ?? spec.bnEpsilon ?? 1e-5;
  const params = new Map<string, ParamKind>();
  type T = tf.SymbolicTensor;

  const bn = (x: T, name: string): T => {
    params.set(name, 'bn');
    return tf.layers.batchNormalization({ name, axis: -1, epsilon, momentum: 0.9 }).apply(x) as T;
  };
  const relu = (x: T): T => tf.layers.activation({ activation: 'relu' }).apply(x) as T;
  const conv = (x: T, filters: number, stride: number, name: string, kernelSize = 3): T => {
    params.set(name, 'conv');
    let input = x;
    let padding: 'valid' | 'same' = 'same'; // odd k, stride 1: 'same' pads (k/2, k/2) like PyTorch
    if (stride > 1 && faults.stridedPadding !== 'same') {
      const half = Math.floor(kernelSize / 2);
      input = new ZeroPad1D({ left: half, right: half, name: `${name}.pad` }).apply(x) as T;
      padding = 'valid';
    }
    return tf.layers.conv1d({ name, filters, kernelSize, strides: stride, padding }).apply(input) as T;
  };
  const dense = (x: T, units: number, name: string, activation?: 'sigmoid'): T => {
    params.set(name, 'dense');
    return tf.layers.dense({ name, units, activation }).apply(x) as T;
  };

  /** One net on `input`, its layers named `<prefix><PyTorch module name>`; returns its probabilities. */
  const net = (input: T, prefix: string): T => {
    let h = conv(input, widths[0], 2, `${prefix}stem`, spec.stemKernel ?? PAPER_STEM_KERNEL);
    let cin = widths[0];
    let u = 0;
    for (const w of widths) {
      for (let i = 0; i < perStage; i++, u++) {
        const stride = i === 0 ? 2 : 1;
        const p = `${prefix}units.${u}`;
        let r = conv(relu(bn(h, `${p}.bn1`)), w, stride, `${p}.conv1`);
        r = conv(relu(bn(r, `${p}.bn2`)), w, 1, `${p}.conv2`);
        if (spec.variant !== 'plain') {
          const a = new AbsMean({ name: `${p}.shrink.absmean` }).apply(r) as T;
          const s = relu(bn(dense(a, w, `${p}.shrink.fc1`), `${p}.shrink.bn`));
          const alpha = dense(s, spec.variant === 'cs' ? 1 : w, `${p}.shrink.fc2`, 'sigmoid');
          r = new SoftThreshold({ shared: spec.variant === 'cs', name: `${p}.shrink.threshold` }).apply([r, alpha, a]) as T;
        }
        const sc = stride > 1 || w > cin ? (new Shortcut({ stride, padChannels: w - cin, name: `${p}.shortcut` }).apply(h) as T) : h;
        h = tf.layers.add({ name: `${p}.add` }).apply([r, sc]) as T; // no ReLU after the addition (paper)
        cin = w;
      }
    }
    h = relu(bn(h, `${prefix}head_bn`));
    if (spec.head === 'flatten') {
      // PyTorch flattens [C, T] channel-major; tfjs holds [T, C]: transpose first so head_fc's weights match as they are.
      h = tf.layers.permute({ dims: [2, 1], name: `${prefix}head_transpose` }).apply(h) as T;
      h = tf.layers.flatten({ name: `${prefix}flatten` }).apply(h) as T;
    } else {
      h = tf.layers.globalAveragePooling1d({ name: `${prefix}pool` }).apply(h) as T;
    }
    const logits = dense(h, spec.numClasses, `${prefix}head_fc`);
    return tf.layers.activation({ activation: 'softmax', name: `${prefix}probs` }).apply(logits) as T;
  };

  const input = tf.input({ shape: [spec.windowLength, 1], name: 'x' });
  const members = spec.members ?? 1;
  if (members === 1) return { model: tf.model({ inputs: input, outputs: net(input, ''), name: `drsn-${spec.variant}` }), params };
  // An ensemble (Ensemble in model.py): the members' state_dict names carry "members.<i>.".
  const all = Array.from({ length: members }, (_, i) => net(input, `members.${i}.`));
  const probs = tf.layers.average({ name: 'probs' }).apply(all) as T;
  return { model: tf.model({ inputs: input, outputs: probs, name: `drsn-${spec.variant}-x${members}` }), params };
}

function toTensor(t: WeightTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, 'float32');
}

/** Copies PyTorch weights into the model, converting layouts; throws MODEL_INVALID on any missing/misshaped tensor. */
export function loadPytorchWeights(built: DrsnTfjsModel, w: DrsnWeights, faults: PortingFaults = {}): void {
  for (const [name, kind] of built.params) {
    const layer = built.model.getLayer(name);
    const expected = layer.getWeights().map((t) => t.shape);
    let values: WeightTensor[];
    if (kind === 'conv') {
      const [k, cin, cout] = expected[0];
      const wt = requireTensor(w, `${name}.weight`, [cout, cin, k]);
      const kernel = faults.convLayout === 'reshape' ? { shape: [k, cin, cout], data: wt.data } : convKernelToTfjs(wt);
      values = [kernel, requireTensor(w, `${name}.bias`, [cout])];
    } else if (kind === 'dense') {
      const [nIn, nOut] = expected[0];
      values = [linearKernelToTfjs(requireTensor(w, `${name}.weight`, [nOut, nIn])), requireTensor(w, `${name}.bias`, [nOut])];
    } else {
      const c = expected[0][0];
      values = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => requireTensor(w, `${name}.${s}`, [c]));
    }
    const tensors = values.map(toTensor);
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
  const used = new Set([...built.params.keys()]);
  const unused = [...w.tensors.keys()].filter((k) => !used.has(k.slice(0, k.lastIndexOf('.'))));
  if (unused.length > 0) {
    const details = unused.map((k) => `${k}: no such layer in the tfjs ${built.model.name} (architecture mismatch?)`);
    throw new DrsndError(ErrorCodes.MODEL_INVALID, `weights do not fit the tfjs model: ${unused.length} unused tensors`, { details });
  }
}

/** Trainable parameters, counted like PyTorch's count_parameters (BN moving stats excluded). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, v) => n + v.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
}

/** Runs a batch of n windows (n × L floats, already normalized) → n × classes probabilities. */
export async function predictBatch(model: tf.LayersModel, batch: Float32Array, n: number, windowLength: number): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor3d(batch, [n, windowLength, 1])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

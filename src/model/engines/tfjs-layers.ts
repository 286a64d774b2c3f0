// Custom tfjs layers for the DRSN (Zhao et al. 2020), channels-last [N, L, C]. Each carries a static
// className and is registered for serialization, so a model built here can be saved/loaded by tfjs.
import * as tf from '@tensorflow/tfjs';

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * Zero padding along time. PyTorch's stride-2 conv pads (1, 1); tfjs 'same' would pad (0, 1) and shift
 * every output sample, so strided convs get this + 'valid'.
 */
export class ZeroPad1D extends tf.layers.Layer {
  static className = 'DrsnZeroPad1D';
  readonly left: number;
  readonly right: number;
  constructor(args: { left: number; right: number; name?: string }) {
    super({ name: args.name });
    this.left = args.left;
    this.right = args.right;
  }
  override computeOutputShape(s: Shape): Shape {
    return [s[0], s[1] === null ? null : s[1] + this.left + this.right, s[2]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.pad(single(inputs), [[0, 0], [this.left, this.right], [0, 0]]));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), left: this.left, right: this.right };
  }
}

/** a_c = mean_t |r_c|: the per-channel scale the threshold is relative to. [N, L, C] → [N, C]. */
export class AbsMean extends tf.layers.Layer {
  static className = 'DrsnAbsMean';
  override computeOutputShape(s: Shape): Shape {
    return [s[0], s[2]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.mean(tf.abs(single(inputs)), 1));
  }
}

/**
 * Inputs [r, alpha, a]: τ = α·a (channel-wise) or α·mean_c(a) (channel-shared); y = sign(r)·max(|r| − τ, 0).
 * Not r − clamp(r, −τ, τ) as model.py (faster in onnxruntime): tfjs-wasm's broadcasting minimum/maximum
 * made the whole net ~4× slower (104 windows/s at batch 16 against 425 with sign·relu, one worker, runs
 * hours apart; BENCHMARKS.md items 10 and 11).
 */
export class SoftThreshold extends tf.layers.Layer {
  static className = 'DrsnSoftThreshold';
  readonly shared: boolean;
  constructor(args: { shared: boolean; name?: string }) {
    super({ name: args.name });
    this.shared = args.shared;
  }
  override computeOutputShape(s: Shape | Shape[]): Shape {
    return (s as Shape[])[0];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const [r, alpha, a] = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const base = this.shared ? tf.mean(a, 1, true) : a;
      const tau = tf.expandDims(tf.mul(alpha, base), 1); // [N, 1, C|1]
      return tf.mul(tf.sign(r), tf.relu(tf.sub(tf.abs(r), tau)));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shared: this.shared };
  }
}

/** Identity shortcut: every `stride`-th sample (avg-pool kernel 1) and zero channels appended when widening. */
export class Shortcut extends tf.layers.Layer {
  static className = 'DrsnShortcut';
  readonly stride: number;
  readonly padChannels: number;
  constructor(args: { stride: number; padChannels: number; name?: string }) {
    super({ name: args.name });
    this.stride = args.stride;
    this.padChannels = args.padChannels;
  }
  override computeOutputShape(s: Shape): Shape {
    const len = s[1] === null ? null : Math.ceil(s[1] / this.stride);
    return [s[0], len, s[2] === null ? null : s[2] + this.padChannels];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      let y = x;
      if (this.stride > 1) {
        // avg-pool kernel 1 (as the paper states it) is an exact subsample, and on the wasm backend
        // ~30x faster than the equivalent stridedSlice.
        const [n, len, c] = y.shape;
        const pooled = tf.avgPool(tf.reshape(y, [n, len, 1, c]) as tf.Tensor4D, [1, 1], [this.stride, 1], 'valid');
        y = tf.reshape(pooled, [n, pooled.shape[1], c]);
      }
      if (this.padChannels > 0) y = tf.pad(y, [[0, 0], [0, 0], [0, this.padChannels]]);
      return y;
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride, padChannels: this.padChannels };
  }
}

for (const cls of [ZeroPad1D, AbsMean, SoftThreshold, Shortcut]) tf.serialization.registerClass(cls);

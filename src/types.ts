// Shared data contracts between ingest, pipeline, model, store and publish.
import type { EnvelopeOrderSpectrumSpec, SpectralShapeOod } from './physics/order-spectrum.js';
// Streams carry frames (typed arrays), never one event per sample: per-sample RxJS is ~50x slower.
import type { Fusion, MachineInfo, WindowPhysics } from './physics/types.js';

export type Unit = 'g' | 'm/s2' | 'mg';
export const UNITS: readonly Unit[] = ['g', 'm/s2', 'mg'];

/** Static description of one sensor, from config. */
export interface SensorMeta {
  id: string;
  asset: string;
  rateHz: number;
  unit: Unit;
  axes: string[];
  /** What is known of the machine (config `machine`, resolved); absent: no physics evidence. */
  machine?: MachineInfo;
}

/**
 * A block of contiguous samples from one sensor, all axes sampled together.
 * channels[i] belongs to axes[i]; all channels have the same length.
 */
export interface Frame {
  sensorId: string;
  /** Epoch milliseconds of the first sample. */
  t0: number;
  rateHz: number;
  unit: Unit;
  axes: string[];
  channels: Float32Array[];
  /** Source sequence number when the source has one; a jump means samples were lost. */
  seq?: number;
  /**
   * Set by the validator (or a source that knows): this frame does not continue the previous one
   * (time gap, sequence break, reconnect). Stateful stages (resampler, windower) restart here and
   * never stitch across it.
   */
  discontinuity?: boolean;
  /** Shaft speed in Hz while this frame was sampled, where a speed topic provides it (machine.speed.topic). */
  shaftHz?: number;
}

/** One model-sized window of one channel, at the model's sample rate. */
export interface Window {
  sensorId: string;
  asset: string;
  channel: string;
  /** Epoch ms of first and last sample, rounded to whole ms: the one value SQLite and MQTT both carry. */
  start: number;
  end: number;
  data: Float32Array;
  /** performance.now() when the window's last sample arrived, for latency accounting. */
  completedAt: number;
  /** Indicators, sensor checks and bearing evidence of the window (src/physics/), before normalization. */
  physics?: WindowPhysics;
}

export interface Diagnosis {
  sensorId: string;
  asset: string;
  channel: string;
  windowStart: number;
  windowEnd: number;
  classIndex: number;
  className: string;
  kind: 'normal' | 'fault';
  probabilities: number[];
  confidence: number;
  modelId: string;
  modelVersion: string;
  latencyMs: number;
  /** What the window's physics showed (indicators, sensor checks, bearing evidence). */
  physics?: WindowPhysics;
  /** The verdict: the DRSN's class above (className, probabilities) fused with the physics (src/physics/fuse.ts). */
  fusion?: Fusion;
  /** performance.now() when the window's last sample arrived (live diagnoses only; not stored): metrics' latencies. */
  completedAt?: number;
}

export type AlertTransition = 'raised' | 'changed' | 'cleared';
/** What alert_events records: the state machine's transitions and an operator's acknowledgement. */
export type AlertEventKind = AlertTransition | 'acknowledged';

export interface AlertEvent {
  sensorId: string;
  asset: string;
  transition: AlertTransition;
  /** Fault class now active (raised/changed) or that was active (cleared). */
  className: string;
  previousClassName: string | null;
  confidence: number;
  at: number;
}

/** One class of a model, from drsn.json. Pipelines map by kind/component, never by index. */
export interface ModelClass {
  index: number;
  name: string;
  kind: 'normal' | 'fault';
  component: string | null;
  sizeIn: number | null;
}

export type Normalization =
  | { method: 'window-zscore'; epsilon: number }
  | { method: 'global'; mean: number; std: number }
  | { method: 'none' };

/** drsn.json, the model folder's metadata (docs/ARCHITECTURE.md). The daemon hard-codes nothing of a model. */
export interface ModelMetadata {
  id: string;
  version: string;
  architecture: 'drsn-cw' | 'drsn-cs' | 'resnet';
  /** Channels of the three stages; absent = the paper's [4, 8, 16]. */
  widths?: number[];
  /** Width of the first convolution; absent = the paper's 3. */
  stemKernel?: number;
  /** Out-of-distribution score calibrated on the training data (models with a representation). */
  ood?: SpectralShapeOod;
  /** Pooling before the classifier; absent = the paper's global average ('gap'). */
  head?: 'gap' | 'flatten';
  /** An ensemble of this many nets, output = mean of their probabilities; absent = one net. */
  members?: number;
  /**
   * windowLength: samples the pipeline cuts at sampleRateHz. Without a representation the net sees the
   * normalized window itself; with one it sees the representation's `bins` floats (netInputLength).
   */
  input: { sampleRateHz: number; windowLength: number; channels: number; unit: Unit; bandLimitHz: number; representation?: EnvelopeOrderSpectrumSpec };
  normalization: Normalization;
  classes: ModelClass[];
  files: { onnx?: string; weights?: string };
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

/** What the pipeline needs from inference; implemented by the engine worker pool (src/model/). */
export interface Classifier {
  /** Batches that may be in flight at once (usually the number of workers). */
  readonly concurrency: number;
  /** Equal-length normalized windows in; one probability vector per window out, same order. */
  classify(windows: Float32Array[]): Promise<Float32Array[]>;
}

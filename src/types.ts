// Shared data contracts between ingest, pipeline, model, store and publish.
// Streams carry frames (typed arrays), never one event per sample: per-sample RxJS is ~50x slower.

export type Unit = 'g' | 'm/s2' | 'mg';
export const UNITS: readonly Unit[] = ['g', 'm/s2', 'mg'];

/** Static description of one sensor, from config. */
export interface SensorMeta {
  id: string;
  asset: string;
  rateHz: number;
  unit: Unit;
  axes: string[];
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
}

/** One model-sized window of one channel, at the model's sample rate. */
export interface Window {
  sensorId: string;
  asset: string;
  channel: string;
  /** Epoch ms of first and last sample. */
  start: number;
  end: number;
  data: Float32Array;
  /** performance.now() when the window's last sample arrived, for latency accounting. */
  completedAt: number;
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
}

export type AlertTransition = 'raised' | 'changed' | 'cleared';

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

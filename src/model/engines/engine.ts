// One interface for every inference engine, so the worker pool and benchmarks never care which runs.

export type EngineName = 'native' | 'onnx' | 'tfjs';
export type EngineChoice = 'auto' | EngineName;
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface InferenceEngine {
  name: EngineName;
  /** What actually computes: 'cpu' (native, or onnxruntime's CPU provider) or the tfjs backend ('tensorflow' | 'wasm' | 'cpu'). */
  backend: string;
  /**
   * n normalized windows, concatenated (n × windowLength floats) → n × classes probabilities. `batch` may
   * be longer than n windows, and the caller reuses it once the promise settles: keep no reference.
   */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Why a preferred engine/backend was not used; logged so a slow deployment explains itself. */
export interface EngineFallback {
  tried: string;
  reason: string;
}

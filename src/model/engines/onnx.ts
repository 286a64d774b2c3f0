// onnxruntime-node engine: runs model.onnx (input `x` [N, 1, L], output `probs` [N, classes]).
import path from 'node:path';
import { DrsndError, ErrorCodes } from '../../errors.js';
import { netInputLength } from '../metadata.js';
import type { ModelMetadata } from '../../types.js';
import type { InferenceEngine } from './engine.js';

export interface OnnxEngineOptions {
  modelDir: string;
  meta: ModelMetadata;
  /** Threads inside one session. The pool runs one session per worker, so 1 avoids oversubscribing cores. */
  intraOpNumThreads?: number;
}

export async function createOnnxEngine(opts: OnnxEngineOptions): Promise<InferenceEngine> {
  const file = opts.meta.files.onnx;
  if (file === undefined) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `onnx engine: model ${opts.meta.id} has no files.onnx`);
  }
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `onnx engine: onnxruntime-node does not load (${(e as Error).message})`, { cause: e });
  }
  const modelPath = path.join(opts.modelDir, file);
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      executionProviders: ['cpu'],
    });
  } catch (e) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `onnx engine: cannot open ${modelPath} (${(e as Error).message})`, { cause: e });
  }
  const { channels } = opts.meta.input;
  const windowLength = netInputLength(opts.meta);
  const classes = opts.meta.classes.length;
  return {
    name: 'onnx',
    backend: 'cpu',
    async run(batch, n) {
      const x = new ort.Tensor('float32', batch.length === n * channels * windowLength ? batch : batch.subarray(0, n * channels * windowLength), [n, channels, windowLength]);
      const out = await session.run({ x });
      const probs = out.probs;
      try {
        const data = probs.data as Float32Array;
        if (data.length !== n * classes) throw new Error(`onnx model returned ${data.length} values for ${n} windows × ${classes} classes`);
        // Copy out of ORT-owned memory before disposing the tensor.
        return new Float32Array(data);
      } finally {
        probs.dispose();
      }
    },
    async dispose() {
      await session.release();
    },
  };
}

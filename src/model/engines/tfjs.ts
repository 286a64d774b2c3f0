// tfjs engine: the DRSN rebuilt in tfjs layers (src/model/tfjs-drsn.ts) with weights.json/bin.
import type * as tfTypes from '@tensorflow/tfjs';
import { DrsndError, ErrorCodes } from '../../errors.js';
import { netInputLength } from '../metadata.js';
import type { ModelMetadata } from '../../types.js';
import { buildDrsn, loadPytorchWeights, predictBatch, VARIANT_OF_ARCHITECTURE, type DrsnSpec } from '../tfjs-drsn.js';
import { assertWeightsMatch, loadWeights, type DrsnWeights } from '../weights.js';
import type { BackendChoice, EngineFallback, InferenceEngine } from './engine.js';
import { initTfjsBackend } from './tfjs-backend.js';

export interface TfjsEngineOptions {
  modelDir: string;
  meta: ModelMetadata;
  backend: BackendChoice;
}

/** The tfjs graph a model's metadata and weights describe. */
export function tfjsSpec(meta: ModelMetadata, weights: DrsnWeights): DrsnSpec {
  return {
    variant: VARIANT_OF_ARCHITECTURE[meta.architecture], widths: meta.widths, stemKernel: meta.stemKernel, members: meta.members, head: meta.head,
    windowLength: netInputLength(meta), numClasses: weights.numClasses, bnEpsilon: weights.bnEpsilon,
  };
}

export async function createTfjsEngine(opts: TfjsEngineOptions): Promise<InferenceEngine & { fallbacks: EngineFallback[] }> {
  const file = opts.meta.files.weights;
  if (file === undefined) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `tfjs engine: model ${opts.meta.id} has no files.weights`);
  }
  const { backend, fallbacks } = await initTfjsBackend(opts.backend);
  const weights = await loadWeights(opts.modelDir, file);
  const windowLength = netInputLength(opts.meta);
  assertWeightsMatch(weights, opts.meta);
  const built = buildDrsn(tfjsSpec(opts.meta, weights));
  let model: tfTypes.LayersModel | undefined = built.model;
  try {
    loadPytorchWeights(built, weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    name: 'tfjs',
    backend,
    fallbacks,
    run(batch, n) {
      if (!model) return Promise.reject(new Error('tfjs engine disposed'));
      return predictBatch(model, batch.subarray(0, n * windowLength), n, windowLength);
    },
    async dispose() {
      model?.dispose();
      model = undefined;
    },
  };
}

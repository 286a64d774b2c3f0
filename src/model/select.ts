// Chooses the inference engine from settings (inference.engine / inference.backend):
// auto = the fastest that loads: native (drsn.c, built by npm run build for this CPU), else
// onnxruntime, else tfjs with the best backend that loads.
// An unavailable engine is an ENGINE_UNAVAILABLE error naming the cause, never a crash; with auto
// it is a logged fallback.
import { DrsndError, ErrorCodes, isDrsndError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelMetadata } from '../types.js';
import type { BackendChoice, EngineChoice, EngineFallback, InferenceEngine } from './engines/engine.js';
import { createNativeEngine } from './engines/native.js';
import { createOnnxEngine } from './engines/onnx.js';

export interface SelectEngineOptions {
  modelDir: string;
  meta: ModelMetadata;
  engine: EngineChoice;
  backend: BackendChoice;
  /** onnxruntime threads per session (default 1: one session per worker). */
  intraOpNumThreads?: number;
  /**
   * Where the native addon is looked for (default build/native in the package): a location, not a
   * test switch, as createNativeEngine's buildDir (bench/arm-check.ts loads a cross-built addon from
   * elsewhere); the engine-select test points it at an empty folder to be a gateway without a compiler.
   */
  nativeBuildDir?: string;
  log?: Logger;
}

export interface SelectedEngine {
  engine: InferenceEngine;
  /** Preferred engines/backends that were skipped, with the reason. Empty when the first choice ran. */
  fallbacks: EngineFallback[];
}

function reason(e: unknown): string {
  return (e as Error).message.split('\n')[0];
}

export async function selectEngine(opts: SelectEngineOptions): Promise<SelectedEngine> {
  const fallbacks: EngineFallback[] = [];
  const { modelDir, meta } = opts;
  // The CPU engines, fastest first: tried under auto, or alone when named.
  const cpuEngines: [name: 'native' | 'onnx', create: () => Promise<InferenceEngine>, runsOn: string][] = [
    ['native', () => createNativeEngine({ modelDir, meta, buildDir: opts.nativeBuildDir }), 'the native engine runs on the CPU'],
    ['onnx', () => createOnnxEngine({ modelDir, meta, intraOpNumThreads: opts.intraOpNumThreads }), 'onnxruntime runs on its CPU provider'],
  ];
  for (const [name, create, runsOn] of cpuEngines) {
    if (opts.engine !== name && opts.engine !== 'auto') continue;
    try {
      const engine = await create();
      if (opts.backend !== 'auto' && opts.backend !== 'cpu') {
        fallbacks.push({ tried: `backend ${opts.backend}`, reason: `inference.backend applies to tfjs only; ${runsOn}` });
      }
      return done(engine, fallbacks, opts.log);
    } catch (e) {
      if (opts.engine === name) throw asUnavailable(e, name);
      fallbacks.push({ tried: name, reason: reason(e) });
    }
  }
  try {
    // Loaded only when reached: TensorFlow.js is an optional dependency (lean bundles leave it out).
    const { createTfjsEngine } = await import('./engines/tfjs.js').catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
      throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `tfjs engine: @tensorflow/tfjs is not installed (${reason(e)})`, { cause: e });
    });
    const engine = await createTfjsEngine({ modelDir, meta, backend: opts.backend });
    fallbacks.push(...engine.fallbacks);
    return done(engine, fallbacks, opts.log);
  } catch (e) {
    if (opts.engine === 'tfjs') throw asUnavailable(e, `tfjs/${opts.backend}`);
    fallbacks.push({ tried: `tfjs/${opts.backend}`, reason: reason(e) });
    const details = fallbacks.map((f) => `${f.tried}: ${f.reason}`);
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `no inference engine could run model ${meta.id}: ${details.join('; ')}`, { cause: e, details });
  }
}

function asUnavailable(e: unknown, what: string): DrsndError {
  if (isDrsndError(e)) return e; // already says what failed (unavailable engine, or an invalid model)
  return new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `${what} engine unavailable: ${reason(e)}`, { cause: e, details: [`${what}: ${reason(e)}`] });
}

function done(engine: InferenceEngine, fallbacks: EngineFallback[], log?: Logger): SelectedEngine {
  logSelection(log, engine.name, engine.backend, fallbacks);
  return { engine, fallbacks };
}

/** One line saying what runs and, when it is not the first choice, why. tfjs on cpu is ~50x slower: warn. */
export function logSelection(log: Logger | undefined, engine: string, backend: string, fallbacks: EngineFallback[]): void {
  if (!log) return;
  for (const f of fallbacks) log.info({ tried: f.tried, reason: f.reason }, 'inference: preferred engine/backend not used');
  if (engine === 'tfjs' && backend === 'cpu') {
    log.warn({ engine, backend }, 'inference runs on the pure-JS tfjs cpu backend: expect low throughput (install onnxruntime-node or use backend wasm)');
  } else {
    log.info({ engine, backend }, 'inference engine ready');
  }
}

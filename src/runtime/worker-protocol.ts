// Messages between the classifier pool (main thread) and its inference workers.
import { DrsndError, ErrorCodes, type ErrorCode } from '../errors.js';
import type { ModelMetadata } from '../types.js';
import type { BackendChoice, EngineChoice, EngineFallback } from '../model/engines/engine.js';

export interface WorkerInit {
  modelDir: string;
  meta: ModelMetadata;
  engine: EngineChoice;
  backend: BackendChoice;
  intraOpNumThreads: number;
  /**
   * Tests only: when handed a batch of exactly `batchSize` windows the worker exits abruptly (as on a
   * native crash) or blocks its thread forever (as a wedged native call would).
   */
  fault?: { batchSize: number; mode: 'crash' | 'hang' };
}

/** An error as it crosses the thread boundary (structured clone drops DrsndError's code/details). */
export interface WireError {
  message: string;
  code?: string;
  details?: string[];
}

export type ToWorker =
  | { type: 'run'; id: number; buffer: ArrayBuffer; n: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; engine: string; backend: string; fallbacks: EngineFallback[] }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; buffer: ArrayBuffer }
  | { type: 'error'; id: number; error: WireError };

export function toWire(e: unknown): WireError {
  const err = e as { message?: string; code?: string; details?: string[] };
  return { message: err?.message ?? String(e), code: err?.code, details: err?.details };
}

export function fromWire(w: WireError, fallback: ErrorCode): DrsndError {
  const code = (Object.values(ErrorCodes) as string[]).includes(w.code ?? '') ? (w.code as ErrorCode) : fallback;
  return new DrsndError(code, w.message, { details: w.details });
}

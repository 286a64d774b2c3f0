// Messages between the read pool (main thread) and its read thread.
import type { WireError } from '../runtime/worker-protocol.js';
import type { StoreReader } from '../store/reader.js';

export interface ReadInit {
  path: string;
}

/** The queries the read thread answers: StoreReader's read methods. */
export type ReadOp = 'history' | 'alerts' | 'alert' | 'alertEvents' | 'sensors' | 'snapshots' | 'snapshot';
export type ReadArgs<K extends ReadOp> = Parameters<StoreReader[K]>;
export type ReadResult<K extends ReadOp> = ReturnType<StoreReader[K]>;

export type ToReader =
  | { type: 'query'; id: number; op: ReadOp; args: unknown[] }
  | { type: 'stop' };

export type FromReader =
  | { type: 'ready' }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WireError };

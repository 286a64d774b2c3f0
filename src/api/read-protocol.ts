// Messages between the read pool (main thread) and its read thread.
import type { WireError } from '../runtime/worker-protocol.js';
import type { StoreReader } from '../store/reader.js';
import type { alertsPage, historyPage } from './pages.js';

export interface ReadInit {
  path: string;
}

/** The queries the read thread answers: StoreReader's read methods, and pages as finished JSON text. */
export interface ReadOps extends Pick<StoreReader, 'history' | 'alerts' | 'alert' | 'alertEvents' | 'sensors' | 'snapshots' | 'snapshot'> {
  historyPage(filter: Parameters<typeof historyPage>[1]): string;
  alertsPage(filter: Parameters<typeof alertsPage>[1]): string;
}
export type ReadOp = keyof ReadOps;
export type ReadArgs<K extends ReadOp> = Parameters<ReadOps[K]>;
export type ReadResult<K extends ReadOp> = ReturnType<ReadOps[K]>;

export type ToReader =
  | { type: 'query'; id: number; op: ReadOp; args: unknown[] }
  | { type: 'stop' };

export type FromReader =
  | { type: 'ready' }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WireError };

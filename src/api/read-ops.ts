// The read queries, bound to one read-only connection: what the read thread (read-worker.ts) answers
// for the main thread, and what the HTTP thread (src/http/http-worker.ts) runs on its own connection.
import { setPriority } from 'node:os';
import type { StoreReader } from '../store/reader.js';
import { alertsPage, historyPage } from './pages.js';
import type { ReadArgs, ReadOp, ReadOps, ReadResult } from './read-protocol.js';

export function readOps(r: StoreReader): ReadOps {
  return {
    history: (f) => r.history(f), alerts: (f) => r.alerts(f), alert: (id) => r.alert(id), alertEvents: (id) => r.alertEvents(id),
    sensors: () => r.sensors(), snapshots: (id) => r.snapshots(id), snapshot: (id) => r.snapshot(id),
    historyPage: (f) => historyPage(r, f), alertsPage: (f) => alertsPage(r, f),
  };
}

/** ReadPool's query() run in the calling thread, for a thread that exists to answer queries. */
export class LocalReads {
  private readonly ops: ReadOps;
  constructor(reader: StoreReader) {
    this.ops = readOps(reader);
  }

  async query<K extends ReadOp>(op: K, ...args: ReadArgs<K>): Promise<ReadResult<K>> {
    return (this.ops[op] as (...a: unknown[]) => ReadResult<K>)(...args);
  }
}

/**
 * The nice value of the interface threads: they answer people and scrapers in the CPU time diagnosing
 * leaves. 19, not 10: at 300 channels on 2 cores, 200 HTTP clients raised the p99 window → MQTT
 * latency by 50-300 % at nice 10 and by 18-49 % at 19 (BENCHMARKS.md item 7).
 */
export const INTERFACE_THREAD_NICE = 19;

/**
 * Lowers the calling thread's scheduling priority. On Linux the nice value belongs to the thread
 * (setpriority(2), "BUGS": per-thread under NPTL), so this worker yields the CPU to the threads that
 * diagnose when a 2-core gateway is busy, while idle cores still serve it at full speed. Elsewhere
 * the call would renice the whole daemon, so it is Linux only.
 */
export function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(INTERFACE_THREAD_NICE);
  } catch {
    // A container without CAP_SYS_NICE may refuse even lowering; the thread still works.
  }
}

// The read queries, bound to one read-only connection: what the read thread (read-worker.ts) answers
// for the main thread, and what the HTTP thread (src/http/http-worker.ts) runs on its own connection.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
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

/** Linux's SCHED_IDLE policy number, as /proc/<pid>/task/<tid>/stat reports it (field 41). */
export const SCHED_IDLE = 5;

/**
 * Lowers the calling thread's scheduling priority: nice 19, then the SCHED_IDLE policy. On Linux the
 * nice value and the policy belong to the thread (setpriority(2) "BUGS", sched_setscheduler(2) on a
 * thread id), so this worker yields the CPU to the threads that diagnose when a 2-core gateway is busy,
 * while idle cores still serve it at full speed. Elsewhere the calls would lower the whole daemon, so
 * it is Linux only.
 *
 * Why SCHED_IDLE on top of nice 19: a nice-19 thread still runs out its slice when a diagnosing thread
 * wakes; a SCHED_IDLE one is preempted at once. Node has no sched_setscheduler, so `chrt` (util-linux,
 * part of every Debian) sets it on this thread's id; lowering one's own policy needs no privilege.
 * Without chrt the thread stays at nice 19. What each step measured: BENCHMARKS.md item 7.
 */
export function lowerThreadPriority(): { nice: boolean; idle: boolean } {
  const done = { nice: false, idle: false };
  if (process.platform !== 'linux') return done;
  try {
    setPriority(INTERFACE_THREAD_NICE);
    done.nice = true;
  } catch {
    // A container without CAP_SYS_NICE may refuse even lowering; the thread still works.
  }
  try {
    // /proc/thread-self → "<pid>/task/<tid>": the id of this thread, not of the process.
    const tid = readlinkSync('/proc/thread-self').split('/').at(-1)!;
    execFileSync('chrt', ['--idle', '-p', '0', tid], { stdio: 'ignore', timeout: 5_000 });
    done.idle = true;
  } catch {
    // No chrt (or a seccomp profile that forbids it): nice 19 alone.
  }
  return done;
}

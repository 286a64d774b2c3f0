// What both worker pools (src/runtime/classifier-pool.ts, src/runtime/dsp-pool.ts) do to keep their threads:
// retry a worker that cannot start with a doubling back-off (an engine that fails to load must not
// spin a core respawning), and stop a worker politely, then by force.
import type { Worker } from 'node:worker_threads';

const RESPAWN_MIN_MS = 200;
const RESPAWN_MAX_MS = 30_000;
const STOP_GRACE_MS = 2_000;

/** Doubling retry delay from 200 ms to 30 s, reset by the first worker that comes up. */
export class RespawnBackoff {
  private delay = RESPAWN_MIN_MS;
  private readonly timers = new Set<NodeJS.Timeout>();
  private cancelled = false;

  /** The delay the next retry will wait (for logs). */
  get delayMs(): number {
    return this.delay;
  }

  /** A worker came up: the next failure retries quickly again. */
  reset(): void {
    this.delay = RESPAWN_MIN_MS;
  }

  /** Runs `retry` after the current delay, then doubles it. Nothing runs after cancel(). */
  retry(retry: () => void): void {
    if (this.cancelled) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.cancelled) retry();
    }, this.delay);
    this.timers.add(t);
    this.delay = Math.min(this.delay * 2, RESPAWN_MAX_MS);
  }

  cancel(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Sends the pool's stop message and waits for the exit; terminates a worker that takes over 2 s. */
export async function stopWorker(worker: Worker, stopMessage: unknown, graceMs = STOP_GRACE_MS): Promise<void> {
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.postMessage(stopMessage);
  const timer = setTimeout(() => void worker.terminate(), graceMs);
  await exited;
  clearTimeout(timer);
}

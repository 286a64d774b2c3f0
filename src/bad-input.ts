import type { Logger } from './log.js';
import { RateLimitedLog } from './log.js';

/** Where every decoder and validator reports rejected input. It never throws: bad input never stops the daemon. */
export interface BadInputSink {
  reject(sensorId: string, source: string, reason: string, detail?: Record<string, unknown>): void;
}

/** Counts rejects per sensor and reason, and logs them at a bounded rate. */
export class BadInputCounter implements BadInputSink {
  private readonly limited: RateLimitedLog;
  readonly counts = new Map<string, number>();
  constructor(log: Logger, intervalMs = 10_000, now: () => number = Date.now) {
    this.limited = new RateLimitedLog(log, intervalMs, now);
  }

  reject(sensorId: string, source: string, reason: string, detail: Record<string, unknown> = {}): void {
    const key = `${sensorId}\u0000${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.limited.warn(key, { sensor: sensorId, source, reason, ...detail }, 'input rejected');
  }

  /** Count of rejects, optionally for one sensor and/or reason. */
  count(sensorId?: string, reason?: string): number {
    let n = 0;
    for (const [k, v] of this.counts) {
      const [s, r] = k.split('\u0000');
      if ((sensorId === undefined || s === sensorId) && (reason === undefined || r === reason)) n += v;
    }
    return n;
  }
}

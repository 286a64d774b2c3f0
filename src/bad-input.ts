import type { Logger } from './log.js';
import { RateLimitedLog } from './log.js';

/** Where every decoder and validator reports bad input. It never throws: bad input never stops the daemon. */
export interface BadInputSink {
  /** Input dropped (a frame, a line, some samples), with a stable reason. */
  reject(sensorId: string, source: string, reason: string, detail?: Record<string, unknown>): void;
  /**
   * Input kept, but not as it came: a stream restarted because the device clock jumped back, a serial
   * backlog re-timed at port open. Counted and logged like rejects, under its own reason.
   */
  note(sensorId: string, source: string, reason: string, detail?: Record<string, unknown>): void;
}

/** Counts rejects and notes per sensor and reason, and logs them at a bounded rate. */
export class BadInputCounter implements BadInputSink {
  private readonly limited: RateLimitedLog;
  readonly counts = new Map<string, number>();
  readonly notes = new Map<string, number>();
  constructor(log: Logger, intervalMs = 10_000, now: () => number = Date.now) {
    this.limited = new RateLimitedLog(log, intervalMs, now);
  }

  reject(sensorId: string, source: string, reason: string, detail: Record<string, unknown> = {}): void {
    const key = `${sensorId}\u0000${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.limited.warn(key, { sensor: sensorId, source, reason, ...detail }, 'input rejected');
  }

  note(sensorId: string, source: string, reason: string, detail: Record<string, unknown> = {}): void {
    const key = `${sensorId}\u0000${reason}`;
    this.notes.set(key, (this.notes.get(key) ?? 0) + 1);
    this.limited.warn(`note\u0000${key}`, { sensor: sensorId, source, reason, ...detail }, 'input repaired');
  }

  /** Count of rejects, optionally for one sensor and/or reason. */
  count(sensorId?: string, reason?: string): number {
    return tally(this.counts, sensorId, reason);
  }

  /** Count of notes (input kept but repaired), optionally for one sensor and/or reason. */
  noted(sensorId?: string, reason?: string): number {
    return tally(this.notes, sensorId, reason);
  }

  /** Every reason with its count (rejects and notes together), for the summary line. */
  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of [this.counts, this.notes]) {
      for (const [k, v] of m) {
        const r = k.split('\u0000')[1];
        out[r] = (out[r] ?? 0) + v;
      }
    }
    return out;
  }
}

function tally(m: Map<string, number>, sensorId?: string, reason?: string): number {
  let n = 0;
  for (const [k, v] of m) {
    const [s, r] = k.split('\u0000');
    if ((sensorId === undefined || s === sensorId) && (reason === undefined || r === reason)) n += v;
  }
  return n;
}

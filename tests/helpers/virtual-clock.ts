// Virtual time for components that take a Clock (src/util/clock.ts): nothing fires until the test moves
// time on, so "not before the deadline, then at once" is checked exactly, with no real sleep.
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, Pending>();
  /** Every delay asked for, in order (back-off sequences are read from here). */
  readonly delays: number[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.delays.push(ms);
    this.timers.set(handle, { at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return handle;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    this.timers.delete(timer);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on by `ms`, firing every timer due by then in time order (timers they set included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [TimerHandle, Pending] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

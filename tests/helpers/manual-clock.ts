// Virtual time for components that take a Clock (src/util/clock.ts): timers fire only when the test
// advances the clock, in deadline order, so "nothing before the deadline" is asserted exactly and no
// test sleeps for real.
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer !== undefined) this.timers.delete(timer as Timer);
  }

  /** Timers not fired yet. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing each timer due on the way at its own time, and lets the
   * promise jobs each one queued run before the next (a timer callback's `await`s settle in between).
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers) if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets queued microtasks and already-due macrotasks (I/O callbacks, setImmediate) run. */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

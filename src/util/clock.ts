// Where a component's timers come from. Components that wait (worker pools: batch timeout, respawn
// back-off, frame gathering; the serial port's reconnect back-off) take a Clock so tests run them in
// virtual time (tests/helpers/manual-clock.ts) instead of sleeping, and can say "nothing happened
// before the deadline" exactly rather than after a real wait (issue 22).

/** An opaque timer handle, given back to clearTimeout. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds on a monotonic scale (differences only; the system clock's is performance.now()). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle | undefined): void;
}

/** Real time: performance.now() and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

// Timestamps for sources whose samples carry none (CSV without a time column, MQTT binary blocks):
// the arrival clock says roughly when, the configured rate says exactly how far apart. Consecutive
// blocks are placed back to back while arrival jitter stays within a tolerance, so the pipeline sees
// a continuous stream instead of fake gaps and overlaps; beyond it the clock restarts from arrival
// time and reports the break (a stall, lost data, or a device clock that drifted from its nominal rate).

export interface Placement {
  t0: number;
  /** False when this block does not continue the previous one (first block is `true`: nothing to break). */
  continuous: boolean;
}

export class ArrivalClock {
  private next: number | undefined;
  private backToBack = false;

  constructor(private readonly rateHz: number, private readonly toleranceMs = 250) {}

  reset(): void {
    this.next = undefined;
    this.backToBack = false;
  }

  /**
   * A backlog is being drained (a port just opened, a session resumed): blocks arrive far faster than
   * the rate, so arrival times say nothing. Until continueFrom(), every block simply follows the one
   * before; the BacklogGate that holds them sets their real times.
   */
  holdBackToBack(): void {
    this.next = undefined;
    this.backToBack = true;
  }

  /** The next block continues at `t` (where the BacklogGate placed the end of the backlog); undefined: timed by arrival. */
  continueFrom(t: number | undefined): void {
    this.next = t;
    this.backToBack = false;
  }

  /** Places `n` samples whose last one arrived at `arrivalMs`. */
  place(n: number, arrivalMs: number): Placement {
    const durationMs = (n * 1000) / this.rateHz;
    const ideal = arrivalMs - durationMs;
    let placement: Placement;
    if (this.next === undefined) placement = { t0: ideal, continuous: true };
    else if (this.backToBack) placement = { t0: this.next, continuous: true };
    else if (Math.abs(this.next - ideal) <= this.toleranceMs) placement = { t0: this.next, continuous: true };
    else placement = { t0: ideal, continuous: false };
    this.next = placement.t0 + durationMs;
    return placement;
  }
}

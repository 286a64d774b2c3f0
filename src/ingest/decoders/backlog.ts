// What waited while nobody read: when a serial port opens (or an MQTT session resumes), the bytes the
// OS and the device buffered arrive in one burst, far faster than the sensor's rate. Samples without
// their own timestamps cannot be timed by arrival then: placed one after another from the burst's
// arrival they ran ahead of the clock, and the live data after them was rejected as "timestamp went
// backwards" until real time caught up (issue 19). The gate holds such frames for a short settling
// time after the open, then places them back to back so that the last one ends when it arrived; the
// live stream continues from there without a break.
import type { Frame } from '../../types.js';

export const BACKLOG_NOTE = 'backlog re-timed at (re)open';
/** How long after a port opens (or a session resumes) timeless frames are held as backlog. */
export const BACKLOG_SETTLE_MS = 250;
/** Most backlog held, in seconds of samples: 10 s of 3 axes at 25.6 kHz is 3 MB. */
export const BACKLOG_MAX_SECONDS = 10;
export const BACKLOG_DROPPED = 'backlog beyond bound dropped';
/** More backlog than time since the previous session ended: the oldest part cannot be placed anywhere true. */
export const BACKLOG_OVERLAP = 'backlog older than the previous session dropped';

export interface BacklogRelease {
  frames: Frame[];
  /** Where the first sample after the backlog belongs (the arrival clock continues from here). */
  next: number;
  samples: number;
  /** Oldest samples dropped at the bound. */
  droppedSamples: number;
  /** Oldest samples dropped because they would reach back before `notBefore`. */
  overlapSamples: number;
  /** How much more signal was held than real time since the open could have produced: the backlog proper. */
  excessMs: number;
}

export class BacklogGate {
  private held: Frame[] = [];
  private heldSamples = 0;
  private dropped = 0;
  private lastArrival = 0;
  private holding = false;
  private openedAt = 0;

  /** @param maxSamples most samples held (per axis); beyond, the oldest frames are dropped. */
  constructor(private readonly rateHz: number, private readonly maxSamples: number) {}

  get active(): boolean {
    return this.holding;
  }

  /** A session starts at `nowMs`: frames timed by arrival are held until release(). */
  open(nowMs: number): void {
    this.openedAt = nowMs;
    this.held = [];
    this.heldSamples = 0;
    this.dropped = 0;
    this.holding = true;
  }

  /** Holds `f` (timed by the arrival clock) if the gate is settling; false = pass it on. */
  hold(f: Frame, arrivalMs: number): boolean {
    if (!this.holding) return false;
    this.held.push(f);
    this.heldSamples += f.channels[0].length;
    this.lastArrival = arrivalMs;
    while (this.heldSamples > this.maxSamples && this.held.length > 1) {
      const old = this.held.shift()!;
      this.heldSamples -= old.channels[0].length;
      this.dropped += old.channels[0].length;
    }
    return true;
  }

  /**
   * Ends the settling: the held frames, back to back, the last ending at its arrival. Undefined if none.
   * @param notBefore where the previous session's samples ended: a backlog longer than the time since
   *   then cannot all be true, and its oldest samples are dropped rather than overlap that session.
   */
  release(notBefore?: number): BacklogRelease | undefined {
    this.holding = false;
    let frames = this.held;
    this.held = [];
    if (frames.length === 0) return undefined;
    const periodMs = 1000 / this.rateHz;
    const excessMs = this.heldSamples * periodMs - (this.lastArrival - this.openedAt);
    let t = this.lastArrival - this.heldSamples * periodMs;
    let overlap = 0;
    if (notBefore !== undefined && t < notBefore) {
      let excess = Math.min(this.heldSamples, Math.ceil((notBefore - t) / periodMs - 1e-9));
      overlap = excess;
      while (excess > 0 && frames.length > 0) {
        const n = frames[0].channels[0].length;
        if (n <= excess) {
          frames.shift();
          excess -= n;
        } else {
          frames[0] = { ...frames[0], channels: frames[0].channels.map((c) => c.slice(excess)) };
          excess = 0;
        }
      }
      this.heldSamples -= overlap;
      t = this.lastArrival - this.heldSamples * periodMs;
      if (frames.length === 0) {
        this.dropped = 0;
        return { frames, next: this.lastArrival, samples: 0, droppedSamples: 0, overlapSamples: overlap, excessMs };
      }
    }
    // The first held frame starts the session (a discontinuity when a previous session existed, as the
    // source marked it); a frame marked for a lost line keeps its mark. Arrival placement added none.
    if (this.dropped > 0 || overlap > 0) frames[0].discontinuity = true;
    for (const f of frames) {
      f.t0 = t;
      t += f.channels[0].length * periodMs;
    }
    const out = { frames, next: t, samples: this.heldSamples, droppedSamples: this.dropped, overlapSamples: overlap, excessMs };
    this.heldSamples = 0;
    this.dropped = 0;
    return out;
  }
}

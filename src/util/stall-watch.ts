// What the systemd watchdog should know beyond "the event loop runs" (issue 19): whether data still
// becomes diagnoses. WATCHDOG=1 is withheld when sensors keep delivering accepted frames but no sensor
// has produced a window for `stallMs`: the pipeline is wedged and a restart (Restart=on-failure) helps.
//
// Decided, not forgotten: with no sensors configured there is nothing to judge (liveness only); when
// no frames arrive at all (a machine switched off for the night, a broker or port gone) the pings go
// on, because a restart cannot bring a sensor back and the sources already retry themselves; that is
// logged once per silence instead.

export interface StallState {
  /** Frames that passed validation, all sensors together (a counter). */
  framesAccepted: number;
  /** Windows produced, all sensors together (a counter). */
  windows: number;
}

export type StallVerdict = 'ok' | 'stalled' | 'silent';

export class StallWatch {
  private lastFrames = 0;
  private lastWindows = 0;
  private lastFrameAt: number;
  private lastWindowAt: number;

  constructor(private readonly stallMs: number, private readonly now: () => number = Date.now) {
    this.lastFrameAt = now();
    this.lastWindowAt = this.lastFrameAt;
  }

  /** Called at every watchdog tick with the current counters. */
  check(s: StallState): StallVerdict {
    const t = this.now();
    if (s.framesAccepted !== this.lastFrames) { this.lastFrames = s.framesAccepted; this.lastFrameAt = t; }
    if (s.windows !== this.lastWindows) { this.lastWindows = s.windows; this.lastWindowAt = t; }
    if (t - this.lastWindowAt <= this.stallMs) return 'ok';
    // Frames still arrive (within the last stall period) yet no window for a whole one: wedged.
    return t - this.lastFrameAt <= this.stallMs ? 'stalled' : 'silent';
  }
}

// Gathers CSV samples into frames of `frameSamples` (the pipeline never sees single samples). A frame
// also ends early at a time gap, and the source flushes it on a timer so a slow sensor's latency stays low.
import type { Frame, Unit } from '../../types.js';
import { ArrivalClock } from './arrival-clock.js';
import type { CsvSample } from './csv.js';

export interface FramerMeta {
  sensorId: string;
  rateHz: number;
  unit: Unit;
  axes: string[];
}

export class CsvFramer {
  private channels: Float32Array[];
  private n = 0;
  private t0: number | undefined;
  private lastArrival = 0;
  private breakNext = false;
  /** Device time the sample after the last emitted frame should carry, to see gaps at frame boundaries. */
  private expectedNext: number | undefined;
  private readonly clock: ArrivalClock;
  private readonly periodMs: number;
  /** Device timestamps often have 1 ms resolution, so several samples share one: allow that much slack. */
  private readonly gapToleranceMs: number;

  constructor(private readonly meta: FramerMeta, private readonly frameSamples: number) {
    this.channels = this.alloc();
    this.clock = new ArrivalClock(meta.rateHz);
    this.periodMs = 1000 / meta.rateHz;
    this.gapToleranceMs = Math.max(2 * this.periodMs, 2);
  }

  get pending(): number {
    return this.n;
  }

  /** Arrival time of the newest sample taken. */
  get lastArrivalMs(): number {
    return this.lastArrival;
  }

  /** Timeless samples: see ArrivalClock.holdBackToBack (a backlog is being drained). */
  holdBackToBack(): void {
    this.clock.holdBackToBack();
  }

  continueFrom(t: number | undefined): void {
    this.clock.continueFrom(t);
  }

  /** The next frame does not continue the previous one (the port was reopened); partial data is dropped. */
  restart(): void {
    this.n = 0;
    this.t0 = undefined;
    this.expectedNext = undefined;
    this.clock.reset();
    this.breakNext = true;
  }

  /**
   * A line was rejected: its sample is missing, so the samples after it do not continue those before.
   * Returns the pending partial frame, emitted now so it never joins the samples after the hole.
   */
  lost(): Frame | undefined {
    const f = this.flush();
    this.breakNext = true;
    return f;
  }

  /** Adds one sample; returns the frames it completed (0, 1, or 2 when a time gap closed a partial frame). */
  add(sample: CsvSample, arrivalMs: number): Frame[] {
    const out: Frame[] = [];
    if (sample.t !== undefined) {
      const expected = this.n > 0 && this.t0 !== undefined ? this.t0 + this.n * this.periodMs : this.expectedNext;
      if (expected !== undefined && Math.abs(sample.t - expected) > this.gapToleranceMs) {
        const f = this.flush();
        if (f) out.push(f);
        this.breakNext = true;
      }
    }
    if (this.n === 0) this.t0 = sample.t;
    for (let a = 0; a < this.channels.length; a++) this.channels[a][this.n] = sample.values[a];
    this.n++;
    this.lastArrival = arrivalMs;
    if (this.n >= this.frameSamples) {
      const f = this.flush();
      if (f) out.push(f);
    }
    return out;
  }

  /** Emits whatever is pending (the source's latency timer, or end of data). */
  flush(): Frame | undefined {
    if (this.n === 0) return undefined;
    const n = this.n;
    let t0 = this.t0;
    let continuous = true;
    if (t0 === undefined) ({ t0, continuous } = this.clock.place(n, this.lastArrival));
    else this.expectedNext = t0 + n * this.periodMs;
    const channels = n === this.frameSamples ? this.channels : this.channels.map((c) => c.slice(0, n));
    const frame: Frame = {
      sensorId: this.meta.sensorId,
      t0,
      rateHz: this.meta.rateHz,
      unit: this.meta.unit,
      axes: this.meta.axes,
      channels,
    };
    if (this.breakNext || !continuous) frame.discontinuity = true;
    this.breakNext = false;
    this.n = 0;
    this.t0 = undefined;
    // Emitted arrays belong to the consumer from now on.
    if (channels === this.channels) this.channels = this.alloc();
    return frame;
  }

  private alloc(): Float32Array[] {
    return this.meta.axes.map(() => new Float32Array(this.frameSamples));
  }
}

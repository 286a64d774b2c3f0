// First stage of every sensor pipeline: only well-formed, plausible, in-order frames go on, and every
// break in continuity is marked so the resampler and windower never stitch unrelated samples together.
import { type OperatorFunction, Observable } from 'rxjs';
import type { BadInputSink } from '../bad-input.js';
import type { Frame, SensorMeta } from '../types.js';

export interface ValidateOptions {
  sensor: SensorMeta;
  /** |value| above this (in the sensor's unit) is implausible. */
  range: number;
  /** A start time off the expected continuation by more than this many sample periods is a gap. */
  gapTolerancePeriods: number;
  badInput: BadInputSink;
}

/** Stable reject reasons (BadInputSink counts per reason, so keep them short and fixed). */
export const RejectReasons = {
  sensor: 'wrong sensor id',
  channelCount: 'wrong channel count',
  axes: 'axes differ from config',
  length: 'channel lengths differ or are empty',
  unit: 'unit differs from config',
  rate: 'sample rate differs from config',
  time: 'timestamp not finite',
  backwards: 'timestamp went backwards',
  nonFinite: 'non-finite sample (NaN or Infinity)',
  range: 'sample beyond configured range',
} as const;

const SOURCE = 'validate';

/** Sequence counters wrap at these; 255 → 0 etc. is a continuation, not a gap. */
const SEQ_WRAPS = [0xff, 0xffff, 0xffffffff];

type Check = { reason: string; detail: Record<string, unknown> } | null;

function checkShape(f: Frame, s: SensorMeta): Check {
  if (f.sensorId !== s.id) return { reason: RejectReasons.sensor, detail: { got: f.sensorId } };
  if (f.channels.length !== s.axes.length) return { reason: RejectReasons.channelCount, detail: { got: f.channels.length, expected: s.axes.length } };
  if (f.axes.length !== s.axes.length || f.axes.some((a, i) => a !== s.axes[i])) return { reason: RejectReasons.axes, detail: { got: f.axes, expected: s.axes } };
  const n = f.channels[0].length;
  if (n === 0 || f.channels.some((c) => c.length !== n)) return { reason: RejectReasons.length, detail: { lengths: f.channels.map((c) => c.length) } };
  if (f.unit !== s.unit) return { reason: RejectReasons.unit, detail: { got: f.unit, expected: s.unit } };
  if (f.rateHz !== s.rateHz) return { reason: RejectReasons.rate, detail: { got: f.rateHz, expected: s.rateHz } };
  if (!Number.isFinite(f.t0)) return { reason: RejectReasons.time, detail: { t0: f.t0 } };
  return null;
}

function checkValues(f: Frame, range: number): Check {
  for (let c = 0; c < f.channels.length; c++) {
    const x = f.channels[c];
    for (let i = 0; i < x.length; i++) {
      // One comparison per sample: false for NaN, ±Infinity and out-of-range alike.
      if (!(Math.abs(x[i]) <= range)) {
        const v = x[i];
        const reason = Number.isFinite(v) ? RejectReasons.range : RejectReasons.nonFinite;
        return { reason, detail: { axis: f.axes[c], index: i, value: String(v), range } };
      }
    }
  }
  return null;
}

function seqContinues(prev: number, seq: number): boolean {
  return seq === prev + 1 || (seq === 0 && SEQ_WRAPS.includes(prev));
}

export function validateFrames(opts: ValidateOptions): OperatorFunction<Frame, Frame> {
  const { sensor, range, badInput } = opts;
  const periodMs = 1000 / sensor.rateHz;
  const toleranceMs = opts.gapTolerancePeriods * periodMs;
  return (source) =>
    new Observable<Frame>((subscriber) => {
      let lastT0: number | null = null;
      let expectedT0 = 0;
      let lastSeq: number | undefined;
      // A rejected frame means lost samples: whatever comes next does not continue what came before.
      let broken = false;
      return source.subscribe({
        next(f) {
          const bad = checkShape(f, sensor) ?? checkValues(f, range) ??
            (lastT0 !== null && f.t0 <= lastT0 ? { reason: RejectReasons.backwards, detail: { t0: f.t0, previousT0: lastT0 } } : null);
          if (bad) {
            badInput.reject(sensor.id, SOURCE, bad.reason, { t0: f.t0, seq: f.seq, ...bad.detail });
            // A late duplicate costs no samples; any other reject leaves a hole in the signal.
            if (bad.reason !== RejectReasons.backwards) broken = lastT0 !== null;
            return;
          }
          let gap = broken;
          if (lastT0 !== null) {
            if (Math.abs(f.t0 - expectedT0) > toleranceMs) gap = true;
            if (f.seq !== undefined && lastSeq !== undefined && !seqContinues(lastSeq, f.seq)) gap = true;
          }
          lastT0 = f.t0;
          expectedT0 = f.t0 + f.channels[0].length * periodMs;
          lastSeq = f.seq;
          broken = false;
          subscriber.next(gap && !f.discontinuity ? { ...f, discontinuity: true } : f);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

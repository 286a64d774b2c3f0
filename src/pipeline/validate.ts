// First stage of every sensor pipeline: only well-formed, plausible, in-order samples go on, and every
// break in continuity is marked so the resampler and windower never stitch unrelated samples together.
//
// No timestamp can silence a sensor (issue 19): a frame from too far in the future is rejected without
// moving the sensor's clock; a frame that overlaps what came before (a duplicate, a reordered frame, a
// small clock step) is rejected, which can last at most `clockResetMs` of device time; a larger jump back
// (a device that restarted its clock at 1970, a clock set back by hand) restarts the stream once the
// next frame confirms the new timeline, so one stray old frame cannot drag the clock back. A bad sample
// drops that sample, not its frame.
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
  /**
   * Frames starting more than this far ahead of `now()` are rejected. null: no check (sources whose
   * times come from the daemon's own clock: replay and simulator, which run ahead at speed > 1).
   */
  futureToleranceMs?: number | null;
  /** A jump back by more than this restarts the stream (after one confirming frame); less is an overlap, rejected. */
  clockResetMs?: number;
  /** Wall clock for the future check; tests inject their own. */
  now?: () => number;
}

export const DEFAULT_FUTURE_TOLERANCE_MS = 60_000;
export const DEFAULT_CLOCK_RESET_MS = 5_000;

/** Stable reasons (BadInputSink counts per reason, so keep them short and fixed). */
export const RejectReasons = {
  sensor: 'wrong sensor id',
  channelCount: 'wrong channel count',
  axes: 'axes differ from config',
  length: 'channel lengths differ or are empty',
  unit: 'unit differs from config',
  rate: 'sample rate differs from config',
  time: 'timestamp not finite',
  future: 'timestamp in the future',
  backwards: 'timestamp went backwards',
  nonFinite: 'non-finite sample (NaN or Infinity)',
  range: 'sample beyond configured range',
} as const;

/** Input kept, but not as it came (BadInputSink.note). */
export const NoteReasons = {
  clockReset: 'clock jumped back: stream restarted',
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

/** Sample indices (over all axes) that are non-finite or beyond the range; empty for a clean frame. */
function badSamples(f: Frame, range: number): { index: Uint8Array; count: number; nonFinite: number; first: Record<string, unknown> } | null {
  let index: Uint8Array | null = null;
  let count = 0;
  let nonFinite = 0;
  let first: Record<string, unknown> = {};
  for (let c = 0; c < f.channels.length; c++) {
    const x = f.channels[c];
    for (let i = 0; i < x.length; i++) {
      // One comparison per sample on the clean path: false for NaN, ±Infinity and out-of-range alike.
      if (Math.abs(x[i]) <= range) continue;
      index ??= new Uint8Array(x.length);
      if (count === 0) first = { axis: f.axes[c], index: i, value: String(x[i]) };
      if (!index[i]) count++;
      if (!Number.isFinite(x[i])) nonFinite++;
      index[i] = 1;
    }
  }
  return index ? { index, count, nonFinite, first } : null;
}

/** The runs of good samples of `f` as frames; every run after a dropped sample is a discontinuity. */
function goodRuns(f: Frame, bad: Uint8Array, periodMs: number): Frame[] {
  const out: Frame[] = [];
  const n = bad.length;
  let i = 0;
  while (i < n) {
    while (i < n && bad[i]) i++;
    const start = i;
    while (i < n && !bad[i]) i++;
    if (i === start) break;
    const run: Frame = { ...f, t0: f.t0 + start * periodMs, channels: f.channels.map((c) => c.slice(start, i)) };
    if (start > 0) run.discontinuity = true;
    if (start > 0) delete run.seq;
    out.push(run);
  }
  return out;
}

function seqContinues(prev: number, seq: number): boolean {
  return seq === prev + 1 || (seq === 0 && SEQ_WRAPS.includes(prev));
}

export function validateFrames(opts: ValidateOptions): OperatorFunction<Frame, Frame> {
  const { sensor, range, badInput } = opts;
  const periodMs = 1000 / sensor.rateHz;
  const toleranceMs = opts.gapTolerancePeriods * periodMs;
  const futureMs = opts.futureToleranceMs === undefined ? DEFAULT_FUTURE_TOLERANCE_MS : opts.futureToleranceMs;
  const resetMs = opts.clockResetMs ?? DEFAULT_CLOCK_RESET_MS;
  const now = opts.now ?? Date.now;
  return (source) =>
    new Observable<Frame>((subscriber) => {
      /** Where the next frame should start to continue the stream; null before the first frame. */
      let expectedT0: number | null = null;
      let lastT0: number | null = null;
      let lastSeq: number | undefined;
      // Samples were lost: whatever comes next does not continue what came before.
      let broken = false;
      /** A frame far behind the stream's clock, held until the next frame says whether it starts a new timeline. */
      let candidate: Frame | null = null;

      const reject = (f: Frame, reason: string, detail: Record<string, unknown>) =>
        badInput.reject(sensor.id, SOURCE, reason, { t0: f.t0, seq: f.seq, ...detail });
      const end = (f: Frame) => f.t0 + f.channels[0].length * periodMs;

      /** Takes `f` as the stream's next frame; `restart` = it begins a new timeline. */
      const accept = (f: Frame, restart: boolean) => {
        let gap = broken || restart;
        if (expectedT0 !== null && !restart) {
          if (Math.abs(f.t0 - expectedT0) > toleranceMs) gap = true;
          if (f.seq !== undefined && lastSeq !== undefined && !seqContinues(lastSeq, f.seq)) gap = true;
        }
        expectedT0 = end(f);
        lastT0 = f.t0;
        lastSeq = f.seq;
        broken = false;
        const bad = badSamples(f, range);
        if (!bad) {
          subscriber.next(gap && !f.discontinuity ? { ...f, discontinuity: true } : f);
          return;
        }
        // Drop the bad samples only; the windower restarts after each hole (it never stitches across one).
        if (bad.nonFinite > 0) reject(f, RejectReasons.nonFinite, { samples: bad.nonFinite, ...bad.first, range });
        if (bad.count > bad.nonFinite) reject(f, RejectReasons.range, { samples: bad.count - bad.nonFinite, ...bad.first, range });
        const runs = goodRuns(f, bad.index, periodMs);
        if (runs.length === 0 || runs[0].t0 !== f.t0) gap = true;
        runs.forEach((r, i) => {
          if (i === 0 && gap) r.discontinuity = true;
          subscriber.next(r);
        });
        // The samples after the last good run are lost too.
        if (runs.length === 0 || end(runs[runs.length - 1]) < expectedT0 - periodMs / 2) broken = true;
      };

      const dropCandidate = () => {
        if (!candidate) return;
        // A stray old frame (a replay, a glitch) costs the current stream no samples.
        reject(candidate, RejectReasons.backwards, { expectedT0, note: 'one frame far behind the stream, not followed by a continuation' });
        candidate = null;
      };

      return source.subscribe({
        next(f) {
          const shape = checkShape(f, sensor);
          if (shape) {
            reject(f, shape.reason, shape.detail);
            broken = expectedT0 !== null;
            return;
          }
          if (futureMs !== null && f.t0 - now() > futureMs) {
            // The stream's clock stays where it was: one wild timestamp must not make every later frame "old".
            reject(f, RejectReasons.future, { aheadMs: Math.round(f.t0 - now()), toleranceMs: futureMs, hint: 'check the device clock and this gateway\'s (NTP)' });
            broken = expectedT0 !== null;
            return;
          }
          if (expectedT0 === null) {
            accept(f, false);
            return;
          }
          if (candidate) {
            const c = candidate;
            const continues = Math.abs(f.t0 - end(c)) <= toleranceMs && (f.seq === undefined || c.seq === undefined || seqContinues(c.seq, f.seq));
            if (continues) {
              badInput.note(sensor.id, SOURCE, NoteReasons.clockReset, { from: expectedT0, to: c.t0, jumpMs: Math.round(expectedT0 - c.t0) });
              candidate = null;
              accept(c, true);
              accept(f, false);
              return;
            }
          }
          const behindMs = expectedT0 - f.t0;
          if (behindMs > toleranceMs) {
            if (behindMs > resetMs) {
              dropCandidate();
              candidate = f;
              return;
            }
            // An overlap. A repeat of the last frame (a QoS 1 redelivery) costs no samples; any other
            // (a small clock step back, a reordered frame) carries samples the stream will not have, so
            // the next accepted frame does not continue the last one.
            reject(f, RejectReasons.backwards, { expectedT0, behindMs: Math.round(behindMs) });
            if (!(f.t0 === lastT0 && end(f) === expectedT0)) broken = true;
            dropCandidate();
            return;
          }
          dropCandidate();
          accept(f, false);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          dropCandidate();
          subscriber.complete();
        },
      });
    });
}

// Cuts each channel into model-sized windows with a fixed hop. Samples are copied in blocks into one
// typed buffer per channel (never one event per sample), and a window never spans a discontinuity.
import { type OperatorFunction, Observable } from 'rxjs';
import type { Frame, Window } from '../types.js';

export interface WindowOptions {
  asset: string;
  /** Samples per window at the frame rate (the model's windowLength). */
  windowLength: number;
  /** Samples between window starts; hop < windowLength overlaps, hop > windowLength skips. */
  hop: number;
  /** Clock for Window.completedAt (latency accounting); performance.now by default. */
  now?: () => number;
  /**
   * Samples to discard at the start of every segment (0 ≤ offset < hop): shifts the window grid. The
   * sensor pipeline uses it to make windows end where input frames end (see signalPipeline).
   */
  offset?: number;
}

export function windowFrames(opts: WindowOptions): OperatorFunction<Frame, Window> {
  const { asset, windowLength: len, hop } = opts;
  const offset = opts.offset ?? 0;
  const now = opts.now ?? (() => performance.now());
  if (!Number.isInteger(len) || len <= 0 || !Number.isInteger(hop) || hop <= 0) {
    throw new RangeError(`windowFrames: windowLength and hop must be positive integers (got ${len}, ${hop})`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset >= hop) throw new RangeError(`windowFrames: offset must be an integer in [0, hop) (got ${offset})`);
  return (source) =>
    new Observable<Window>((subscriber) => {
      let bufs: Float32Array[] = [];
      /** Samples held in each buffer (all channels move together). */
      let fill = 0;
      /** Samples still to discard before the next window starts (segment offset, or hop > windowLength). */
      let skip = offset;
      /** Time of the buffers' first sample. */
      let bufT0 = 0;

      return source.subscribe({
        next(f) {
          if (f.discontinuity || bufs.length !== f.channels.length) {
            // Drop the partial window: its samples do not continue into this frame.
            if (bufs.length !== f.channels.length) bufs = f.channels.map(() => new Float32Array(len));
            fill = 0;
            skip = offset;
          }
          const n = f.channels[0]?.length ?? 0;
          const periodMs = 1000 / f.rateHz;
          let pos = 0;
          while (pos < n) {
            if (skip > 0) {
              const s = Math.min(skip, n - pos);
              skip -= s;
              pos += s;
              continue;
            }
            if (fill === 0) bufT0 = f.t0 + pos * periodMs;
            const take = Math.min(len - fill, n - pos);
            for (let c = 0; c < bufs.length; c++) bufs[c].set(f.channels[c].subarray(pos, pos + take), fill);
            fill += take;
            pos += take;
            if (fill < len) break;
            // Times come from the frames that brought the first and the last sample (the device's clock).
            const end = f.t0 + (pos - 1) * periodMs;
            const completedAt = now();
            // Whole milliseconds, rounded once here: SQLite rounded and the MQTT payload truncated the
            // fractional times, so a third of the rows disagreed by 1 ms (issue 19).
            const startMs = Math.round(bufT0);
            const endMs = Math.round(end);
            for (let c = 0; c < bufs.length; c++) {
              subscriber.next({ sensorId: f.sensorId, asset, channel: f.axes[c], start: startMs, end: endMs, data: bufs[c].slice(), completedAt });
            }
            if (hop < len) {
              for (const b of bufs) b.copyWithin(0, hop, len);
              fill = len - hop;
              bufT0 = end - (fill - 1) * periodMs;
            } else {
              fill = 0;
              skip = hop - len;
            }
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

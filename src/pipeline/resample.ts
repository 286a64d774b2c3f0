// Brings every sensor to the model's rate through the one band-limit filter (src/dsp/resampler.ts), so
// the model sees the same spectrum whatever the sensor's rate.
import { type OperatorFunction, Observable } from 'rxjs';
import { StreamingResampler } from '../dsp/resampler.js';
import type { Frame } from '../types.js';

export interface ResampleOptions {
  outRateHz: number;
  /** Band limit applied to every signal (drsn.json input.bandLimitHz). */
  cutoffHz: number;
}

/**
 * Frame → frame at `outRateHz`, one StreamingResampler per channel, restarted at every discontinuity.
 * Output times are exact: the filter's delay is compensated by dropping the outputs that stand for
 * times before the segment's first input sample, so the first output sample is at the segment's t0.
 * Later output times are anchored to the t0 of the frame being processed (not to a sample counter),
 * so they follow the device's clock when its true rate differs slightly from the nominal one. The last few input samples of a segment (the filter's
 * delay) never come out: a segment that ends is not flushed with invented zeros.
 */
export function resampleFrames(opts: ResampleOptions): OperatorFunction<Frame, Frame> {
  const { outRateHz, cutoffHz } = opts;
  const periodMs = 1000 / outRateHz;
  return (source) =>
    new Observable<Frame>((subscriber) => {
      let resamplers: StreamingResampler[] = [];
      let rate = 0;
      /** Input samples consumed since the segment started, before the current frame. */
      let consumed = 0;
      /** Outputs produced since the segment started, including the dropped ones. */
      let produced = 0;
      let pendingDiscontinuity = false;

      const restart = (f: Frame): void => {
        if (f.rateHz !== rate || resamplers.length !== f.channels.length) {
          rate = f.rateHz;
          resamplers = f.channels.map(() => new StreamingResampler({ inRateHz: f.rateHz, outRateHz, cutoffHz }));
        } else {
          for (const r of resamplers) r.reset();
        }
        consumed = 0;
        produced = 0;
        pendingDiscontinuity = true;
      };

      return source.subscribe({
        next(f) {
          if (resamplers.length === 0 || f.discontinuity || f.rateHz !== rate || f.channels.length !== resamplers.length) {
            try {
              restart(f);
            } catch (e) {
              subscriber.error(e);
              return;
            }
          }
          const outs = f.channels.map((c, i) => resamplers[i].push(c));
          const delay = resamplers[0].delaySamples;
          const n = outs[0].length;
          const skip = Math.max(0, Math.min(n, delay - produced));
          const first = produced + skip - delay;
          produced += n;
          // Output `first` stands for input time first/outRate after the segment start; this frame starts at consumed/inRate.
          const t0 = f.t0 + (first * periodMs - (consumed * 1000) / f.rateHz);
          consumed += f.channels[0].length;
          if (skip === n) return;
          subscriber.next({
            ...f,
            t0,
            rateHz: outRateHz,
            channels: skip === 0 ? outs : outs.map((o) => o.subarray(skip)),
            discontinuity: pendingDiscontinuity,
          });
          pendingDiscontinuity = false;
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

// Everything that happens to one sensor's frames before windows from all sensors meet in the batcher.
import type { OperatorFunction } from 'rxjs';
import { designResampler } from '../dsp/resampler.js';
import type { BadInputSink } from '../bad-input.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { convertUnits } from './convert-units.js';
import { resampleFrames } from './resample.js';
import { validateFrames } from './validate.js';
import { windowFrames } from './window.js';

export interface SensorPipelineOptions {
  sensor: SensorMeta;
  /** Plausible |value| in the sensor's unit. */
  range: number;
  model: ModelMetadata;
  /** Hop in samples at the model rate; null = half a window (settings pipeline.hop). */
  hop: number | null;
  gapTolerancePeriods: number;
  badInput: BadInputSink;
  /** Clock for Window.completedAt; performance.now by default. */
  now?: () => number;
}

export type SignalPipelineOptions = Pick<SensorPipelineOptions, 'sensor' | 'model' | 'hop' | 'now'>;

/**
 * convert units → resample + band-limit → window per channel, on frames already validated: pure
 * computation with no I/O, so it runs on the main thread or in a DSP worker (src/runtime/dsp-pool.ts).
 * Throws a DrsndError (CONFIG_INVALID) at build time when the sensor's rate cannot be resampled to the
 * model's: the designResampler call exists for that check (the design is cached for the resamplers).
 */
export function signalPipeline(opts: SignalPipelineOptions): OperatorFunction<Frame, Window> {
  const { sensor, model } = opts;
  const design = designResampler({ inRateHz: sensor.rateHz, outRateHz: model.input.sampleRateHz, cutoffHz: model.input.bandLimitHz });
  const windowLength = model.input.windowLength;
  const convert = convertUnits(model.input.unit);
  const resample = resampleFrames({ outRateHz: model.input.sampleRateHz, cutoffHz: model.input.bandLimitHz });
  const hop = opts.hop ?? Math.max(1, Math.floor(windowLength / 2));
  // The filter needs `delay` samples beyond a window's last one. With windows starting at the segment
  // start, a window ends `delay` samples before a frame boundary (frames of hop, or a divisor of it, are
  // the common case), so it waited a whole extra frame (85 ms at 1024 samples, 12 kHz) for those few
  // samples. Shifting the grid by hop − delay makes windows end exactly as their frame arrives.
  const offset = (hop - (design.delay % hop)) % hop;
  const windows = windowFrames({ asset: sensor.asset, windowLength, hop, now: opts.now, offset });
  return (source) => source.pipe(convert, resample, windows);
}

/** validate → signalPipeline, all on the calling thread (tests, tools, `pipeline.workers: 0`). */
export function sensorPipeline(opts: SensorPipelineOptions): OperatorFunction<Frame, Window> {
  const signal = signalPipeline(opts);
  const validate = validateFrames({ sensor: opts.sensor, range: opts.range, gapTolerancePeriods: opts.gapTolerancePeriods, badInput: opts.badInput });
  return (source) => source.pipe(validate, signal);
}

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

/**
 * validate → convert units → resample + band-limit → window per channel. Throws a DrsndError
 * (CONFIG_INVALID) at build time when the sensor's rate cannot be resampled to the model's: the
 * designResampler call below exists for that check (the design is cached for the stream's resamplers).
 */
export function sensorPipeline(opts: SensorPipelineOptions): OperatorFunction<Frame, Window> {
  const { sensor, model } = opts;
  designResampler({ inRateHz: sensor.rateHz, outRateHz: model.input.sampleRateHz, cutoffHz: model.input.bandLimitHz });
  const windowLength = model.input.windowLength;
  const validate = validateFrames({ sensor, range: opts.range, gapTolerancePeriods: opts.gapTolerancePeriods, badInput: opts.badInput });
  const convert = convertUnits(model.input.unit);
  const resample = resampleFrames({ outRateHz: model.input.sampleRateHz, cutoffHz: model.input.bandLimitHz });
  const hop = opts.hop ?? Math.max(1, Math.floor(windowLength / 2));
  const windows = windowFrames({ asset: sensor.asset, windowLength, hop, now: opts.now });
  return (source) => source.pipe(validate, convert, resample, windows);
}

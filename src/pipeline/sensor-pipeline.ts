// Everything that happens to one sensor's frames before windows from all sensors meet in the batcher.
import { defer, filter, map, tap, type OperatorFunction } from 'rxjs';
import { designResampler } from '../dsp/resampler.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { EnvelopeOrderSpectrum } from '../physics/order-spectrum.js';
import { SensorPhysics } from '../physics/sensor-physics.js';
import type { BadInputSink } from '../bad-input.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../types.js';
import { convertUnits, unitFactor } from './convert-units.js';
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
  /** Indicators, sensor checks and bearing evidence on every window (src/physics/); default true. */
  physics?: boolean;
  /** Seconds between envelope analyses after the first (default EVIDENCE_EVERY_SEC; 0: every buffer, for tests of the envelope itself). */
  evidenceEverySec?: number;
}

export type SignalPipelineOptions = Pick<SensorPipelineOptions, 'sensor' | 'model' | 'hop' | 'now' | 'physics' | 'evidenceEverySec'>;

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
  const rep = model.input.representation;
  if (rep && (!sensor.machine?.orders || !sensor.machine.speed || opts.physics === false)) {
    throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor ${sensor.id}: model ${model.id} takes the envelope-order spectrum, which needs the sensor's ` +
      'machine.bearing and machine.speed (fixed rpm, a speed topic or an estimate range); configure them, or choose a time-domain model (model.dir)');
  }
  if (opts.physics === false) return (source) => source.pipe(convert, resample, windows);
  // The physics sees the frames as the sensor gave them and each window before normalization; its
  // state is per subscription, like the resampler's and the windower's.
  const toG = unitFactor(model.input.unit, 'g');
  return (source) => defer(() => {
    const physics = new SensorPhysics(sensor, model.input.sampleRateHz, windowLength, opts.evidenceEverySec);
    const withPhysics = source.pipe(
      tap((f) => physics.onFrame(f)),
      convert, resample, windows,
      map((w) => {
        w.physics = physics.onWindow(w, toG);
        return w;
      }),
    );
    if (!rep) return withPhysics;
    // The model sees the envelope-order spectrum of the window at the shaft speed the physics found (fixed,
    // topic or estimated: the same speed its evidence used). Until a speed is known (the first ~1 s buffer,
    // or an estimate that finds no shaft line) a window has no input for this model and is not diagnosed:
    // the sensor's health still reports it, and a guessed speed would put the lines in the wrong place.
    const eos = new EnvelopeOrderSpectrum(rep);
    const orders = sensor.machine!.orders!;
    const ood = model.ood;
    return withPhysics.pipe(
      filter((w) => (w.physics?.evidence?.shaftHz ?? 0) > 0),
      map((w) => {
        const data = eos.compute(w.data, model.input.sampleRateHz, w.physics!.evidence!.shaftHz, orders);
        if (ood) w.physics!.ood = { score: eos.oodScore(ood), threshold: ood.threshold };
        return { ...w, data };
      }),
    );
  });
}

/** validate → signalPipeline on the calling thread: the per-sensor path as one operator, for tools and
 *  benchmarks (bench/hotpath.ts, bench/simulator-vs-model.ts). The daemon validates on the main thread
 *  and runs signalPipeline in its workers (src/runtime/dsp-pool.ts), or here with pipeline.workers 0. */
export function sensorPipeline(opts: SensorPipelineOptions): OperatorFunction<Frame, Window> {
  const signal = signalPipeline(opts);
  const validate = validateFrames({ sensor: opts.sensor, range: opts.range, gapTolerancePeriods: opts.gapTolerancePeriods, badInput: opts.badInput });
  return (source) => source.pipe(validate, signal);
}

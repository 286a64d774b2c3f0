import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { designResampler } from '../../src/dsp/resampler.js';
import { BadInputCounter } from '../../src/bad-input.js';
import { isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { sensorPipeline } from '../../src/pipeline/sensor-pipeline.js';
import type { Frame, ModelMetadata, SensorMeta, Window } from '../../src/types.js';

const model: ModelMetadata = {
  id: 'm', version: '1', architecture: 'drsn-cw',
  input: { sampleRateHz: 12_000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 },
  classes: [{ index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null }],
  files: {},
};
const sensor: SensorMeta = { id: 'iepe1', asset: 'fan', rateHz: 25_600, unit: 'm/s2', axes: ['x', 'y'] };

/** 25.6 kHz, in m/s²: x = 1 g at 1 kHz plus 1 g at 9 kHz (above the band limit), y = 0.5 g at 2 kHz. */
function frames(t0: number, seconds: number, size: number): Frame[] {
  const out: Frame[] = [];
  const total = seconds * sensor.rateHz;
  for (let pos = 0; pos < total; pos += size) {
    const n = Math.min(size, total - pos);
    const t = (i: number) => (pos + i) / sensor.rateHz;
    out.push({
      sensorId: 'iepe1', t0: t0 + (pos * 1000) / sensor.rateHz, rateHz: sensor.rateHz, unit: 'm/s2', axes: ['x', 'y'],
      channels: [
        Float32Array.from({ length: n }, (_, i) => 9.80665 * (Math.sin(2 * Math.PI * 1000 * t(i)) + Math.sin(2 * Math.PI * 9000 * t(i)))),
        Float32Array.from({ length: n }, (_, i) => 9.80665 * 0.5 * Math.sin(2 * Math.PI * 2000 * t(i))),
      ],
    });
  }
  return out;
}

/** Amplitude of the component at f, Hann-windowed so the strong 1 kHz tone does not leak into other bins. */
const amplitude = (x: Float32Array, f: number) => {
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let i = 0; i < x.length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1));
    re += w * x[i] * Math.cos((2 * Math.PI * f * i) / 12_000);
    im += w * x[i] * Math.sin((2 * Math.PI * f * i) / 12_000);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum;
};

test('a 25.6 kHz m/s² sensor becomes 12 kHz, g, band-limited, 2048-sample windows with hop 1024', async () => {
  const badInput = new BadInputCounter(createLogger('silent'));
  const op = sensorPipeline({ sensor, range: 500, model, hop: null, gapTolerancePeriods: 2, badInput });
  const t0 = 1_700_000_000_000;
  const windows = await lastValueFrom(from(frames(t0, 1, 1280)).pipe(op, toArray()));
  const xs = windows.filter((w) => w.channel === 'x');
  const ys = windows.filter((w) => w.channel === 'y');
  // ~12000 samples (less the filter delay); the grid starts `offset` samples in (windows end as frames
  // end): windows at offset, offset + 1024, … → 9 per channel.
  const offset = gridOffset(sensor.rateHz, 1024);
  assert.ok(offset > 0 && offset < 1024);
  assert.equal(xs.length, 9);
  assert.equal(ys.length, 9);
  assert.equal(xs[0].start, Math.round(t0 + (offset * 1000) / 12_000)); // the filter delay is compensated exactly (times are whole ms)
  assert.equal(xs[1].start, Math.round(t0 + ((offset + 1024) * 1000) / 12_000));
  assert.ok(Math.abs(xs[0].end - xs[0].start - (2047 * 1000) / 12_000) <= 1);
  for (const w of xs.slice(1)) {
    assert.equal(w.data.length, 2048);
    assert.equal(w.asset, 'fan');
    assert.ok(Math.abs(amplitude(w.data, 1000) - 1) < 0.01, 'in g, passband intact');
    // 9 kHz would alias to 3 kHz at 12 kHz; the band limit removes it first.
    assert.ok(amplitude(w.data, 3000) < 1e-3, `alias at 3 kHz: ${amplitude(w.data, 3000)}`);
  }
  assert.ok(Math.abs(amplitude(ys[3].data, 2000) - 0.5) < 0.01);
  assert.equal(badInput.count(), 0);
});

test('bad frames are rejected and the gap they leave restarts the windows', async () => {
  const badInput = new BadInputCounter(createLogger('silent'));
  const op = sensorPipeline({ sensor, range: 500, model, hop: 2048, gapTolerancePeriods: 2, badInput });
  const input = frames(0, 1, 2560);
  input[3] = { ...input[3], channels: [input[3].channels[0].map(() => NaN), input[3].channels[1]] };
  const windows = (await lastValueFrom(from(input).pipe(op, toArray()))).filter((w) => w.channel === 'x');
  assert.equal(badInput.count('iepe1'), 1);
  // Frame 3 covers 300..400 ms: windows end before it or start at the restart (400 ms).
  assert.ok(windows.length > 0);
  assert.ok(windows.every((w) => w.end < 300 || w.start >= 400), JSON.stringify(windows.map((w) => [w.start, w.end])));
  const restart = 400 + (gridOffset(sensor.rateHz, 2048) * 1000) / 12_000;
  assert.ok(windows.some((w) => w.start === Math.round(restart)), `no window starts at the restart (${restart} ms)`);
});

test('windows end as the frame carrying their last filtered sample arrives, not one frame later', () => {
  // 12 kHz sensor, 1024-sample frames, hop 1024: the band-limit filter needs `delay` samples past a
  // window's end. Each window must come out while the frame holding those samples is being handled.
  const s12: SensorMeta = { id: 'p', asset: 'pump', rateHz: 12_000, unit: 'g', axes: ['x'] };
  const delay = designResampler({ inRateHz: 12_000, outRateHz: 12_000, cutoffHz: 4800 }).delay;
  assert.ok(delay > 0);
  const input = new Subject<Frame>();
  const seen: { w: Window; frame: number }[] = [];
  let current = -1;
  input.pipe(sensorPipeline({ sensor: s12, range: 500, model, hop: null, gapTolerancePeriods: 2, badInput: new BadInputCounter(createLogger('silent')) }))
    .subscribe((w) => seen.push({ w, frame: current }));
  const period = 1000 / 12_000;
  for (current = 0; current < 12; current++) {
    input.next({ sensorId: 'p', t0: current * 1024 * period, rateHz: 12_000, unit: 'g', axes: ['x'], channels: [Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i))] });
  }
  assert.ok(seen.length >= 8, `only ${seen.length} windows`);
  for (const { w, frame } of seen) {
    const frameEnd = (frame * 1024 + 1023) * period;
    assert.ok(Math.abs(w.end + delay * period - frameEnd) <= 0.5, `window ending ${w.end} ms came with frame ${frame} (ends ${frameEnd} ms)`);
  }
});

/** Where the window grid starts in a segment: hop − filter delay (see signalPipeline). */
function gridOffset(rateHz: number, hop: number): number {
  const delay = designResampler({ inRateHz: rateHz, outRateHz: 12_000, cutoffHz: 4800 }).delay;
  return (hop - (delay % hop)) % hop;
}

test('a sensor rate that cannot be resampled is refused when the pipeline is built', () => {
  assert.throws(
    () => sensorPipeline({ sensor: { ...sensor, rateHz: 12_001 }, range: 500, model, hop: null, gapTolerancePeriods: 2, badInput: new BadInputCounter(createLogger('silent')) }),
    (e) => isDrsndError(e, 'DRSND_CONFIG_INVALID'),
  );
});

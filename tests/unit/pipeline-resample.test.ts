import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { resample, StreamingResampler } from '../../src/dsp/resampler.js';
import { resampleFrames } from '../../src/pipeline/resample.js';
import type { Frame } from '../../src/types.js';

const IN = 48_000;
const OUT = 12_000;

function chunks(x: Float32Array[], t0: number, sizes: number[], rateHz = IN): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  for (let k = 0; pos < x[0].length; k++) {
    const n = Math.min(sizes[k % sizes.length], x[0].length - pos);
    frames.push({ sensorId: 's', t0: t0 + (pos * 1000) / rateHz, rateHz, unit: 'g', axes: x.map((_, i) => `a${i}`), channels: x.map((c) => c.subarray(pos, pos + n)) });
    pos += n;
  }
  return frames;
}

const tone = (f: number, n: number, fs: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / fs));
const concat = (parts: Float32Array[]) => Float32Array.from(parts.flatMap((p) => Array.from(p)));

test('frames come out at the model rate with exact, contiguous, delay-compensated times', async () => {
  const x = [tone(1000, IN, IN), tone(250, IN, IN)];
  const out = await lastValueFrom(from(chunks(x, 1_700_000_000_000, [1000, 7, 333, 4096])).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  assert.equal(out[0].t0, 1_700_000_000_000);
  let expected = out[0].t0;
  for (const f of out) {
    assert.equal(f.rateHz, OUT);
    assert.equal(f.channels.length, 2);
    assert.equal(f.channels[0].length, f.channels[1].length);
    assert.ok(Math.abs(f.t0 - expected) < 1e-3, `t0 ${f.t0} vs ${expected}`);
    expected = f.t0 + (f.channels[0].length * 1000) / OUT;
  }
  // Same values as the offline (delay-compensated) resampler, which keeps the tone's phase.
  const y = concat(out.map((f) => f.channels[0]));
  const offline = resample(x[0], { inRateHz: IN, outRateHz: OUT, cutoffHz: 4800 });
  assert.ok(y.length > offline.length - 40 && y.length <= offline.length);
  for (let m = 0; m < y.length; m++) assert.ok(Math.abs(y[m] - offline[m]) < 1e-6, `sample ${m}`);
  for (let m = 100; m < y.length; m += 101) assert.ok(Math.abs(y[m] - Math.sin((2 * Math.PI * 1000 * m) / OUT)) < 2e-3);
});

test('a discontinuity restarts the filter: the new segment starts at its own t0 and carries the flag', async () => {
  const a = chunks([tone(1000, 4800, IN)], 0, [1200]);
  const b = chunks([tone(1000, 4800, IN)], 10_000, [1200]);
  b[0] = { ...b[0], discontinuity: true };
  const out = await lastValueFrom(from([...a, ...b]).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  const restart = out.findIndex((f) => f.t0 >= 10_000);
  assert.ok(restart > 0);
  assert.equal(out[restart].t0, 10_000);
  assert.equal(out[restart].discontinuity, true);
  assert.equal(out[0].discontinuity, true); // the very first segment also starts fresh
  assert.ok(out.slice(1).every((f, i) => (i + 1 === restart) === !!f.discontinuity));
  // Nothing of segment a leaks into b: b's output equals a fresh run on b alone.
  const alone = await lastValueFrom(from(b.map((f) => ({ ...f, discontinuity: false }))).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  assert.deepEqual(concat(out.slice(restart).map((f) => f.channels[0])), concat(alone.map((f) => f.channels[0])));
});

test('12 kHz input only gets the band limit; 25.6 kHz input is resampled', async () => {
  const same = await lastValueFrom(from(chunks([tone(5800, 12_000, 12_000)], 0, [512], 12_000)).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  const y = concat(same.map((f) => f.channels[0]));
  const rms = Math.sqrt(y.slice(200).reduce((s, v) => s + v * v, 0) / (y.length - 200));
  assert.ok(rms < 1e-3 * Math.SQRT1_2, `5.8 kHz tone should be removed, rms ${rms}`);

  const fast = await lastValueFrom(from(chunks([tone(1000, 25_600, 25_600)], 0, [2560], 25_600)).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  const n = fast.reduce((s, f) => s + f.channels[0].length, 0);
  assert.ok(n > 12_000 - 40 && n <= 12_000, `${n} samples`);
});

test('output times follow the frame timestamps when the device clock runs off the nominal rate', async () => {
  // Each 100 ms of samples is stamped 101 ms apart (a 1 % slow clock, within validate's tolerance per frame).
  const input = chunks([tone(1000, IN * 3, IN)], 0, [4800]).map((f, k) => ({ ...f, t0: k * 101 }));
  const out = await lastValueFrom(from(input).pipe(resampleFrames({ outRateHz: OUT, cutoffHz: 4800 }), toArray()));
  assert.equal(out.length, input.length);
  // Outputs lag the start of their input frame by at most the filter delay.
  const delayMs = (new StreamingResampler({ inRateHz: IN, outRateHz: OUT, cutoffHz: 4800 }).delaySamples * 1000) / OUT;
  out.forEach((f, k) => assert.ok(Math.abs(f.t0 - input[k].t0) <= delayMs + 1e-6, `frame ${k}: ${f.t0} vs ${input[k].t0}`));
  assert.ok(out[29].t0 > 29 * 100 + 20, 'a sample counter would have drifted 29 ms behind');
});

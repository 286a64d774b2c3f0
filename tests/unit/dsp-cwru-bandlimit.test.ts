// The shortcut this band limit removes: CWRU's normal record (48 kHz) and its fault records (12 kHz)
// differ above ~5 kHz for reasons unrelated to bearings (different rate, different anti-alias filter).
// After the model's band limit, neither keeps measurable energy there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resample } from '../../src/dsp/resampler.js';
import { cwruDir } from '../helpers/data.js';
import { fft } from '../../src/data/spectrum.js';
import { decodeF32LE } from '../../src/data/recording.js';

const BAND_LIMIT = 4800;

/** Welch estimate (Hann, 4096 points, 50% overlap) of the mean power in [loHz, hiHz), comparable across rates. */
function bandPower(x: Float32Array, fs: number, loHz: number, hiHz = Infinity): number {
  const n = 4096;
  let mean = 0;
  for (const v of x) mean += v / x.length;
  let power = 0;
  let segments = 0;
  let w2 = 0;
  for (let i = 0; i < n; i++) w2 += (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n)) ** 2;
  for (let s = 0; s + n <= x.length; s += n / 2, segments++) {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let i = 0; i < n; i++) re[i] = (x[s + i] - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
    fft(re, im);
    for (let k = 1; k < n / 2; k++) {
      const f = (k * fs) / n;
      if (f >= loHz && f < hiHz) power += (2 * (re[k] ** 2 + im[k] ** 2)) / (n * w2);
    }
  }
  return power / segments;
}

const db = (r: number) => 10 * Math.log10(r);

test('CWRU normal (48 kHz) and fault (12 kHz) records: no energy left above the band limit', (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const records: [string, number][] = [['97_DE.f32', 48_000], ['105_DE.f32', 12_000], ['118_DE.f32', 12_000], ['130_DE.f32', 12_000]];
  for (const [file, rate] of records) {
    const raw = decodeF32LE(readFileSync(path.join(dir, file)));
    const y = resample(raw, { inRateHz: rate, outRateHz: 12_000, cutoffHz: BAND_LIMIT });
    const stop = 1.1 * BAND_LIMIT;
    const before = db(bandPower(raw, rate, stop) / bandPower(raw, rate, 0));
    const after = db(bandPower(y, 12_000, stop) / bandPower(y, 12_000, 0));
    // Raw records do carry energy there (that is the shortcut), so this test can fail.
    assert.ok(before > -40, `${file}: raw ${before.toFixed(1)} dB above ${stop} Hz`);
    assert.ok(after < -55, `${file}: ${after.toFixed(1)} dB above ${stop} Hz after the band limit`);
    // The passband is untouched: the power below 0.9×cutoff is the same before and after.
    const kept = db(bandPower(y, 12_000, 50, 0.9 * BAND_LIMIT) / bandPower(raw, rate, 50, 0.9 * BAND_LIMIT));
    assert.ok(Math.abs(kept) < 0.2, `${file}: passband power changed by ${kept.toFixed(3)} dB`);
  }
});

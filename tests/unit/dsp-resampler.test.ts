// The band-limit filter is what makes recordings at different rates look alike to the model
// (src/dsp/resampler.ts): these tests measure its response on real sines at every supported rate.
import test from 'node:test';
import assert from 'node:assert/strict';
import { designResampler, resample, resampledLength, StreamingResampler, type ResampleSpec } from '../../src/dsp/resampler.js';
import { isDrsndError } from '../../src/errors.js';

const OUT = 12_000;
const CUT = 4_800;
const RATES = [48_000, 25_600, 20_000, 12_800, 12_000];

function sine(f: number, fs: number, n: number, phase = 0.3): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(2 * Math.PI * f * i / fs + phase);
  return x;
}

/** Amplitude of the component at f (single DFT bin, Hann-free: whole record, edges trimmed). */
function amplitudeAt(y: Float32Array, f: number, fs: number, trim: number): number {
  let re = 0;
  let im = 0;
  let n = 0;
  for (let i = trim; i < y.length - trim; i++) {
    re += y[i] * Math.cos(2 * Math.PI * f * i / fs);
    im += y[i] * Math.sin(2 * Math.PI * f * i / fs);
    n++;
  }
  return (2 * Math.hypot(re, im)) / n;
}

/** RMS gain in dB of the steady-state part of y for a unit-amplitude sine input. */
function gainDb(y: Float32Array, trim: number): number {
  let s = 0;
  let n = 0;
  for (let i = trim; i < y.length - trim; i++) {
    s += y[i] * y[i];
    n++;
  }
  return 20 * Math.log10(Math.sqrt(s / n) * Math.SQRT2);
}

for (const inRate of RATES) {
  const spec: ResampleSpec = { inRateHz: inRate, outRateHz: OUT, cutoffHz: CUT };

  test(`${inRate} Hz → 12 kHz: passband flat within ±0.1 dB up to 0.9×cutoff`, () => {
    for (const f of [50, 500, 1500, 3000, 4000, 0.9 * CUT]) {
      const y = resample(sine(f, inRate, inRate / 2), spec);
      const db = gainDb(y, 200);
      assert.ok(Math.abs(db) <= 0.1, `${f} Hz: gain ${db.toFixed(3)} dB`);
    }
  });

  test(`${inRate} Hz → 12 kHz: ≤ −60 dB from 1.1×cutoff up to the input Nyquist`, () => {
    const freqs = [1.1 * CUT, 5_500, 5_900, 6_500, 8_000, 11_000, inRate / 2 - 100].filter((f) => f < inRate / 2);
    for (const f of freqs) {
      const y = resample(sine(f, inRate, inRate / 2), spec);
      const db = gainDb(y, 200);
      assert.ok(db <= -60, `${f} Hz: gain ${db.toFixed(1)} dB`);
    }
  });

  if (inRate > OUT) {
    test(`${inRate} Hz → 12 kHz: tones above the new Nyquist do not alias into the band`, () => {
      // A tone at f aliases to |f − k·12000|; pick tones whose alias lands in the passband.
      for (const alias of [1_000, 3_000, 4_500]) {
        for (const f of [OUT - alias, OUT + alias].filter((v) => v < inRate / 2)) {
          const y = resample(sine(f, inRate, inRate / 2), spec);
          const a = amplitudeAt(y, alias, OUT, 200);
          assert.ok(20 * Math.log10(a) <= -60, `${f} Hz → alias at ${alias} Hz: ${(20 * Math.log10(a)).toFixed(1)} dB`);
        }
      }
    });
  }

  test(`${inRate} Hz → 12 kHz: streaming in random chunks equals offline after the delay`, () => {
    const n = Math.round(inRate * 0.37) + 7;
    const x = new Float32Array(n);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    for (let i = 0; i < n; i++) x[i] = rnd() + 0.5 * Math.sin(i / 7);
    const offline = resample(x, spec);
    assert.equal(offline.length, resampledLength(n, spec));

    const r = new StreamingResampler(spec);
    const parts: Float32Array[] = [];
    let pos = 0;
    const sizes = [1, 0, 2, 3, 17, 1000, 4096, 5, 999];
    for (let k = 0; pos < n; k++) {
      const size = Math.min(n - pos, sizes[k % sizes.length] + Math.floor((rnd() + 0.5) * 300));
      parts.push(r.push(x.subarray(pos, pos + size)));
      pos += size;
    }
    const streamed = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    const d = r.delaySamples;
    assert.ok(Number.isInteger(d) && d > 0);
    const overlap = streamed.length - d;
    assert.ok(overlap > offline.length - 2 * d - 2, `streamed ${streamed.length}, offline ${offline.length}`);
    for (let m = 0; m < overlap; m++) {
      assert.ok(Math.abs(streamed[m + d] - offline[m]) <= 1e-6, `sample ${m}: ${streamed[m + d]} vs ${offline[m]}`);
    }

    // After reset the resampler behaves as new.
    r.reset();
    const again = r.push(x);
    const fresh = new StreamingResampler(spec).push(x);
    assert.deepEqual(again, fresh);
  });
}

for (const cutoffHz of [4_800, 3_700]) {
  test(`12 kHz → 12 kHz at ${cutoffHz} Hz: FFT and direct paths both equal plain convolution, chunk by chunk`, () => {
    // Long pushes go through FFT overlap-save blocks, short ones and tails through the direct form
    // (src/dsp/fft-filter.ts): whatever the chunking, every output must be Σ h[i]·x[t − i] in float64.
    const spec = { inRateHz: 12_000, outRateHz: 12_000, cutoffHz };
    const r = new StreamingResampler(spec);
    const { taps, phases, fft } = designResampler(spec);
    assert.ok(fft && fft.block > 128, 'the design has an FFT form with blocks longer than the direct-path limit');
    let seed = 987654321;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    // Below, at and just above the direct/FFT switch (128) and the block length, several blocks, buffer growth.
    const sizes = [1, 7, 0, 127, 128, 129, 3, fft.block - 1, fft.block, fft.block + 1, 1024, 2 * fft.block + 5, 64, 4096, 5000, 2];

    const run = (label: string) => {
      const x: number[] = [];
      const y: number[] = [];
      for (const size of sizes) {
        const chunk = new Float32Array(size);
        for (let i = 0; i < size; i++) chunk[i] = rnd() + 0.7 * Math.sin((x.length + i) * 0.05);
        const out = r.push(chunk);
        assert.equal(out.length, size, `${label}: one output per input, at once`);
        x.push(...chunk);
        y.push(...out);
      }
      const peak = Math.max(...x.map(Math.abs));
      for (let t = 0; t < x.length; t++) {
        let want = 0;
        for (let i = 0; i < taps && i <= t; i++) want += phases[i] * x[t - i];
        assert.ok(Math.abs(y[t] - want) <= 1e-5 * peak, `${label} sample ${t}: ${y[t]} vs ${want}`);
      }
    };
    run('first stream');
    // reset() mid-stream: the second stream starts from silence, with no trace of the first.
    r.reset();
    run('after reset');
  });
}

test('output length is round(n·out/in) for awkward lengths and rates', () => {
  for (const [inRateHz, outRateHz] of [[48_000, 12_000], [25_600, 12_000], [44_100, 12_000], [8_000, 12_000], [12_000, 12_000]]) {
    for (const n of [0, 1, 2, 3, 7, 101, 1023, 4801]) {
      const spec = { inRateHz, outRateHz, cutoffHz: Math.min(4_000, inRateHz / 2) };
      assert.equal(resample(new Float32Array(n), spec).length, Math.round((n * outRateHz) / inRateHz), `${inRateHz}→${outRateHz}, n=${n}`);
    }
  }
});

test('offline output is delay-compensated: a tone keeps its phase', () => {
  // 1 kHz sine at 48 kHz: output sample m must equal sin(2π·1000·m/12000 + φ).
  const y = resample(sine(1000, 48_000, 48_000, 0.3), { inRateHz: 48_000, outRateHz: OUT, cutoffHz: CUT });
  for (let m = 200; m < y.length - 200; m += 37) {
    assert.ok(Math.abs(y[m] - Math.sin(2 * Math.PI * 1000 * m / OUT + 0.3)) < 2e-3, `m=${m}`);
  }
});

test('upsampling (8 kHz → 12 kHz) rejects the images above the input Nyquist', () => {
  const spec = { inRateHz: 8_000, outRateHz: OUT, cutoffHz: 3_500 };
  const y = resample(sine(3_000, 8_000, 8_000), spec);
  assert.ok(Math.abs(gainDb(y, 200)) < 0.1);
  // The image of 3 kHz sits at 8000 − 3000 = 5000 Hz.
  assert.ok(20 * Math.log10(amplitudeAt(y, 5_000, OUT, 200)) < -60);
});

test('same rate with cutoff at Nyquist is the identity', () => {
  const x = sine(1234, 12_000, 500);
  assert.deepEqual(resample(x, { inRateHz: 12_000, outRateHz: 12_000, cutoffHz: 6_000 }), x);
});

test('absurd or invalid specs throw a DrsndError', () => {
  const bad: ResampleSpec[] = [
    { inRateHz: 12_000, outRateHz: 12_001, cutoffHz: 4_000 }, // ratio 12001/12000
    { inRateHz: 12_000.5, outRateHz: 12_000, cutoffHz: 4_000 },
    { inRateHz: 0, outRateHz: 12_000, cutoffHz: 4_000 },
    { inRateHz: 48_000, outRateHz: 12_000, cutoffHz: 7_000 }, // above the output Nyquist
    { inRateHz: 48_000, outRateHz: 12_000, cutoffHz: 0 },
  ];
  for (const spec of bad) assert.throws(() => new StreamingResampler(spec), (e) => isDrsndError(e, 'DRSND_CONFIG_INVALID'), JSON.stringify(spec));
});

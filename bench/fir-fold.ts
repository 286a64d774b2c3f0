// Equal-rate band-limit filter (src/dsp/resampler.ts): StreamingResampler.push, which runs long
// pushes through FFT overlap-save blocks (src/dsp/fft-filter.ts), against the direct folded FIR it
// replaced for them (kept below as the reference: symmetric taps, paired inputs, half the multiplies).
// Prints, per cutoff, max |difference| relative to the signal's peak and the median throughput of
// interleaved runs (the two alternate, so a busy machine slows both alike).
// Run: npm run build && node dist/bench/fir-fold.js [reps=7] [frame=1024]
// Measured 2026-11-28 on 2 cores shared with a training job (median of 5 runs of 7 interleaved reps,
// samples/s): frame 1024: 57 taps (4.8 kHz) direct 15.8 M → 28.4 M (2.0x), 75 taps (3.7 kHz)
// 9.0 M → 32.1 M (3.5x); frame 4096 (one run): 14.6 → 49.6 M (3.4x), 10.1 → 44.8 M (4.4x). A 1024
// frame is two 456-output FFT blocks plus a 112-output direct tail, hence less than the FFT's best.
import { designResampler, StreamingResampler } from '../src/dsp/resampler.js';

const reps = Number(process.argv[2] ?? 7);
const FRAME = Number(process.argv[3] ?? 1024);
const FRAMES = 50;

/** Same-rate streaming FIR with folded symmetric taps (the direct form). */
function folded(h: Float32Array): (x: Float32Array) => Float32Array {
  const T = h.length;
  const hist = T - 1;
  const c = (T - 1) / 2;
  const buf = new Float32Array(hist + FRAME);
  return (x) => {
    buf.set(x, hist);
    const out = new Float32Array(x.length);
    for (let n = 0; n < x.length; n++) {
      const newest = hist + n;
      const oldest = newest - (T - 1);
      let a0 = h[c] * buf[newest - c];
      let a1 = 0;
      let i = 0;
      for (; i + 1 < c; i += 2) {
        a0 += h[i] * (buf[newest - i] + buf[oldest + i]);
        a1 += h[i + 1] * (buf[newest - i - 1] + buf[oldest + i + 1]);
      }
      for (; i < c; i++) a0 += h[i] * (buf[newest - i] + buf[oldest + i]);
      out[n] = a0 + a1;
    }
    buf.copyWithin(0, x.length, x.length + hist);
    return out;
  };
}

const x = new Float32Array(FRAME * FRAMES).map((_, i) => Math.sin(i * 0.3) + 0.5 * Math.sin(i * 2.1) + ((i * 7919) % 1000) / 1000 - 0.5);
const frames = Array.from({ length: FRAMES }, (_, k) => x.subarray(k * FRAME, (k + 1) * FRAME));
const peak = x.reduce((a, v) => Math.max(a, Math.abs(v)), 0);

/** Input samples per second over ~0.5 s. */
function rate(fn: (f: Float32Array) => unknown): number {
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < 500) {
    for (const f of frames) fn(f);
    n += FRAMES * FRAME;
  }
  return n / ((performance.now() - t) / 1000);
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];

const results = [];
for (const cutoffHz of [4800, 3700]) {
  const spec = { inRateHz: 12_000, outRateHz: 12_000, cutoffHz };
  const d = designResampler(spec);
  const h = d.phases;
  for (let i = 0; i < d.taps; i++) if (h[i] !== h[d.taps - 1 - i]) throw new Error('taps are not symmetric');
  const ref = new StreamingResampler(spec);
  const fold = folded(h);
  let maxDiff = 0;
  for (const f of frames) {
    const a = ref.push(f);
    const b = fold(f);
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  for (let k = 0; k < 400; k++) {
    ref.push(frames[k % FRAMES]);
    fold(frames[k % FRAMES]);
  }
  const direct: number[] = [];
  const streaming: number[] = [];
  for (let r = 0; r < reps; r++) {
    direct.push(rate(fold));
    streaming.push(rate((f) => ref.push(f)));
  }
  const [dm, sm] = [median(direct), median(streaming)];
  results.push({
    cutoffHz,
    taps: d.taps,
    fftBlock: d.fft?.block,
    maxAbsDiffOverPeak: maxDiff / peak,
    medianSamplesPerSec: { directFolded: Math.round(dm), streamingResampler: Math.round(sm) },
    speedup: Math.round((sm / dm) * 100) / 100,
  });
}
console.log(JSON.stringify({ frame: FRAME, reps, results }, null, 2));

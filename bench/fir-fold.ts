// Proposal check for src/dsp/resampler.ts (not ours): at equal rates (12 kHz sensors) the band-limit
// filter is a plain linear-phase FIR, whose taps are symmetric, so pairing samples first halves the
// multiplies. Prints max |difference| against StreamingResampler and both throughputs.
// Run: npm run build && node dist/bench/fir-fold.js
import { designResampler, StreamingResampler } from '../src/dsp/resampler.js';

const spec = { inRateHz: 12_000, outRateHz: 12_000, cutoffHz: 4800 };
const d = designResampler(spec);
const h = d.phases;
const T = d.taps;
const hist = T - 1;
const c = (T - 1) / 2;
for (let i = 0; i < T; i++) if (h[i] !== h[T - 1 - i]) throw new Error('taps are not symmetric');

/** Same-rate streaming FIR with folded symmetric taps (the proposal). */
function folded(): (x: Float32Array) => Float32Array {
  const buf = new Float32Array(hist + 4096);
  return (x) => {
    buf.set(x, hist);
    const out = new Float32Array(x.length);
    for (let n = 0; n < x.length; n++) {
      const newest = hist + n;
      const oldest = newest - (T - 1);
      let a0 = h[c] * buf[newest - c];
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let i = 0;
      for (; i + 3 < c; i += 4) {
        a0 += h[i] * (buf[newest - i] + buf[oldest + i]);
        a1 += h[i + 1] * (buf[newest - i - 1] + buf[oldest + i + 1]);
        a2 += h[i + 2] * (buf[newest - i - 2] + buf[oldest + i + 2]);
        a3 += h[i + 3] * (buf[newest - i - 3] + buf[oldest + i + 3]);
      }
      for (; i < c; i++) a0 += h[i] * (buf[newest - i] + buf[oldest + i]);
      out[n] = a0 + a1 + (a2 + a3);
    }
    buf.copyWithin(0, x.length, x.length + hist);
    return out;
  };
}

const x = new Float32Array(1024 * 50).map((_, i) => Math.sin(i * 0.3) + 0.5 * Math.sin(i * 2.1) + ((i * 7919) % 1000) / 1000 - 0.5);
const frames = Array.from({ length: 50 }, (_, k) => x.subarray(k * 1024, (k + 1) * 1024));
const ref = new StreamingResampler(spec);
const fold = folded();
let maxDiff = 0;
for (const f of frames) {
  const a = ref.push(f);
  const b = fold(f);
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
}
const rate = (fn: (f: Float32Array) => unknown): number => {
  for (let k = 0; k < 400; k++) fn(frames[k % 50]);
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < 2000) {
    for (const f of frames) fn(f);
    n += frames.length * 1024;
  }
  return Math.round(n / ((performance.now() - t) / 1000));
};
const current = rate((f) => ref.push(f));
const proposal = rate(fold);
console.log(JSON.stringify({ taps: T, maxAbsDiff: maxDiff, samplesPerSec: { streamingResampler: current, foldedSymmetric: proposal }, speedup: Math.round((proposal / current) * 100) / 100 }));

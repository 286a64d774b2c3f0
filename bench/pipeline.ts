// Micro-benchmark (not a test): resampler and windowing throughput in input samples per second.
// Run: npx tsx bench/pipeline.ts [seconds-of-signal]   — prints one JSON object.
import { from, lastValueFrom, count } from 'rxjs';
import { StreamingResampler } from '../src/dsp/resampler.js';
import { windowFrames } from '../src/pipeline/window.js';
import { resampleFrames } from '../src/pipeline/resample.js';
import type { Frame } from '../src/types.js';

const seconds = Number(process.argv[2] ?? 5);
const FRAME = 1024;

function signal(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.01) + 0.1 * Math.sin(i * 1.3);
  return x;
}

/** Seconds per call of fn. */
function timeIt(fn: () => void): number {
  // Warm-up: let the JIT compile the hot loops before measuring. One call is not enough: 5 s at 12 kHz
  // is a few ms of work, while optimizing the FFT filter's functions takes 10–20 ms of a background
  // thread on a busy machine, so a single warm-up call measured mostly the interpreter.
  for (const t = performance.now(); performance.now() - t < 300; ) fn();
  let calls = 0;
  const t = performance.now();
  while (calls === 0 || performance.now() - t < 200) {
    fn();
    calls++;
  }
  return (performance.now() - t) / 1000 / calls;
}

function resamplerRate(inRateHz: number, cutoffHz = 4800): number {
  const n = inRateHz * seconds;
  const x = signal(n);
  const r = new StreamingResampler({ inRateHz, outRateHz: 12_000, cutoffHz });
  const s = timeIt(() => {
    r.reset();
    for (let p = 0; p < n; p += FRAME) r.push(x.subarray(p, Math.min(n, p + FRAME)));
  });
  return Math.round(n / s);
}

function frames(rateHz: number, n: number, channels: number): Frame[] {
  const x = signal(n);
  const out: Frame[] = [];
  for (let p = 0; p < n; p += FRAME) {
    const c = x.subarray(p, Math.min(n, p + FRAME));
    out.push({ sensorId: 'b', t0: (p * 1000) / rateHz, rateHz, unit: 'g', axes: Array.from({ length: channels }, (_, i) => `a${i}`), channels: Array(channels).fill(c) });
  }
  return out;
}

async function opRate(rateHz: number, build: () => import('rxjs').OperatorFunction<Frame, unknown>): Promise<number> {
  const n = rateHz * seconds;
  const input = frames(rateHz, n, 3);
  await lastValueFrom(from(input).pipe(build(), count()));
  const t = performance.now();
  await lastValueFrom(from(input).pipe(build(), count()));
  return Math.round((3 * n) / ((performance.now() - t) / 1000));
}

const result = {
  unit: 'input samples/s (one core)',
  signalSeconds: seconds,
  resampler: {
    ...Object.fromEntries([48_000, 25_600, 20_000, 12_800, 12_000].map((r) => [`${r}->12000`, resamplerRate(r)])),
    // A narrower band limit (a model at 3.7 kHz) needs a longer filter: ~74 taps instead of 57.
    '12000->12000@3700': resamplerRate(12_000, 3700),
  },
  windowOperator3ch: await opRate(12_000, () => windowFrames({ asset: 'a', windowLength: 2048, hop: 1024 })),
  resampleOperator3ch25600: await opRate(25_600, () => resampleFrames({ outRateHz: 12_000, cutoffHz: 4800 })),
};
console.log(JSON.stringify(result, null, 2));

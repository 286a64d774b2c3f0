import { isoTime } from '../src/util/iso-time.js';
const N = 2_000_000; let x = 0;
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now(); for (let i = 0; i < N; i++) x += new Date(1.8e12 + i * 0.3).toISOString().length; const a = performance.now() - t0;
  t0 = performance.now(); for (let i = 0; i < N; i++) x += isoTime(1.8e12 + i * 0.3).length; const b = performance.now() - t0;
  console.log(`toISOString ${(a * 1000 / N).toFixed(3)} µs, isoTime ${(b * 1000 / N).toFixed(3)} µs`);
}

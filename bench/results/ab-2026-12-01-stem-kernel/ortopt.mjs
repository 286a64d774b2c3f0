// One-off for models/drsn-cw-cwru/comparison/stem-kernel.md: onnxruntime alone, one thread, session-option variants.
// Run from the project root: node bench/results/ab-2026-12-01-stem-kernel/ortopt.mjs MODEL.onnx batch calls base|daz|nopattern|noarena
import ort from 'onnxruntime-node';
const [model, bs, calls, variant] = process.argv.slice(2);
const B = Number(bs), iters = Number(calls);
const base = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };
const variants = {
  base: {},
  daz: { extra: { session: { set_denormal_as_zero: '1' } } },
  nopattern: { enableMemPattern: false },
  noarena: { enableCpuMemArena: false },
};
const s = await ort.InferenceSession.create(model, { ...base, ...variants[variant] });
// Synthetic z-score-like windows (sum of three uniforms): throughput does not depend on the values.
const x = new ort.Tensor('float32', Float32Array.from({ length: B * 2048 }, () => (Math.random() + Math.random() + Math.random() - 1.5) * 2), [B, 1, 2048]);
for (let i = 0; i < 30; i++) await s.run({ x });
const t0 = performance.now();
for (let i = 0; i < iters; i++) await s.run({ x });
const dt = performance.now() - t0;
console.log(`${variant} batch ${B}: ${(iters * B / dt * 1000).toFixed(0)} windows/s`);

// One-off used for BENCHMARKS.md item 10: per-op onnxruntime profile / single-thread throughput of a model.onnx.
// Run from the project root: node bench/results/ab-2026-11-30-soft-threshold/ortprof.mjs MODEL.onnx [batch] [calls] [prof]
import ort from 'onnxruntime-node';
import fs from 'node:fs';
const model = process.argv[2] ?? 'models/drsn-cw-cwru/model.onnx';
const B = Number(process.argv[3] ?? 16), iters = Number(process.argv[4] ?? 300);
const prof = process.argv[5] === 'prof';
const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', enableProfiling: prof, profileFilePrefix: '/tmp/ortprof' });
const x = new ort.Tensor('float32', Float32Array.from({ length: B * 2048 }, () => Math.random() * 2 - 1), [B, 1, 2048]);
for (let i = 0; i < 30; i++) await s.run({ x });
const t0 = performance.now();
for (let i = 0; i < iters; i++) await s.run({ x });
const dt = performance.now() - t0;
console.log(`${model} batch ${B}: ${(iters * B / dt * 1000).toFixed(0)} windows/s, ${(dt / iters).toFixed(3)} ms/call`);
if (prof) {
  s.endProfiling?.(); await s.release(); const f = fs.readdirSync("/tmp").filter(n=>n.startsWith("ortprof_")).map(n=>"/tmp/"+n).sort().pop();
  const ev = JSON.parse(fs.readFileSync(f, 'utf8'));
  const by = {};
  let tot = 0;
  for (const e of ev) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) { const k = e.args.op_name; by[k] = (by[k] ?? 0) + e.dur; tot += e.dur; }
  for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1])) console.log(k.padEnd(24), (v / tot * 100).toFixed(1) + '%', (v / (iters + 30)).toFixed(1), 'us/call');
  console.log('total kernel us/call', (tot / (iters + 30)).toFixed(0));
}

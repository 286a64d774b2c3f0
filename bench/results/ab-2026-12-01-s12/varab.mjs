import ort from '../../../node_modules/onnxruntime-node/dist/index.js';
import { readFileSync } from 'node:fs';
const ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, ''); // the repository
const ref = readFileSync(`${ROOT}/models/drsn-cw-cwru/reference.bin`);
const inputs = new Float32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + 40960 * 4));
const B = Number(process.argv[2] ?? 64), CALLS = Number(process.argv[3] ?? 100), ROUNDS = Number(process.argv[4] ?? 4);
const names = (process.argv[5] ?? 'base,v1,v2,v3,v4').split(',');
const x = new Float32Array(B * 2048);
for (let i = 0; i < B; i++) x.set(inputs.subarray((i % 20) * 2048, (i % 20 + 1) * 2048), i * 2048);
const opts = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', executionProviders: ['cpu'] };
const sessions = {};
for (const k of names) sessions[k] = await ort.InferenceSession.create(`/tmp/drsnd-variants/${k}/model.onnx`, opts);
const t = new ort.Tensor('float32', x, [B, 1, 2048]);
const out0 = (await sessions.base.run({ x: t })).probs.data;
for (const k of names) { const o = (await sessions[k].run({ x: t })).probs.data; let m = 0; for (let i = 0; i < o.length; i++) m = Math.max(m, Math.abs(o[i] - out0[i])); console.log(k, 'max |dp| vs base', m.toExponential(2)); }
// Fine-grained interleaving: blocks of CALLS calls, variants rotated every block, so drift hits all alike.
const time = Object.fromEntries(names.map((k) => [k, 0]));
const calls = Object.fromEntries(names.map((k) => [k, 0]));
const perRound = Object.fromEntries(names.map((k) => [k, []]));
for (const k of names) for (let i = 0; i < 5; i++) (await sessions[k].run({ x: t })).probs.dispose();
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, j) => names[(j + r) % names.length]);
  for (const k of order) {
    const s = sessions[k];
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) (await s.run({ x: t })).probs.dispose();
    const dt = performance.now() - t0;
    time[k] += dt; calls[k] += CALLS; perRound[k].push(dt);
  }
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const rate = (k) => Math.round(B * calls[k] / (time[k] / 1000));
for (const k of names) {
  const ratios = perRound[k].map((dt, r) => perRound.base[r] / dt);
  console.log(k.padEnd(6), 'rate', rate(k), 'vs base', (rate(k) / rate('base')).toFixed(3), 'per-block ratio median', med(ratios).toFixed(3), 'min', Math.min(...ratios).toFixed(3), 'max', Math.max(...ratios).toFixed(3));
}

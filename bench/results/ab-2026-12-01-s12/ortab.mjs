// Engine alone, one thread, alternating session-option variants: does any ORT option help?
import ort from '../../../node_modules/onnxruntime-node/dist/index.js';
import { readFileSync } from 'node:fs';
const ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, ''); // the repository
const dir = `${ROOT}/models/drsn-cw-cwru`;
const ref = readFileSync(`${dir}/reference.bin`);
const inputs = new Float32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + 40960 * 4));
const B = Number(process.argv[2] ?? 64), CALLS = Number(process.argv[3] ?? 100), ROUNDS = Number(process.argv[4] ?? 4);
const x = new Float32Array(B * 2048);
for (let i = 0; i < B; i++) x.set(inputs.subarray((i % 20) * 2048, (i % 20 + 1) * 2048), i * 2048);
const base = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', executionProviders: ['cpu'] };
const variants = {
  base,
  daz: { ...base, extra: { session: { set_denormal_as_zero: '1' } } },
  noArena: { ...base, enableCpuMemArena: false },
  noMemPattern: { ...base, enableMemPattern: false },
};
const sessions = {};
for (const [k, o] of Object.entries(variants)) sessions[k] = await ort.InferenceSession.create(`${dir}/model.onnx`, o);
const t = new ort.Tensor('float32', x, [B, 1, 2048]);
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  const keys = Object.keys(variants);
  const order = r % 2 ? keys.reverse() : keys;
  for (const k of order) {
    const s = sessions[k];
    for (let i = 0; i < 5; i++) (await s.run({ x: t })).probs.dispose();
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) (await s.run({ x: t })).probs.dispose();
    res[k].push(Math.round(B * CALLS / ((performance.now() - t0) / 1000)));
  }
}
for (const [k, v] of Object.entries(res)) { const s = [...v].sort((a, b) => a - b); console.log(k.padEnd(14), v.join(' '), 'median', s[Math.floor(s.length / 2)]); }

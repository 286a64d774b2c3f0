import ort from '../../../node_modules/onnxruntime-node/dist/index.js';
import { readFileSync, readdirSync } from 'node:fs';
const ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, ''); // the repository
const dir = process.argv[3] ?? `${ROOT}/models/drsn-cw-cwru`;
const ref = readFileSync(`${dir}/reference.bin`);
const inputs = new Float32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + 40960 * 4));
const B = Number(process.argv[2] ?? 64);
const x = new Float32Array(B * 2048);
for (let i = 0; i < B; i++) x.set(inputs.subarray((i % 20) * 2048, (i % 20 + 1) * 2048), i * 2048);
const s = await ort.InferenceSession.create(`${dir}/model.onnx`, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, executionMode: 'sequential', enableProfiling: true, profileFilePrefix: '/tmp/drsnd-ortprof', optimizedModelFilePath: '/tmp/drsnd-opt.onnx' });
const t = new ort.Tensor('float32', x, [B, 1, 2048]);
for (let i = 0; i < 100; i++) (await s.run({ x: t })).probs.dispose();
s.endProfiling();

// Single-thread A/B of native builds (run from .scratch/ inside the repo: npx tsx .scratch/native-ab.mts DIR...; each DIR built by DRSND_NATIVE_OUT=DIR DRSND_NATIVE_CFLAGS=... node native/build.mjs). Batch 64, 5 rounds of 0.6 s per build, interleaved.
import { loadModel } from '../src/model/metadata.js';
import { createNativeEngine } from '../src/model/engines/native.js';
import { readReference, maxAbsDiff } from '../tests/helpers/model-fixture.js';
const dir = 'models/drsn-cw-cwru';
const { meta } = await loadModel(dir);
const ref = readReference(dir);
const engines = await Promise.all(process.argv.slice(2).map((b) => createNativeEngine({ modelDir: dir, meta, buildDir: b })));
const x = new Float32Array(64 * 2048); for (let i = 0; i < x.length; i++) x[i] = ref.inputs[i % ref.inputs.length];
for (const [i, e] of engines.entries()) console.log(process.argv[2 + i], 'diff', maxAbsDiff(await e.run(ref.inputs, ref.count), ref.probs).toExponential(2));
const res: number[][] = engines.map(() => []);
for (let r = 0; r < 5; r++) for (const [i, e] of engines.entries()) {
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 600) { await e.run(x, 64); n += 64; }
  res[i].push(n / ((performance.now() - t0) / 1000));
}
for (const [i, r] of res.entries()) { r.sort((a, b) => a - b); console.log(process.argv[2 + i], 'median w/s', Math.round(r[2]), 'min', Math.round(r[0]), 'max', Math.round(r[4])); }

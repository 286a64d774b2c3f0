// Runs inside the (emulated) ARM Node of bench/arm.ts: every shipped model through the native engine
// of one build folder, against the PyTorch probabilities stored beside it (reference.json/.bin), then
// one thread's throughput on those windows. Prints one JSON line. Needs no other native package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNativeEngine, loadNativeAddon } from '../src/model/engines/native.js';
import { loadModel } from '../src/model/metadata.js';
import { ROOT } from './lib/paths.js';

const { values: a } = parseArgs({ options: { 'build-dir': { type: 'string' }, seconds: { type: 'string', default: '3' } } });
if (!a['build-dir']) throw new Error('usage: arm-check --build-dir DIR [--seconds S]');
const buildDir = path.resolve(a['build-dir']);
const seconds = Number(a.seconds);

function reference(dir: string): { count: number; inputs: Float32Array; probs: Float32Array } {
  const doc = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8'));
  const buf = readFileSync(path.join(dir, doc.file));
  const at = (s: { offset: number; length: number }) => new Float32Array(buf.buffer.slice(buf.byteOffset + s.offset, buf.byteOffset + s.offset + s.length * 4));
  return { count: doc.count, inputs: at(doc.inputs), probs: at(doc.probs) };
}

loadNativeAddon(buildDir); // refuses, with the reason, an addon this CPU cannot run
const models: { id: string; windows: number; maxAbsDiff: number; windowsPerSecond: number }[] = [];
const modelsDir = path.join(ROOT, 'models');
for (const id of readdirSync(modelsDir).sort()) {
  const dir = path.join(modelsDir, id);
  if (!existsSync(path.join(dir, 'reference.json'))) continue;
  const { meta } = await loadModel(dir);
  const ref = reference(dir);
  const engine = await createNativeEngine({ modelDir: dir, meta, buildDir });
  try {
    const probs = await engine.run(ref.inputs, ref.count);
    let maxAbsDiff = 0;
    for (let i = 0; i < ref.probs.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(probs[i] - ref.probs[i]));
    let windows = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      await engine.run(ref.inputs, ref.count);
      windows += ref.count;
    }
    models.push({ id, windows: ref.count, maxAbsDiff, windowsPerSecond: Math.round(windows / ((performance.now() - start) / 1000)) });
  } finally {
    await engine.dispose();
  }
}
const info = JSON.parse(readFileSync(path.join(buildDir, 'drsn.json'), 'utf8'));
console.log(JSON.stringify({ arch: process.arch, node: process.version, cflags: info.cflags, models }));

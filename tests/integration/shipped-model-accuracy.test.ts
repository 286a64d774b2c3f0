// Regression test for the shipped models (issue 3): each folder in models/, run by the daemon's own ONNX
// engine on the test split of the CWRU data prepared by the daemon's own code (resampler, band
// limit, time split, window-zscore), must reach the clean accuracy its drsn.json reports. The
// trainer measured that number with PyTorch; agreement here proves preparation, export and engine
// all match what was evaluated. Skips visibly without the CWRU data.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';
import { loadCwruRecords } from '../../src/data/cwru.js';
import { prepareDataset, readPreparedRecord, type PreparedIndex } from '../../src/data/prepare.js';
import { CWRU_CLASSES } from '../../src/data/records.js';
import { createOnnxEngine } from '../../src/model/engines/onnx.js';
import { loadModel } from '../../src/model/metadata.js';
import { normalizeData } from '../../src/pipeline/normalize.js';
import { EnvelopeOrderSpectrum, revolutionSamples } from '../../src/physics/order-spectrum.js';
import { cwruDir, modelsDir, shippedModels } from '../helpers/data.js';

const shipped = shippedModels();
/** Float32 ONNX vs PyTorch can flip a window whose top two classes are within ~1e-6; allow 0.2 %. */
const TOLERANCE = 0.002;

/** Models with the same input spec share one prepared copy of the data (it takes seconds per copy). */
const preparedBySpec = new Map<string, { out: string; index: PreparedIndex }>();
let preparedRoot: string | undefined;
after(() => { if (preparedRoot) rmSync(preparedRoot, { recursive: true, force: true }); });

function prepared(cwru: string, sampleRateHz: number, bandLimitHz: number, windowLength: number): { out: string; index: PreparedIndex } {
  const key = `${sampleRateHz}/${bandLimitHz}/${windowLength}`;
  let hit = preparedBySpec.get(key);
  if (!hit) {
    preparedRoot ??= mkdtempSync(path.join(os.tmpdir(), 'drsnd-shipped-'));
    const out = path.join(preparedRoot, String(preparedBySpec.size));
    const index = prepareDataset(loadCwruRecords(cwru), CWRU_CLASSES, { outDir: out, sampleRateHz, bandLimitHz, windowLength, split: { train: 0.7, val: 0.15, test: 0.15 } });
    hit = { out, index };
    preparedBySpec.set(key, hit);
  }
  return hit;
}

for (const id of shipped) test(`shipped model ${id} reaches its reported clean test accuracy with the ONNX engine`, { timeout: 120_000 }, async (t) => {
  const MODEL_DIR = path.join(modelsDir, id);
  const cwru = cwruDir(t);
  if (!cwru) return;
  const { meta } = await loadModel(MODEL_DIR);
  const metrics = meta.metrics as { cleanAccuracy: number; testStride: number; split: string; testWindows: number };
  assert.equal(typeof metrics.cleanAccuracy, 'number', 'drsn.json reports metrics.cleanAccuracy');
  assert.match(metrics.split, /time-disjoint/);
  const { sampleRateHz, bandLimitHz, windowLength, representation: rep } = meta.input;
  if (rep) {
    await representationAccuracy(t, MODEL_DIR, cwru, metrics);
    return;
  }

  const { out, index } = prepared(cwru, sampleRateHz, bandLimitHz, windowLength);
  assert.deepEqual(meta.classes.map((c) => c.name), index.classes.map((c) => c.name));

  const engine = await createOnnxEngine({ modelDir: MODEL_DIR, meta, intraOpNumThreads: 1 });
  t.after(() => engine.dispose());
  const k = meta.classes.length;
  let correct = 0;
  let total = 0;
  const perClass = new Array<number>(k).fill(0);
  for (const rec of index.records) {
    const x = readPreparedRecord(out, rec);
    const [a, b] = rec.splits.test;
    const starts: number[] = [];
    for (let s = a; s + windowLength <= b; s += metrics.testStride) starts.push(s);
    const batch = new Float32Array(starts.length * windowLength);
    // The daemon's own normalization (src/pipeline/normalize.ts), as its workers apply it.
    starts.forEach((s, i) => normalizeData(x.subarray(s, s + windowLength), meta.normalization, batch.subarray(i * windowLength, (i + 1) * windowLength)));
    const probs = await engine.run(batch, starts.length);
    for (let i = 0; i < starts.length; i++) {
      const row = probs.subarray(i * k, (i + 1) * k);
      const pred = row.indexOf(Math.max(...row));
      if (pred === rec.label) correct++;
      else perClass[rec.label]++;
      total++;
    }
  }
  const acc = correct / total;
  t.diagnostic(`ONNX clean test accuracy ${(100 * acc).toFixed(3)} % on ${total} windows; reported ${(100 * metrics.cleanAccuracy).toFixed(3)} %; errors per class ${perClass.join(',')}`);
  assert.equal(total, metrics.testWindows, 'same test windows as the trainer evaluated');
  assert.ok(acc >= metrics.cleanAccuracy - TOLERANCE, `accuracy ${acc} below reported ${metrics.cleanAccuracy} - ${TOLERANCE}`);
});

/**
 * A model on the envelope-order spectrum: each test window is as long as its record's speed needs and goes
 * through the daemon's own representation code (src/physics/order-spectrum.ts) with the record's rpm and
 * bearing orders; classes are components, so CWRU's labels are mapped by component.
 */
async function representationAccuracy(t: import('node:test').TestContext, dir: string, cwru: string, metrics: { cleanAccuracy: number; testStride: number; testWindows: number }): Promise<void> {
  const { meta } = await loadModel(dir);
  const rep = meta.input.representation!;
  // Prepared as `drsnd train --input envelope-orders` prepares: the time-domain input's split minimum.
  const { out, index } = prepared(cwru, meta.input.sampleRateHz, meta.input.bandLimitHz, 2048);
  const componentIndex = new Map(meta.classes.map((c) => [c.kind === 'normal' ? 'normal' : c.component, c.index]));
  const eos = new EnvelopeOrderSpectrum(rep);
  const engine = await createOnnxEngine({ modelDir: dir, meta, intraOpNumThreads: 1 });
  t.after(() => engine.dispose());
  const k = meta.classes.length;
  let correct = 0;
  let total = 0;
  for (const rec of index.records) {
    assert.ok(rec.rpm && rec.faultOrders, `${rec.id}: the prepared record carries rpm and fault orders`);
    const cls = index.classes[rec.label];
    const want = componentIndex.get(cls.kind === 'normal' ? 'normal' : cls.component)!;
    const x = readPreparedRecord(out, rec);
    const shaftHz = rec.rpm / 60;
    const n = revolutionSamples(rep, meta.input.sampleRateHz, shaftHz);
    const [a, b] = rec.splits.test;
    const starts: number[] = [];
    for (let s = a; s + n <= b; s += metrics.testStride) starts.push(s);
    const batch = new Float32Array(starts.length * rep.bins);
    starts.forEach((s, i) => eos.compute(x.subarray(s, s + n), meta.input.sampleRateHz, shaftHz, rec.faultOrders!, batch.subarray(i * rep.bins, (i + 1) * rep.bins)));
    const probs = await engine.run(batch, starts.length);
    for (let i = 0; i < starts.length; i++) {
      const row = probs.subarray(i * k, (i + 1) * k);
      if (row.indexOf(Math.max(...row)) === want) correct++;
      total++;
    }
  }
  const acc = correct / total;
  t.diagnostic(`ONNX clean test accuracy ${(100 * acc).toFixed(3)} % on ${total} windows (envelope-order spectrum in TypeScript); reported ${(100 * metrics.cleanAccuracy).toFixed(3)} %`);
  assert.equal(total, metrics.testWindows, 'same test windows as the trainer evaluated');
  assert.ok(acc >= metrics.cleanAccuracy - TOLERANCE, `accuracy ${acc} below reported ${metrics.cleanAccuracy} - ${TOLERANCE}`);
}

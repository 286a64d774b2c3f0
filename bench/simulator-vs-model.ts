// How does the shipped model classify the built-in simulator? Measured, not assumed (README table).
// Generates `seconds` of each simulated condition at the sensor rates of config/default.yaml, runs it
// through the daemon's own per-sensor pipeline and normalization, classifies with onnxruntime, and
// prints the share of windows per class.   Run: npm run build && node dist/bench/simulator-vs-model.js [seconds] [modelDir]
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { BadInputCounter } from '../src/bad-input.js';
import { settingsSchema, type SensorSettings } from '../src/config/schema.js';
import { createAxisSimulators } from '../src/ingest/simulator-source.js';
import { createLogger } from '../src/log.js';
import { loadModel } from '../src/model/metadata.js';
import { createOnnxEngine } from '../src/model/engines/onnx.js';
import { normalizeData } from '../src/pipeline/normalize.js';
import { sensorPipeline } from '../src/pipeline/sensor-pipeline.js';
import type { Frame } from '../src/types.js';

const seconds = Number(process.argv[2] ?? 20);
const modelDir = path.resolve(process.argv[3] ?? 'models/drsn-cw-cwru');

const cases: Array<{ condition: 'normal' | 'inner_race' | 'outer_race' | 'ball'; severity: number; rateHz: number; unit: 'g' | 'm/s2'; rpm: number }> = [];
for (const condition of ['normal', 'outer_race', 'inner_race', 'ball'] as const) {
  for (const rateHz of [12000, 25600, 20000]) {
    for (const severity of condition === 'normal' ? [0] : [0.5, 1, 2]) cases.push({ condition, severity, rateHz, unit: 'g', rpm: 1797 });
  }
}

const { meta } = await loadModel(modelDir);
const engine = await createOnnxEngine({ modelDir, meta, intraOpNumThreads: 2 });
const log = createLogger('silent');
const rows: string[] = [];
rows.push(`| condition | severity | sensor rate | windows | ${meta.classes.map((c) => c.name).join(' | ')} | fault share |`);
rows.push(`|---|---|---|---|${meta.classes.map(() => '---').join('|')}|---|`);
for (const c of cases) {
  const sensor: SensorSettings = settingsSchema.parse({
    sensors: [{ id: 'sim', asset: 'a', rateHz: c.rateHz, unit: c.unit, source: { type: 'simulator', condition: c.condition, severity: c.severity || 1, rpm: c.rpm, seed: 11 } }],
  }).sensors[0]!;
  const [sim] = createAxisSimulators(sensor);
  const frames: Frame[] = [];
  const n = 1024;
  for (let i = 0; i * n < seconds * c.rateHz; i++) {
    frames.push({ sensorId: 'sim', t0: 1_700_000_000_000 + (i * n * 1000) / c.rateHz, rateHz: c.rateHz, unit: c.unit, axes: ['x'], channels: [sim!.next(n)] });
  }
  const windows = await lastValueFrom(from(frames).pipe(
    sensorPipeline({ sensor: { id: 'sim', asset: 'a', rateHz: c.rateHz, unit: c.unit, axes: ['x'] }, range: 500, model: meta, hop: null, gapTolerancePeriods: 2, badInput: new BadInputCounter(log) }),
    toArray(),
  ));
  const counts = new Array<number>(meta.classes.length).fill(0);
  const L = meta.input.windowLength;
  for (let i = 0; i < windows.length; i += 64) {
    const batch = windows.slice(i, i + 64);
    const flat = new Float32Array(batch.length * L);
    batch.forEach((w, j) => flat.set(normalizeData(w.data, meta.normalization), j * L));
    const probs = await engine.run(flat, batch.length);
    for (let j = 0; j < batch.length; j++) {
      let best = 0;
      for (let k = 1; k < meta.classes.length; k++) if (probs[j * meta.classes.length + k]! > probs[j * meta.classes.length + best]!) best = k;
      counts[best]!++;
    }
  }
  const pct = (x: number) => (x === 0 ? '·' : `${((100 * x) / windows.length).toFixed(0)}%`);
  const faultShare = counts.reduce((s, x, k) => s + (meta.classes[k]!.kind === 'fault' ? x : 0), 0);
  rows.push(`| ${c.condition} | ${c.condition === 'normal' ? '–' : c.severity} | ${c.rateHz / 1000} kHz | ${windows.length} | ${counts.map(pct).join(' | ')} | ${pct(faultShare)} |`);
}
await engine.dispose();
console.log(`Model ${meta.id} ${meta.version}; ${seconds} s per case, seed 11, 1797 rpm, 50% overlap.\n`);
console.log(rows.join('\n'));

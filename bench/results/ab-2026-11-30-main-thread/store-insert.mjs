// node ins.mjs VARIANT ROWS: µs per diagnosis row committed through the daemon's Store (batches of 175 rows, as at 300 ch with 50 ms batches).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../../dist/src/store/store.js';
import { createLogger } from '../../../dist/src/log.js';
const [variant = 'base', rowsArg = '300000', cacheArg] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sq-'));
const settings = { path: path.join(dir, 'd.db'), synchronous: 'NORMAL', batchMaxRows: 100000, batchMaxMs: 1e9, checkpoint: 'inline', retention: { maxAgeDays: 90, maxRows: 5000000, intervalSec: 3600, stepRows: 2000 } };
const store = new Store({ settings, log: createLogger('silent') });
await store.start();
const db = store['db'];
if (variant.includes('noclass')) db.exec('DROP INDEX diagnoses_class_time');
if (variant.includes('noasset')) db.exec('DROP INDEX diagnoses_asset_time');
if (cacheArg) db.pragma(`cache_size = ${cacheArg}`);
const classes = ['Normal', 'B007', 'B014', 'B021', 'IR007', 'IR014', 'IR021', 'OR007@6', 'OR014@6', 'OR021@6'];
const N = Number(rowsArg), B = 175, S = 300;
let t0 = Date.now() - 86400e3, k = 0;
const mk = (i) => { const c = (i * 7) % 10; const p = new Float32Array(10).fill(0.01); p[c] = 0.91;
  return { sensorId: `s${i % S}`, asset: `a${Math.floor((i % S) / 10)}`, channel: 'x', windowStart: t0 + i * 0.29, windowEnd: t0 + i * 0.29 + 170, classIndex: c, className: classes[c], kind: c ? 'fault' : 'normal', confidence: 0.91, probabilities: p, modelId: 'm', modelVersion: '1', latencyMs: 100 }; };
const times = [];
for (let b = 0; b < N / B; b++) {
  for (let j = 0; j < B; j++) store.enqueue(mk(k++));
  const s = process.hrtime.bigint();
  store.flush();
  times.push(Number(process.hrtime.bigint() - s) / 1e3);
}
const last = times.slice(Math.floor(times.length / 2)).sort((a, b) => a - b);
const mean = last.reduce((a, b) => a + b, 0) / last.length;
console.log(`${variant} cache=${cacheArg ?? 'default'} rows=${N}: second half µs/row mean ${(mean / B).toFixed(1)}, batch p50 ${(last[last.length >> 1] / 1000).toFixed(2)} ms p99 ${(last[Math.floor(last.length * 0.99)] / 1000).toFixed(2)} ms max ${(last[last.length - 1] / 1000).toFixed(1)} ms`);
await store.stop();
rmSync(dir, { recursive: true, force: true });

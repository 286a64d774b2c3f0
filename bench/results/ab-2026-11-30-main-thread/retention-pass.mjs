// node prune.mjs ROWS CAP STEP: fill a Store with ROWS diagnoses of 250 sensors, then time one retention pass down to CAP rows (per-step ms).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../../dist/src/store/store.js';
import { createLogger } from '../../../dist/src/log.js';
const [rowsArg = '1000000', capArg = '830000', stepArg = '2000'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sqp-'));
const settings = { path: path.join(dir, 'd.db'), synchronous: 'NORMAL', batchMaxRows: 100000, batchMaxMs: 1e9, checkpoint: 'inline', retention: { maxAgeDays: 90, maxRows: Number(capArg), intervalSec: 3600, stepRows: Number(stepArg) } };
const store = new Store({ settings, log: createLogger('silent') });
await store.start();
const classes = ['Normal', 'B007', 'B014', 'B021', 'IR007', 'IR014', 'IR021', 'OR007@6', 'OR014@6', 'OR021@6'];
const S = 250, B = 145, t0 = Date.now() - 3600e3;
let k = 0;
const mk = (i) => { const c = (i * 7) % 10; const p = new Float32Array(10).fill(0.01); p[c] = 0.91;
  return { sensorId: `s${i % S}`, asset: `a${Math.floor((i % S) / 10)}`, channel: 'x', windowStart: t0 + i * 0.35, windowEnd: t0 + i * 0.35 + 170, classIndex: c, className: classes[c], kind: c ? 'fault' : 'normal', confidence: 0.91, probabilities: p, modelId: 'm', modelVersion: '1', latencyMs: 100 }; };
const f0 = Date.now();
while (k < Number(rowsArg)) { for (let j = 0; j < B; j++) store.enqueue(mk(k++)); store.flush(); }
console.log(`filled ${k} rows in ${((Date.now() - f0) / 1000).toFixed(0)} s`);
// Time each step by watching the event loop: a setImmediate chain records the gaps the pass leaves.
let last = performance.now(); const gaps = []; let on = true;
const tick = () => { const t = performance.now(); gaps.push(t - last); last = t; if (on) setImmediate(tick); };
setImmediate(tick);
const p0 = performance.now();
const r = await store.prune();
on = false;
const ms = performance.now() - p0;
gaps.sort((a, b) => a - b);
console.log(`prune: ${r.byCount} rows in ${ms.toFixed(0)} ms; event-loop gaps: n ${gaps.length}, p50 ${gaps[gaps.length >> 1].toFixed(1)} p99 ${gaps[Math.floor(gaps.length * 0.99)].toFixed(1)} max ${gaps[gaps.length - 1].toFixed(1)} ms`);
await store.stop();
rmSync(dir, { recursive: true, force: true });

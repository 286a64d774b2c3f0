// Raw better-sqlite3 insert cost on the daemon's schema: named vs positional binding, indexes, WAL checkpoint inline.
import Database from '../../../node_modules/better-sqlite3/lib/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrations } from '../../../dist/src/store/migrations.js';
const [variant = 'named', N0 = '200000'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sqr-'));
const db = new Database(path.join(dir, 'd.db'));
const ps = /ps=(\d+)/.exec(variant); if (ps) db.pragma(`page_size = ${ps[1]}`);
db.pragma('journal_mode = WAL'); db.pragma(variant.includes('syncoff') ? 'synchronous = OFF' : 'synchronous = NORMAL');
if (variant.includes('noauto')) db.pragma('wal_autocheckpoint = 0');
const ac = /ac=(\d+)/.exec(variant); if (ac) db.pragma(`wal_autocheckpoint = ${ac[1]}`);
migrations[0](db);
if (variant.includes('noidx')) for (const i of ['diagnoses_class_time', 'diagnoses_asset_time', 'diagnoses_sensor_time', 'diagnoses_time']) db.exec(`DROP INDEX ${i}`);
const cols = 'sensor, asset, channel, window_start, window_end, class_index, class_name, kind, confidence, probabilities, model_id, model_version, latency_ms, created_at';
const named = db.prepare(`INSERT INTO diagnoses (${cols}) VALUES (@sensorId, @asset, @channel, @windowStart, @windowEnd, @classIndex, @className, @kind, @confidence, @probabilities, @modelId, @modelVersion, @latencyMs, @createdAt)`);
const pos = db.prepare(`INSERT INTO diagnoses (${cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
const classes = ['Normal', 'B007', 'B014', 'B021', 'IR007', 'IR014', 'IR021', 'OR007@6', 'OR014@6', 'OR021@6'];
const N = Number(N0), B = 175, S = 300, t0 = Date.now() - 86400e3;
const p = Buffer.from(new Float32Array(10).buffer);
const usePos = variant.includes('pos');
const tx = db.transaction((base) => {
  for (let j = 0; j < B; j++) {
    const i = base + j, c = (i * 7) % 10;
    const ws = Math.round(t0 + i * 0.29);
    if (usePos) pos.run(`s${i % S}`, `a${Math.floor((i % S) / 10)}`, 'x', ws, ws + 170, c, classes[c], c ? 'fault' : 'normal', 0.91, p, 'm', '1', 100, ws);
    else named.run({ sensorId: `s${i % S}`, asset: `a${Math.floor((i % S) / 10)}`, channel: 'x', windowStart: ws, windowEnd: ws + 170, classIndex: c, className: classes[c], kind: c ? 'fault' : 'normal', confidence: 0.91, probabilities: p, modelId: 'm', modelVersion: '1', latencyMs: 100, createdAt: ws });
  }
});
const times = [];
for (let b = 0; b < N / B; b++) { const s = process.hrtime.bigint(); tx(b * B); times.push(Number(process.hrtime.bigint() - s) / 1e3); }
const last = times.slice(times.length >> 1).sort((a, b) => a - b);
const mean = last.reduce((a, b) => a + b, 0) / last.length;
console.log(`${variant}: µs/row mean ${(mean / B).toFixed(1)}, batch p50 ${(last[last.length >> 1] / 1e3).toFixed(2)} p99 ${(last[Math.floor(last.length * .99)] / 1e3).toFixed(2)} ms`);
const wal = db.pragma('page_size', { simple: true }); console.log('  page_size', wal, 'pages', db.pragma('page_count', { simple: true }));
db.close(); rmSync(dir, { recursive: true, force: true });

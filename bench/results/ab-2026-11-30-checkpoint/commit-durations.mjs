// One-off for BENCHMARKS.md item 10: durations of 170-row commits every 50 ms (300 channels of diagnoses)
// with SQLite's inline autocheckpoint (default), none (off), or a checkpoint worker (worker). Run from the project root:
// node bench/results/ab-2026-11-30-checkpoint/commit-durations.mjs default|off|worker
// commit-duration distribution with and without autocheckpoint on the committing connection
import Database from 'better-sqlite3';
import fs from 'node:fs';
const ck = process.argv[2]; // 'default' | 'off'
const f = `/tmp/ckb-${ck}.db`; for (const s of ['', '-wal', '-shm']) fs.rmSync(f + s, { force: true });
const db = new Database(f); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma(`journal_size_limit = ${16 << 20}`);
if (ck === 'off' || ck === 'worker') db.pragma('wal_autocheckpoint = 0');
import { Worker } from 'node:worker_threads';
let w;
const startWorker = () => { w = new Worker(`const D = require('better-sqlite3'); const db = new D('${f}', { timeout: 0 }); db.pragma('synchronous = NORMAL');
  let mx = 0; setInterval(() => { const [r] = db.pragma('wal_checkpoint(PASSIVE)'); }, 250);`, { eval: true }); };
db.exec(`CREATE TABLE diagnoses (id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, asset TEXT NOT NULL, channel TEXT NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, class_index INTEGER NOT NULL, class_name TEXT NOT NULL, kind TEXT NOT NULL, confidence REAL NOT NULL, probabilities BLOB NOT NULL, model_id TEXT NOT NULL, model_version TEXT NOT NULL, latency_ms REAL NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE INDEX a ON diagnoses (sensor, window_end); CREATE INDEX b ON diagnoses (window_end); CREATE INDEX c ON diagnoses (asset, window_end); CREATE INDEX d ON diagnoses (class_name, window_end);`);
const ins = db.prepare(`INSERT INTO diagnoses (sensor, asset, channel, window_start, window_end, class_index, class_name, kind, confidence, probabilities, model_id, model_version, latency_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
const commit = db.transaction((rows) => { for (const r of rows) ins.run(...r); });
let t = Date.now(), k = 0;
const batch = () => Array.from({ length: 170 }, () => { const s = k++ % 300; t += 0.3; return [`s${s}`, `asset${s % 30}`, 'x', Math.round(t) - 170, Math.round(t), s % 10, `C${(s * 7 + (k >> 12)) % 10}`, 'fault', 0.9, Buffer.alloc(40), 'm', '1', 12.5, Math.round(t)]; });
const durs = []; if (ck === 'worker') setTimeout(startWorker, 0); let walMax = 0;
const end = Date.now() + 25_000;
const loop = () => { const t0 = performance.now(); commit(batch()); durs.push(performance.now() - t0); try { walMax = Math.max(walMax, fs.statSync(f + '-wal').size); } catch {} if (Date.now() < end) setTimeout(loop, 50); else done(); };
const done = () => { durs.sort((a, b) => a - b); const p = (q) => durs[Math.floor(q * (durs.length - 1))].toFixed(1); console.log(`${ck}: n=${durs.length} p50 ${p(0.5)} p99 ${p(0.99)} max ${durs[durs.length - 1].toFixed(1)} ms; >30ms: ${durs.filter((d) => d > 30).length}; wal ${(fs.statSync(f + '-wal').size / 1e6).toFixed(1)} MB, max ${(walMax / 1e6).toFixed(1)} MB`); w?.terminate(); };
loop();

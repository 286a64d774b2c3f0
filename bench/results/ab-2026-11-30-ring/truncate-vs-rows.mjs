// Row-level retention vs truncating a whole table, on the daemon's diagnoses schema (4 indexes).
// Usage, from anywhere in the repository: node bench/results/ab-2026-11-30-ring/truncate-vs-rows.mjs [ROWS=600000] [DEL=170000]
// Two tables of ROWS rows each; deletes the oldest DEL rows of one in 2,000-row steps and empties the other with DELETE
// (no WHERE), WAL autocheckpoint off so each prints the WAL pages it wrote.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os'; import path from 'node:path';
const ROWS = Number(process.argv[2] ?? 600000), DEL = Number(process.argv[3] ?? 170000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'trunc-'));
const db = new Database(path.join(dir, 'd.db'));
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
const schema = (t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, asset TEXT NOT NULL, channel TEXT NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, class_index INTEGER NOT NULL, class_name TEXT NOT NULL, kind TEXT NOT NULL, confidence REAL NOT NULL, probabilities BLOB NOT NULL, model_id TEXT NOT NULL, model_version TEXT NOT NULL, latency_ms REAL NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE INDEX ${t}_st ON ${t} (sensor, window_end); CREATE INDEX ${t}_at ON ${t} (asset, window_end); CREATE INDEX ${t}_ct ON ${t} (class_name, window_end); CREATE INDEX ${t}_t ON ${t} (window_end);`;
db.exec(schema('a') + schema('b'));
const classes = ['Normal', 'B007', 'B014', 'B021', 'IR007', 'IR014', 'IR021', 'OR007@6', 'OR014@6', 'OR021@6'];
const probs = Buffer.alloc(40, 1);
const fill = (t) => { const ins = db.prepare(`INSERT INTO ${t} (sensor, asset, channel, window_start, window_end, class_index, class_name, kind, confidence, probabilities, model_id, model_version, latency_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const tx = db.transaction((k0, n) => { for (let i = k0; i < k0 + n; i++) { const c = (i * 7) % 10; ins.run(`s${i % 250}`, `a${Math.floor((i % 250) / 10)}`, 'x', 1e12 + Math.floor(i * 0.35), 1e12 + Math.floor(i * 0.35) + 170, c, classes[c], c ? 'fault' : 'normal', 0.9, probs, 'm', '1', 100, 1e12); } });
  for (let k = 0; k < ROWS; k += 175) tx(k, 175); };
db.pragma("synchronous = OFF"); fill("a"); fill("b"); db.pragma("synchronous = NORMAL");
db.pragma('wal_checkpoint(TRUNCATE)');
const walPages = () => { try { return Math.round(statSync(path.join(dir, 'd.db-wal')).size / 4096); } catch { return 0; } };
db.pragma('wal_autocheckpoint = 0'); // measure WAL volume written by each approach
let t = performance.now(); const del = db.prepare('DELETE FROM a WHERE id IN (SELECT id FROM a WHERE id < ? ORDER BY id LIMIT 2000)');
let n = 0, steps = [], s0;
while (n < DEL) { s0 = performance.now(); n += del.run(DEL + 1).changes; steps.push(performance.now() - s0); }
const rowMs = performance.now() - t; const rowWal = walPages();
db.pragma('wal_checkpoint(TRUNCATE)');
t = performance.now(); db.prepare('DELETE FROM b').run(); const trMs = performance.now() - t; const trWal = walPages();
t = performance.now(); db.pragma('wal_checkpoint(TRUNCATE)'); const ckMs = performance.now() - t;
steps.sort((x, y) => x - y);
console.log(JSON.stringify({ ROWS, rowLevel: { rows: n, ms: Math.round(rowMs), perRowUs: +(rowMs * 1000 / n).toFixed(1), stepP50: +steps[steps.length >> 1].toFixed(1), stepMax: +steps.at(-1).toFixed(1), walPages: rowWal }, truncate: { rows: ROWS, ms: Math.round(trMs), walPages: trWal, checkpointMs: Math.round(ckMs) } }));
db.close(); rmSync(dir, { recursive: true, force: true });

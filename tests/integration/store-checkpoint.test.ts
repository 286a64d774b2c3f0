// The WAL is folded back into the database by a worker thread (src/store/checkpointer.ts), not inside
// commits on the event loop; if that worker dies, SQLite's own checkpointing comes back, so the WAL can
// never grow without bound. Real SQLite files throughout.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { startCheckpointer } from '../../src/store/checkpointer.js';
import { openDatabase } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { faultyWorker } from '../helpers/faults.js';

function diag(i: number): Diagnosis {
  return {
    sensorId: `s${i % 50}`, asset: 'pump1', channel: 'x', windowStart: i * 10, windowEnd: i * 10 + 170,
    classIndex: i % 10, className: `C${i % 10}`, kind: 'fault', probabilities: Array.from({ length: 10 }, () => 0.1), confidence: 0.1,
    modelId: 'm', modelVersion: '1', latencyMs: 1,
  };
}

function tempDb(t: test.TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-checkpoint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'drsnd.db');
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

test('store with checkpoint: worker: commits leave checkpointing to the worker, which folds the WAL into the file; stop removes the WAL', async (t) => {
  const file = tempDb(t);
  const settings = settingsSchema.parse({ store: { path: file, batchMaxRows: 100_000, checkpoint: 'worker' } });
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(() => store.stop());
  assert.equal(store.checkpointing, 'worker');
  const before = size(file);
  // ~10 MB of WAL: far past SQLite's 1,000-page trigger, which the main connection no longer runs.
  for (let b = 0; b < 20; b++) {
    for (let i = 0; i < 2_000; i++) store.enqueue(diag(b * 2_000 + i));
    store.flush();
  }
  assert.equal(store.stats.committedRows, 40_000);
  // Only a checkpoint copies pages from the WAL into the database file.
  await until('the worker to checkpoint', () => size(file) > before + 2_000_000);
  t.diagnostic(`database file ${before} → ${size(file)} bytes, WAL ${size(`${file}-wal`)} bytes`);
  await store.stop();
  assert.equal(existsSync(`${file}-wal`), false, 'the checkpoint worker closed first, so the daemon\'s close checkpointed and removed the WAL');
});

test('checkpointer: the main connection stops auto-checkpointing while the worker runs, and resumes when it dies', async (t) => {
  const file = tempDb(t);
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  const warnings: string[] = [];
  const log = createLogger('silent');
  const spy = Object.assign(Object.create(log) as typeof log, {
    error: (_o: unknown, msg: string) => warnings.push(msg), warn: (_o: unknown, msg: string) => warnings.push(msg), debug: () => undefined,
  });
  // The real checkpoint worker, which dies abruptly (as on a native crash) on its first request.
  const script = faultyWorker('checkpoint-worker', { crash: { nth: 1 } });
  const cp = await startCheckpointer(db, { path: file, synchronous: 'NORMAL', intervalMs: 50 }, spy, { script });
  assert.equal(cp.active, true);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the worker checkpoints, not the commits');
  cp.truncate();
  await until('the worker to die', () => !cp.active);
  assert.ok(script.struck());
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'SQLite checkpoints inline again');
  assert.ok(warnings.some((m) => /exited \(code 70\).*main thread again/.test(m)), warnings.join('; '));
  await cp.stop(); // after the worker is gone: returns, does not hang
});

test('checkpointer: truncate() has the worker reset the WAL file to zero bytes (the retention pass\'s checkpoint, off the event loop)', async (t) => {
  const file = tempDb(t);
  const db = openDatabase(file);
  t.after(() => db.close());
  // A long interval: only truncate() checkpoints in this test.
  const cp = await startCheckpointer(db, { path: file, synchronous: 'NORMAL', intervalMs: 600_000 }, createLogger('silent'));
  t.after(() => cp.stop());
  db.exec('CREATE TABLE t (x BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  db.transaction(() => { for (let i = 0; i < 2_000; i++) insert.run(Buffer.alloc(1_000, i)); })();
  const wal = `${file}-wal`;
  assert.ok(size(wal) > 2_000_000, `the WAL holds the writes (${size(wal)} bytes)`);
  const before = size(file);
  cp.truncate();
  await until('the WAL to be truncated', () => size(wal) === 0);
  assert.ok(size(file) > before + 2_000_000, 'the pages reached the database file');
  assert.equal(cp.active, true, 'the worker lives on');
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 2_000);
});

test('checkpointer: a worker that cannot open the database leaves inline checkpointing on', async (t) => {
  const file = tempDb(t);
  const db = openDatabase(file);
  t.after(() => db.close());
  const cp = await startCheckpointer(db, { path: path.join(path.dirname(file), 'missing.db'), synchronous: 'NORMAL', intervalMs: 50 }, createLogger('silent'));
  assert.equal(cp.active, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  await cp.stop();
});

test('store (default, checkpoint: inline) keeps SQLite\'s automatic checkpoint and starts no worker', async (t) => {
  const file = tempDb(t);
  const settings = settingsSchema.parse({ store: { path: file } });
  assert.equal(settings.store.checkpoint, 'inline', 'the default');
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(() => store.stop());
  assert.equal(store.checkpointing, 'inline');
  for (let i = 0; i < 20_000; i++) store.enqueue(diag(i));
  store.flush();
  assert.ok(size(file) > 1_000_000, 'SQLite checkpointed inside the commit');
});

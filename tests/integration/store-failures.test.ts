// What the store does when the disk or the file fails under it, and that it is its database's one
// owner (issue 19): a full disk costs one error line, a `lost` count and a health signal, never a crash,
// and recovers by itself; a deleted or replaced file stops the daemon; a second owner is refused while
// readers still read; a SIGKILLed owner leaves no stale lock.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingsSchema } from '../../src/config/schema.js';
import { ErrorCodes, isDrsndError, type DrsndError } from '../../src/errors.js';
import { openReadOnly } from '../../src/store/reader.js';
import { Store, type StoreHealth } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { captureLogger } from '../helpers/capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp.js';

function diag(i: number): Diagnosis {
  return {
    sensorId: 's1', asset: 'pump1', channel: 'x', windowStart: 1_000 + i * 100, windowEnd: 1_170 + i * 100,
    classIndex: 0, className: 'Normal', kind: 'normal', probabilities: Array(10).fill(0.1), confidence: 0.1,
    modelId: 'drsn-test', modelVersion: '1.0.0', latencyMs: 4,
  };
}

async function open(t: test.TestContext, dir: string, clock = new ManualClock()) {
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'd.db'), batchMaxRows: 50 } });
  const captured = captureLogger('info');
  const store = new Store({ settings: settings.store, log: captured.log, clock });
  await store.start();
  t.after(() => store.stop());
  return { store, captured, clock };
}

// SQLite's max_page_count stands in for a full disk: past it every write fails with SQLITE_FULL, the
// very error a full file system gives (the daemon on a real 16 MiB tmpfs filled with dd behaved the same:
// BENCHMARKS.md item 19), and raising it is the disk getting room again.
test('a full disk: one error line, lost rows counted, health failing then ok, and recovery by itself', async (t) => {
  const dir = tempDir(t, 'drsnd-store-full-');
  const { store, captured } = await open(t, dir);
  const health: StoreHealth[] = [];
  store.onHealth((h) => health.push(h));
  const committed: number[] = [];
  store.onCommitted((ds, firstId) => committed.push(firstId, ds.length));
  for (let i = 0; i < 50; i++) store.enqueue(diag(i));
  const db = store.database!;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);

  for (let b = 0; b < 40; b++) for (let i = 0; i < 50; i++) store.enqueue(diag(1_000 + b * 50 + i));
  assert.equal(store.stats.failedRows, 40 * 50, 'every row of every failed batch is counted as lost');
  assert.equal(store.stats.committedRows, 50, 'and not as stored');
  assert.equal(store.healthy, false);
  const errors = captured.lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1, `one error line for 40 failed batches: ${JSON.stringify(errors)}`);
  assert.match(String(errors[0].reason), /SQLITE_FULL/);
  assert.equal(errors[0].err, undefined, 'no stack trace');
  assert.equal(health.length, 1, 'listeners hear of the failure once');
  assert.ok(!health[0].ok && /SQLITE_FULL/.test(health[0].reason));

  db.pragma(`max_page_count = ${pages * 100}`);
  for (let i = 0; i < 50; i++) store.enqueue(diag(5_000 + i));
  assert.equal(store.stats.committedRows, 100, 'the next batch after the disk has room is stored');
  assert.equal(store.healthy, true);
  assert.deepEqual(health.at(-1), { ok: true });
  assert.ok(captured.lines.some((l) => l.msg === 'storage recovered' && l.lost === 2_000));
  // Ids stay one sequence: the failed batches took none.
  assert.deepEqual(committed, [1, 50, 51, 50]);
  assert.equal(store.history({ limit: 1000 }).length, 100);
});

test('the database file deleted or replaced under the store: a fatal DRSND_STORE_REPLACED, once', async (t) => {
  for (const how of ['deleted', 'replaced'] as const) {
    const dir = tempDir(t, `drsnd-store-${how}-`);
    const { store, clock } = await open(t, dir);
    const fatal: DrsndError[] = [];
    store.onFatal((e) => fatal.push(e));
    await clock.advance(5_000);
    assert.equal(fatal.length, 0, 'nothing while the file is the one open');
    if (how === 'deleted') rmSync(store.path);
    else {
      writeFileSync(`${store.path}.new`, '');
      renameSync(`${store.path}.new`, store.path);
    }
    await clock.advance(999);
    assert.equal(fatal.length, 0, 'checked every 2 s (last at 4 s, next at 6 s)');
    await clock.advance(1);
    assert.equal(fatal.length, 1, how);
    assert.equal(fatal[0].code, ErrorCodes.STORE_REPLACED);
    assert.match(fatal[0].message, new RegExp(how));
    await clock.advance(10_000);
    assert.equal(fatal.length, 1, 'reported once');
  }
});

test('one owner per database: a second store is refused with DRSND_STORE_LOCKED; readers still read; stop releases', async (t) => {
  const dir = tempDir(t, 'drsnd-store-lock-');
  const { store } = await open(t, dir);
  for (let i = 0; i < 3; i++) store.enqueue(diag(i));
  store.flush();
  const second = new Store({ settings: settingsSchema.parse({ store: { path: store.path } }).store, log: captureLogger().log });
  await assert.rejects(second.start(), (e) => isDrsndError(e, ErrorCodes.STORE_LOCKED) && e.message.includes(store.path) && /another drsnd/.test(e.message));
  const reader = openReadOnly(store.path);
  assert.equal(reader.history().length, 3, 'drsnd history works while the owner runs');
  reader.close();
  await store.stop();
  await second.start();
  await second.stop();
});

test('a SIGKILLed owner leaves no stale lock', async (t) => {
  const dir = tempDir(t, 'drsnd-store-kill-');
  const dbPath = path.join(dir, 'd.db');
  const underTsx = import.meta.url.endsWith('.ts');
  const lockModule = fileURLToPath(new URL(`../../src/store/lock.${underTsx ? 'ts' : 'js'}`, import.meta.url));
  // The holder keeps its lock referenced, as the Store does: a garbage-collected better-sqlite3 handle
  // closes its connection, and with it the lock.
  const child = spawn(process.execPath, [...(underTsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e',
    `const { lockStore } = await import(${JSON.stringify(lockModule)}); globalThis.held = lockStore(${JSON.stringify(dbPath)}); console.log('locked'); setInterval(() => {}, 1000);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  const store = new Store({ settings: settingsSchema.parse({ store: { path: dbPath } }).store, log: captureLogger().log });
  await assert.rejects(store.start(), (e) => isDrsndError(e, ErrorCodes.STORE_LOCKED), 'held by the other process');
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
  await store.start();
  await store.stop();
});

// Retention keeps the database bounded: rows past maxAgeDays or beyond maxRows really disappear,
// the newest are kept, and pruning happens in steps that let other work run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

function diag(windowEnd: number): Diagnosis {
  return {
    sensorId: 's1', asset: 'pump1', channel: 'x', windowStart: windowEnd - 170, windowEnd,
    classIndex: 0, className: 'Normal', kind: 'normal', probabilities: [1, 0], confidence: 1,
    modelId: 'm', modelVersion: '1', latencyMs: 1,
  };
}

async function openStore(t: test.TestContext, retention: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-retention-'));
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db'), batchMaxRows: 10_000, retention } });
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now: () => NOW });
  await store.start();
  const other = new BetterSqlite3(store.path, { readonly: true });
  const ends = () => (other.prepare('SELECT window_end AS t FROM diagnoses ORDER BY window_end').all() as { t: number }[]).map((r) => r.t);
  t.after(async () => { other.close(); await store.stop(); rmSync(dir, { recursive: true, force: true }); });
  return { store, ends };
}

test('rows older than maxAgeDays are deleted, younger ones kept', async (t) => {
  const { store, ends } = await openStore(t, { maxAgeDays: 30, stepRows: 7 });
  // One row per day from 59 days ago to today.
  for (let d = 59; d >= 0; d--) store.enqueue(diag(NOW - d * DAY));
  store.flush();
  const r = await store.prune();
  assert.equal(r.byAge, 29, 'days 59..31 are older than the 30-day cutoff; day 30 is exactly on it');
  const left = ends();
  assert.equal(left.length, 31);
  assert.ok(left.every((t) => t >= NOW - 30 * DAY));
  assert.equal(left.at(-1), NOW);
});

test('beyond maxRows the oldest rows go and the newest maxRows stay', async (t) => {
  const { store, ends } = await openStore(t, { maxRows: 50, stepRows: 8 });
  for (let i = 0; i < 120; i++) store.enqueue(diag(NOW - (120 - i) * 1000));
  store.flush();
  const r = await store.prune();
  assert.equal(r.byCount, 70);
  const left = ends();
  assert.equal(left.length, 50);
  assert.equal(left[0], NOW - 50 * 1000, 'the oldest kept row is the 50th newest');
  assert.equal(left.at(-1), NOW - 1000);
  assert.equal((await store.prune()).byCount, 0, 'a second pass has nothing to do');
});

test('old cleared alerts go with their events; active alerts stay whatever their age', async (t) => {
  const { store } = await openStore(t, { maxAgeDays: 10 });
  const old = store.recordAlertEvent({ sensorId: 's1', asset: 'pump1', transition: 'raised', className: 'B007', previousClassName: null, confidence: 0.9, at: NOW - 40 * DAY });
  store.recordAlertEvent({ sensorId: 's1', asset: 'pump1', transition: 'cleared', className: 'B007', previousClassName: null, confidence: 0.9, at: NOW - 39 * DAY });
  const stale = store.recordAlertEvent({ sensorId: 's2', asset: 'pump1', transition: 'raised', className: 'IR007', previousClassName: null, confidence: 0.9, at: NOW - 40 * DAY });
  const r = await store.prune();
  assert.equal(r.alerts, 1);
  assert.deepEqual(store.alerts().map((a) => a.id), [stale.alertId]);
  assert.deepEqual(store.alertEvents(old.alertId), [], 'events cascade with their alert');
  assert.equal(store.alertEvents(stale.alertId).length, 1);
});

test('pruning runs on its own timer and yields between steps', async (t) => {
  const { store, ends } = await openStore(t, { maxRows: 100, stepRows: 10, intervalSec: 0.05 });
  for (let i = 0; i < 1_000; i++) store.enqueue(diag(NOW - (1_000 - i) * 1000));
  store.flush();
  // Work scheduled on the event loop must get turns while ~90 delete steps run.
  let turns = 0;
  let spinning = true;
  const spin = () => { turns++; if (spinning) setImmediate(spin); };
  setImmediate(spin);
  const pass = await store.prune();
  spinning = false;
  assert.equal(pass.byCount, 900);
  assert.ok(turns >= 10, `event loop got ${turns} turns during the pass`);
  // The timer prunes what arrives later without anyone calling prune().
  for (let i = 0; i < 50; i++) store.enqueue(diag(NOW + i));
  store.flush();
  assert.equal(ends().length, 150);
  const deadline = Date.now() + 5_000;
  while (ends().length > 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ends().length, 100);
  assert.equal(ends().at(-1), NOW + 49);
});

test('a checkpoint truncates the WAL file', async (t) => {
  const { store } = await openStore(t, {});
  for (let i = 0; i < 2_000; i++) store.enqueue(diag(NOW - i));
  store.flush();
  const wal = `${store.path}-wal`;
  assert.ok(statSync(wal).size > 0);
  const r = store.checkpoint();
  // The test's own reader holds no snapshot between statements, so nothing blocks the checkpoint.
  assert.equal(r.busy, false);
  assert.equal(statSync(wal).size, 0);
});

test('a checkpoint blocked by a reader snapshot reports busy instead of stalling, and succeeds later', async (t) => {
  const { store } = await openStore(t, {});
  for (let i = 0; i < 500; i++) store.enqueue(diag(NOW - i));
  store.flush();
  const reader = new BetterSqlite3(store.path, { readonly: true });
  t.after(() => reader.close());
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM diagnoses').get(); // the snapshot pins the WAL
  for (let i = 0; i < 500; i++) store.enqueue(diag(NOW + i));
  store.flush();
  assert.equal(store.checkpoint().busy, true);
  assert.ok(statSync(`${store.path}-wal`).size > 0, 'the WAL is kept while a reader needs it');
  reader.exec('COMMIT');
  assert.equal(store.checkpoint().busy, false);
  assert.equal(statSync(`${store.path}-wal`).size, 0);
});

test('stop during a retention pass ends the pass after its current step instead of waiting for it', async (t) => {
  const { store, ends } = await openStore(t, { maxRows: 10, stepRows: 5 });
  for (let i = 0; i < 1000; i++) store.enqueue(diag(NOW - (1000 - i) * 1000));
  store.flush();
  // The pass needs 198 steps of 5 rows with an event-loop turn between them; stop comes at once.
  const pass = store.prune();
  await store.stop();
  const r = await pass;
  assert.ok(r.byCount < 990, `the pass was cut short (${r.byCount} of 990 deleted)`);
  const left = ends();
  assert.equal(left.length, 1000 - r.byCount, 'what the pass reported is what is gone');
  assert.equal(left.at(-1), NOW - 1000, 'the newest row is kept');
});

// Retention keeps the database bounded: rows past maxAgeDays or beyond maxRows really disappear,
// the newest are kept, and pruning happens in steps that let other work run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { migrations } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { captureLogger, waitFor } from '../helpers/capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

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
  const clock = new ManualClock();
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now: () => NOW, clock });
  await store.start();
  const other = new BetterSqlite3(store.path, { readonly: true });
  const ends = () => (other.prepare('SELECT window_end AS t FROM diagnoses ORDER BY window_end').all() as { t: number }[]).map((r) => r.t);
  const parts = () => other.prepare('SELECT part, rows, current FROM diagnosis_partitions ORDER BY part').all() as PartRow[];
  t.after(async () => { other.close(); await store.stop(); rmSync(dir, { recursive: true, force: true }); });
  return { store, ends, parts, clock, countsTrue: () => assertCountsTrue(parts(), other) };
}

interface PartRow { part: number; rows: number; current: number }

/** The row counts the ring keeps are what count(*) finds in each table. */
function assertCountsTrue(parts: PartRow[], handle: SqliteDatabase): void {
  for (const p of parts) {
    const n = (handle.prepare(`SELECT count(*) AS n FROM diagnoses_p${p.part}`).get() as { n: number }).n;
    assert.equal(p.rows, n, `table ${p.part}: counted ${p.rows}, holds ${n}`);
  }
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

test('beyond maxRows the oldest rows go and the newest stay, whole tables of the ring at a time', async (t) => {
  // maxRows 50: tables of ceil(50 / 7) = 8 rows; eight of them hold 64, so one 120-row batch laps the
  // ring and empties the oldest tables as it goes.
  const { store, ends, countsTrue } = await openStore(t, { maxRows: 50, stepRows: 8 });
  for (let i = 0; i < 120; i++) store.enqueue(diag(NOW - (120 - i) * 1000));
  store.flush();
  assert.equal(store.stats.pruned.byCount, 56, 'seven tables emptied during the commit');
  assert.equal(ends().length, 64);
  const r = await store.prune();
  // The current table is full (no room left), so 50 rows stay: one whole table (8) and 6 rows of the next.
  assert.equal(r.byCount, 14);
  assert.equal(store.stats.pruned.byCount, 70);
  const left = ends();
  assert.equal(left.length, 50);
  assert.equal(left[0], NOW - 50 * 1000, 'the oldest kept row is the 50th newest');
  assert.equal(left.at(-1), NOW - 1000);
  countsTrue();
  assert.equal((await store.prune()).byCount, 0, 'a second pass has nothing to do');
});

test('at the cap a pass empties the oldest table whole; rows + the room left in the current table stay within maxRows', async (t) => {
  const { store, ends, parts, countsTrue } = await openStore(t, { maxRows: 700 }); // tables of 100 rows
  let k = 0;
  const add = (n: number) => { for (let i = 0; i < n; i++) store.enqueue(diag(NOW + k++)); store.flush(); };
  add(700);
  assert.equal((await store.prune()).byCount, 0, 'seven full tables: exactly at the cap');
  add(30); // the ring moves on: 730 rows, 70 of room left in the new current table
  const r = await store.prune();
  assert.equal(r.byCount, 100, 'the oldest table went whole');
  assert.equal(parts().filter((p) => p.rows === 0).length, 1, 'one table is empty again, ready for the ring');
  const left = ends();
  assert.equal(left.length, 630);
  assert.equal(left[0], NOW + 100);
  assert.equal(left.at(-1), NOW + 729);
  countsTrue();
  // Many batches of odd sizes, a pass after each: never above the cap, never more than a table below it.
  for (let b = 0; b < 60; b++) {
    add(1 + ((b * 37) % 90));
    await store.prune();
    const n = ends().length;
    assert.ok(n <= 700 && n >= 600, `after batch ${b}: ${n} rows`);
    assert.equal(ends().at(-1), NOW + k - 1, 'the newest row is kept');
  }
  countsTrue();
});

test('old cleared alerts go with their events once published; active alerts stay whatever their age', async (t) => {
  const { store } = await openStore(t, { maxAgeDays: 10 });
  const raise = (sensorId: string, at: number) => store.recordAlertEvent({ sensorId, asset: 'pump1', transition: 'raised', className: 'B007', previousClassName: null, confidence: 0.9, at });
  const clear = (sensorId: string, at: number) => store.recordAlertEvent({ sensorId, asset: 'pump1', transition: 'cleared', className: 'B007', previousClassName: null, confidence: 0.9, at });
  const old = raise('s1', NOW - 40 * DAY);
  clear('s1', NOW - 39 * DAY);
  const stale = raise('s2', NOW - 40 * DAY);
  // The broker acknowledged those events and the emptied retained alert.
  const published = store.recordAlertEvent({ sensorId: 's2', asset: 'pump1', transition: 'changed', className: 'IR007', previousClassName: 'B007', confidence: 0.9, at: NOW - 40 * DAY });
  store.outbox.ack('alert_events', published.eventId);
  store.outbox.retainedAcked(old.alertId, 'cleared');
  // Never published (an outage longer than maxAgeDays): kept until it is.
  const unsent = raise('s3', NOW - 40 * DAY);
  clear('s3', NOW - 39 * DAY);
  store.outbox.retainedAcked(unsent.alertId, 'cleared');

  const r = await store.prune();
  assert.equal(r.alerts, 1);
  assert.deepEqual(store.alerts().map((a) => a.id).sort(), [stale.alertId, unsent.alertId].sort());
  assert.deepEqual(store.alertEvents(old.alertId), [], 'events cascade with their alert');
  assert.equal(store.alertEvents(stale.alertId).length, 2);
  assert.equal(store.alertEvents(unsent.alertId).length, 2, 'unpublished events are not deleted');
  // Event ids are never reused, even though the newest of them were deleted with their alert.
  store.outbox.ack('alert_events', 1_000);
  await store.prune();
  assert.deepEqual(store.alerts().map((a) => a.id), [stale.alertId]);
  const next = raise('s4', NOW);
  assert.ok(next.eventId > unsent.eventId + 1, `new event id ${next.eventId} after ${unsent.eventId + 1}`);
});

test('pruning runs on its own timer and yields between steps', async (t) => {
  const { store, ends, clock } = await openStore(t, { maxAgeDays: 1, stepRows: 10, intervalSec: 60 });
  // 900 rows past the age limit, 100 within it.
  for (let i = 0; i < 1_000; i++) store.enqueue(diag(NOW - 2 * DAY + i * (DAY / 500)));
  store.flush();
  // Work scheduled on the event loop must get turns while ~90 delete steps run.
  let turns = 0;
  let spinning = true;
  const spin = () => { turns++; if (spinning) setImmediate(spin); };
  setImmediate(spin);
  const pass = await store.prune();
  spinning = false;
  assert.equal(pass.byAge, 500, 'windows ending before now - 1 day');
  assert.ok(turns >= 10, `event loop got ${turns} turns during the pass`);
  // The timer prunes what arrives later without anyone calling prune().
  for (let i = 0; i < 50; i++) store.enqueue(diag(NOW - 3 * DAY + i));
  store.flush();
  assert.equal(ends().length, 550);
  await clock.advance(59_999);
  assert.equal(ends().length, 550, 'nothing before intervalSec (virtual time)');
  await clock.advance(1);
  await waitFor(() => ends().length === 500, 'the timer\'s pass');
  assert.ok(ends().every((e) => e >= NOW - DAY));
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
  const { store, ends } = await openStore(t, { maxAgeDays: 1, stepRows: 5 });
  for (let i = 0; i < 1000; i++) store.enqueue(diag(NOW - 2 * DAY + i));
  store.enqueue(diag(NOW));
  store.flush();
  // The pass needs 200 steps of 5 rows with an event-loop turn between them; stop comes at once.
  const pass = store.prune();
  await store.stop();
  const r = await pass;
  assert.ok(r.byAge < 1000, `the pass was cut short (${r.byAge} of 1000 deleted)`);
  const left = ends();
  assert.equal(left.length, 1001 - r.byAge, 'what the pass reported is what is gone');
  assert.equal(left.at(-1), NOW, 'the newest row is kept');
});

test('a database from schema 1 keeps its rows in the first table of the ring; the cap then trims that table row by row', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'drsnd.db');
  // What a gateway running the first release has: schema step 1 only, 500 diagnoses.
  const v1 = new BetterSqlite3(file);
  v1.pragma('journal_mode = WAL');
  migrations[0](v1);
  v1.pragma('user_version = 1');
  const ins = v1.prepare(`INSERT INTO diagnoses (sensor, asset, channel, window_start, window_end, class_index, class_name, kind,
    confidence, probabilities, model_id, model_version, latency_ms, created_at) VALUES ('s1', 'pump1', 'x', ?, ?, 0, 'Normal', 'normal', 1, x'0000803f', 'm', '1', 1, 0)`);
  v1.transaction(() => { for (let i = 0; i < 500; i++) ins.run(NOW - 1e6 + i, NOW - 1e6 + i + 170); })();
  v1.close();

  const settings = settingsSchema.parse({ store: { path: file, retention: { maxRows: 350, stepRows: 20 } } }); // tables of 50
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now: () => NOW });
  await store.start();
  t.after(() => store.stop());
  const other = new BetterSqlite3(file, { readonly: true });
  t.after(() => other.close());
  const parts = () => other.prepare('SELECT part, rows, current FROM diagnosis_partitions ORDER BY part').all() as PartRow[];
  assert.equal(parts()[0].rows, 500, 'schema step 2 counted the old rows');
  assert.equal(store.history({ limit: 1000 }).length, 500, 'old rows are still there, through the ring');
  for (let i = 0; i < 10; i++) store.enqueue(diag(NOW + i));
  store.flush();
  const ids = store.history({ limit: 1000 }).map((d) => d.id);
  assert.equal(ids[0], 510, 'new ids continue the old sequence');
  assert.equal(new Set(ids).size, 510);
  // 510 rows + 40 of room in the current table: 200 over the cap, all of them old rows of table 0,
  // which is larger than that, so they go row by row.
  const r = await store.prune();
  assert.equal(r.byCount, 200);
  assert.equal(parts()[0].rows, 300);
  const left = store.history({ limit: 1000 });
  assert.equal(left.length, 310);
  assert.equal(left.at(-1)?.id, 201, 'the oldest 200 went');
  assertCountsTrue(parts(), other);
});

test('a failed commit leaves the counts, the current table and the ids as the file has them', async (t) => {
  const { store, ends, parts, countsTrue } = await openStore(t, { maxRows: 70 }); // tables of 10
  for (let i = 0; i < 25; i++) store.enqueue(diag(NOW + i));
  store.flush();
  // A row the schema refuses (kind must be normal or fault) rolls back the whole batch, including the
  // ring moving on to its fourth table.
  for (let i = 0; i < 10; i++) store.enqueue(diag(NOW + 100 + i));
  store.enqueue({ ...diag(NOW + 200), kind: 'bogus' as Diagnosis['kind'] });
  assert.equal(store.flush(), 0);
  assert.equal(store.stats.failedRows, 11);
  countsTrue();
  assert.deepEqual(parts().map((p) => p.current), [0, 0, 1, 0, 0, 0, 0, 0]);
  for (let i = 0; i < 10; i++) store.enqueue(diag(NOW + 300 + i));
  store.flush();
  assert.equal(ends().length, 35);
  assert.deepEqual(store.history({ limit: 3 }).map((d) => d.id), [35, 34, 33], 'ids carry on without a gap');
  countsTrue();
});

test('a commit that moves the ring on during a pass never has its new table emptied by that pass', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-race-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let clock = NOW;
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db'), batchMaxRows: 10_000, retention: { maxRows: 70, maxAgeDays: 1, stepRows: 1 } } });
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now: () => clock });
  await store.start();
  t.after(() => store.stop());
  // Tables of 10: 80 rows fill all eight; rows 11 and 12 (table 1) are half a day old.
  for (let i = 1; i <= 80; i++) store.enqueue(diag(i === 11 || i === 12 ? NOW - DAY / 2 : NOW));
  store.flush();
  assert.equal((await store.prune()).byCount, 10, 'table 0 emptied: it is the spare the ring moves on to');
  // Later: rows 11 and 12 are past the age limit, and the pass deletes them one step at a time. In its
  // first step's event-loop turn a batch arrives, the full current table (7) hands over to table 0.
  clock = NOW + 0.6 * DAY;
  setImmediate(() => {
    for (let i = 0; i < 5; i++) store.enqueue(diag(NOW + 1000 + i));
    store.flush();
  });
  const r = await store.prune();
  assert.equal(r.byAge, 2);
  // 73 rows + 5 of room in table 0 is 8 over the cap: the oldest table, 1 (8 rows left), goes; table 0
  // holds the newest rows and must stay.
  assert.equal(r.byCount, 8);
  const newest = store.history({ limit: 5 }).map((d) => d.id);
  assert.deepEqual(newest, [85, 84, 83, 82, 81]);
  assert.equal(store.history({ limit: 1000 }).length, 65);
});

test('the ring moving on starts a pass at once, so the next table is empty before the ring needs it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-rotate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cap = captureLogger('info');
  // Tables of 10 rows; the timer alone would run a pass once an hour.
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db'), batchMaxRows: 10_000, retention: { maxRows: 70, intervalSec: 3600 } } });
  const store = new Store({ settings: settings.store, log: cap.log, now: () => NOW });
  await store.start();
  t.after(() => store.stop());
  const count = () => store.history({ limit: 1000 }).length;
  // One table's worth per batch, 15 batches: the ring goes round twice.
  for (let b = 0; b < 15; b++) {
    for (let i = 0; i < 10; i++) store.enqueue(diag(NOW + b * 10 + i));
    store.flush();
    await waitFor(() => count() <= 70, `a pass after batch ${b}`);
  }
  assert.equal(cap.count('emptied during a commit'), 0, 'the ring never came to a table that still held rows');
  assert.equal(count(), 70);
  assert.equal(store.stats.pruned.byCount, 80);
  assert.equal(store.history({ limit: 1 })[0].windowEnd, NOW + 149);
});

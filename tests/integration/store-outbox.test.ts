// The outbox's side in SQLite (schema step 3): unpublished rows are read back in id order across the
// ring of tables, the cursor survives the ring moving on, ids are never reused, and a database from an
// earlier drsnd does not resend its whole history after the upgrade.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { migrations } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { tempDir } from '../helpers/temp.js';
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

async function open(file: string, retention: Record<string, unknown> = {}) {
  const settings = settingsSchema.parse({ store: { path: file, batchMaxRows: 10_000, retention } });
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now: () => NOW });
  await store.start();
  return store;
}

test('unpublished diagnoses are read in id order across the ring, after a cursor that survives the ring moving on', async (t) => {
  const store = await open(path.join(tempDir(t, 'drsnd-outbox-'), 'd.db'), { maxRows: 70 }); // tables of 10 rows
  t.after(() => store.stop());
  for (let i = 0; i < 65; i++) store.enqueue(diag(NOW - 1e6 + i * 100));
  store.flush();
  assert.equal(store.lastDiagnosisId, 65);
  const ids = (after: number, limit: number) => store.outbox.diagnoses(after, limit).map((d) => d.id);
  assert.deepEqual(ids(0, 5), [1, 2, 3, 4, 5]);
  assert.deepEqual(ids(8, 4), [9, 10, 11, 12], 'across tables');
  assert.deepEqual(ids(60, 100), [61, 62, 63, 64, 65]);
  store.outbox.ack('diagnoses', 40);
  assert.equal(store.outbox.cursor('diagnoses').acked, 40);
  store.outbox.ack('diagnoses', 30);
  assert.equal(store.outbox.cursor('diagnoses').acked, 40, 'the cursor never moves back');
  // The ring comes round: the oldest tables are emptied, rows 41.. not yet acknowledged are kept or counted.
  for (let i = 0; i < 30; i++) store.enqueue(diag(NOW - 1e5 + i * 100));
  store.flush();
  await store.prune();
  const first = ids(40, 1)[0];
  const lost = store.outbox.cursor('diagnoses').lost;
  assert.equal(first, 41 + lost, `the first unpublished row left follows the ${lost} deleted ones`);
  assert.deepEqual(ids(94, 10), [95]);
});

test('diagnosis ids are never reused, even when retention emptied every table and the store reopened', async (t) => {
  const file = path.join(tempDir(t, 'drsnd-outbox-ids-'), 'd.db');
  let store = await open(file, { maxAgeDays: 1 });
  for (let i = 0; i < 20; i++) store.enqueue(diag(NOW - 10 * DAY + i));
  store.flush();
  await store.prune();
  assert.equal(store.history().length, 0, 'every row was older than maxAgeDays');
  assert.equal(store.outbox.cursor('diagnoses').lost, 20, 'none had been published: all counted as lost');
  await store.stop();
  store = await open(file, { maxAgeDays: 1 });
  t.after(() => store.stop());
  const firstIds: number[] = [];
  store.onCommitted((_ds, firstId) => firstIds.push(firstId));
  store.enqueue(diag(NOW));
  store.flush();
  assert.deepEqual(firstIds, [21]);
});

test('a database from schema 2 counts its existing rows and alerts as published: the upgrade sends no history', async (t) => {
  const file = path.join(tempDir(t, 'drsnd-outbox-upgrade-'), 'd.db');
  const v2 = new BetterSqlite3(file);
  v2.pragma('journal_mode = WAL');
  migrations[0](v2);
  migrations[1](v2);
  v2.pragma('user_version = 2');
  const ins = v2.prepare(`INSERT INTO diagnoses_p0 (sensor, asset, channel, window_start, window_end, class_index, class_name, kind,
    confidence, probabilities, model_id, model_version, latency_ms, created_at) VALUES ('s1', 'pump1', 'x', ?, ?, 0, 'Normal', 'normal', 1, x'0000803f', 'm', '1', 1, 0)`);
  v2.transaction(() => { for (let i = 0; i < 50; i++) ins.run(NOW - 1e6 + i, NOW - 1e6 + i + 170); })();
  v2.exec(`UPDATE diagnosis_partitions SET rows = 50 WHERE part = 0;
    INSERT INTO alerts (sensor, asset, class_name, state, raised_at, cleared_at, last_changed_at, peak_confidence) VALUES ('s1', 'pump1', 'B007', 'cleared', 1, 2, 2, 0.9);
    INSERT INTO alert_events (alert_id, transition, class_name, confidence, at) VALUES (1, 'raised', 'B007', 0.9, 1), (1, 'cleared', 'B007', 0.9, 2);`);
  v2.close();

  const store = await open(file);
  t.after(() => store.stop());
  assert.deepEqual(store.outbox.cursor('diagnoses'), { acked: 50, lastId: 50, lost: 0 });
  assert.deepEqual(store.outbox.cursor('alert_events'), { acked: 2, lastId: 2, lost: 0 });
  assert.deepEqual(store.outbox.diagnoses(50, 10), []);
  assert.deepEqual(store.outbox.unackedClears(), [], 'the cleared alert was published by the older drsnd');
  assert.match(store.outbox.storeId, /^[0-9a-f]{12}$/);
});

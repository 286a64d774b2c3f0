// Opening the database: schema from empty, idempotent re-open, deliberate pragmas, actionable errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDrsndError, ErrorCodes } from '../../src/errors.js';
import { openDatabase, openDatabaseReadOnly } from '../../src/store/db.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openReadOnly } from '../../src/store/reader.js';
import { tempDir } from '../helpers/temp.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

test('a new database gets the full schema, WAL, NORMAL sync and foreign keys', (t) => {
  const file = path.join(tempDir(t, 'drsnd-store-db-'), 'nested', 'drsnd.db');
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  t.after(() => db.close());
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 1); // 1 = NORMAL
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  const ring = Array.from({ length: 8 }, (_, k) => `diagnoses_p${k}`);
  assert.deepEqual(tables, ['alert_events', 'alert_snapshots', 'alerts', 'baselines', 'diagnosis_partitions', ...ring, 'outbox', 'sensors', 'store_meta'].sort());
  // The outbox starts with nothing published, and the database gets its own id for message ids.
  assert.deepEqual(db.prepare('SELECT stream, acked, last_id AS lastId, lost FROM outbox ORDER BY stream').all(),
    [{ stream: 'alert_events', acked: 0, lastId: 0, lost: 0 }, { stream: 'diagnoses', acked: 0, lastId: 0, lost: 0 }]);
  assert.match((db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value, /^[0-9a-f]{12}$/);
  // Readers keep querying `diagnoses`: a view over the ring.
  assert.deepEqual(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'view'`).all(), [{ name: 'diagnoses' }]);
  const indexesOf = (t: string) => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).all(t) as { name: string }[]).map((r) => r.name).sort();
  // p0 is schema step 1's table, renamed: its indexes keep their names.
  assert.deepEqual(indexesOf('diagnoses_p0'), ['diagnoses_asset_time', 'diagnoses_class_time', 'diagnoses_sensor_time', 'diagnoses_time']);
  for (const t of ring.slice(1)) assert.deepEqual(indexesOf(t), [`${t}_asset_time`, `${t}_class_time`, `${t}_sensor_time`, `${t}_time`]);
  assert.deepEqual(db.prepare('SELECT part, rows, current FROM diagnosis_partitions ORDER BY part').all(),
    ring.map((_, k) => ({ part: k, rows: 0, current: k === 0 ? 1 : 0 })));
});

test('re-opening keeps data and does not re-run migrations', (t) => {
  const file = path.join(tempDir(t, 'drsnd-store-db-'), 'drsnd.db');
  const db1 = openDatabase(file);
  db1.prepare(`INSERT INTO sensors (id, asset, first_seen) VALUES ('s1', 'pump', 1)`).run();
  db1.close();
  const db2 = openDatabase(file, { synchronous: 'FULL' });
  t.after(() => db2.close());
  assert.equal(db2.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db2.pragma('synchronous', { simple: true }), 2); // 2 = FULL
  assert.deepEqual(db2.prepare('SELECT id, asset FROM sensors').all(), [{ id: 's1', asset: 'pump' }]);
});

test('a database from a newer drsnd is refused with the path in the error', (t) => {
  const file = path.join(tempDir(t, 'drsnd-store-db-'), 'future.db');
  const raw = new BetterSqlite3(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(() => openDatabase(file), (e) => isDrsndError(e, ErrorCodes.STORE) && e.message.includes(file) && /newer/.test(e.message));
  assert.throws(() => openDatabaseReadOnly(file), (e) => isDrsndError(e, ErrorCodes.STORE) && /newer/.test(e.message));
});

test('read-only open refuses a missing file and a file that is not a drsnd database', (t) => {
  const dir = tempDir(t, 'drsnd-store-db-');
  const missing = path.join(dir, 'missing.db');
  assert.throws(() => openReadOnly(missing), (e) => isDrsndError(e, ErrorCodes.STORE) && e.message.includes(missing));
  const empty = path.join(dir, 'empty.db');
  new BetterSqlite3(empty).close();
  assert.throws(() => openReadOnly(empty), (e) => isDrsndError(e, ErrorCodes.STORE) && /not a drsnd database/.test(e.message));
  const garbage = path.join(dir, 'garbage.db');
  writeFileSync(garbage, 'this is not sqlite at all, just some text that is long enough to have a header'.repeat(10));
  assert.throws(() => openDatabase(garbage), (e) => isDrsndError(e, ErrorCodes.STORE) && e.message.includes(garbage));
});

test('read-only handle cannot write', (t) => {
  const file = path.join(tempDir(t, 'drsnd-store-db-'), 'drsnd.db');
  openDatabase(file).close();
  const reader = openReadOnly(file);
  t.after(() => reader.close());
  assert.throws(() => reader.ackAlert(1), (e) => isDrsndError(e, ErrorCodes.STORE));
});

// Alert lifecycle: raise creates an alert, change updates it, clear closes it, every transition is an
// event row, and an operator can acknowledge it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingsSchema } from '../../src/config/schema.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { openReadWrite } from '../../src/store/reader.js';
import { openDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { sqlite } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/temp.js';
import type { AlertEvent } from '../../src/types.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

async function openStore(t: test.TestContext, now: () => number = Date.now) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-alerts-'));
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db') } });
  const store = new Store({ settings: settings.store, log: createLogger('silent'), now });
  await store.start();
  t.after(async () => { await store.stop(); rmSync(dir, { recursive: true, force: true }); });
  return store;
}

const ev = (transition: AlertEvent['transition'], className: string, previousClassName: string | null, confidence: number, at: number, sensorId = 's1'): AlertEvent =>
  ({ sensorId, asset: 'pump1', transition, className, previousClassName, confidence, at });

test('raise, change, clear: one alert row, three events, peak confidence kept', async (t) => {
  const store = await openStore(t);
  const { alertId } = store.recordAlertEvent(ev('raised', 'IR007', null, 0.85, 1_000));
  assert.ok(alertId > 0);
  let [a] = store.alerts({ active: true });
  assert.equal(a.id, alertId);
  assert.equal(a.state, 'active');
  assert.equal(a.className, 'IR007');
  assert.equal(a.raisedAt, 1_000);

  assert.equal(store.recordAlertEvent(ev('changed', 'IR014', 'IR007', 0.97, 2_000)).alertId, alertId);
  [a] = store.alerts({ active: true });
  assert.equal(a.className, 'IR014');
  assert.equal(a.lastChangedAt, 2_000);
  assert.equal(a.peakConfidence, 0.97);

  assert.equal(store.recordAlertEvent(ev('cleared', 'IR014', null, 0.9, 3_000)).alertId, alertId);
  assert.deepEqual(store.alerts({ active: true }), []);
  [a] = store.alerts({ active: false });
  assert.equal(a.state, 'cleared');
  assert.equal(a.clearedAt, 3_000);
  assert.equal(a.peakConfidence, 0.97);
  assert.equal(a.raisedAt, 1_000);

  const events = store.alertEvents(alertId);
  assert.deepEqual(events.map((e) => e.id), [1, 2, 3], 'event ids: the outbox publishes them in this order');
  assert.deepEqual(events.map((e) => [e.transition, e.className, e.previousClassName, e.at]), [
    ['raised', 'IR007', null, 1_000], ['changed', 'IR014', 'IR007', 2_000], ['cleared', 'IR014', null, 3_000],
  ]);

  // A new episode on the same sensor is a new alert.
  const second = store.recordAlertEvent(ev('raised', 'B007', null, 0.8, 4_000));
  assert.notEqual(second.alertId, alertId);
  assert.deepEqual(store.alerts().map((x) => x.id), [second.alertId, alertId], 'newest raised first');
});

test('the store tolerates a state machine that restarted: raise while active, change or clear without one', async (t) => {
  const store = await openStore(t);
  assert.deepEqual(store.recordAlertEvent(ev('cleared', 'IR007', null, 0.9, 500)), { alertId: 0, eventId: 0 }, 'nothing recorded');
  assert.deepEqual(store.alerts(), []);

  const { alertId } = store.recordAlertEvent(ev('changed', 'IR007', 'OR007@6', 0.9, 1_000));
  assert.equal(store.alerts({ active: true })[0].id, alertId, 'a change without an alert raises one');
  const again = store.recordAlertEvent(ev('raised', 'B007', null, 0.8, 2_000));
  assert.equal(again.alertId, alertId, 'a second raise changes the active alert');
  assert.equal(store.alerts({ active: true }).length, 1);
  assert.deepEqual(store.alertEvents(alertId).map((e) => [e.transition, e.previousClassName]), [['raised', null], ['changed', 'IR007']]);

  // Alerts on different sensors are independent.
  const other = store.recordAlertEvent(ev('raised', 'IR007', null, 0.9, 2_500, 's2'));
  assert.notEqual(other.alertId, alertId);
  assert.equal(store.alerts({ active: true }).length, 2);
});

test('acknowledging records who and when; unknown ids are NOT_FOUND', async (t) => {
  let now = 10_000;
  const store = await openStore(t, () => now);
  const { alertId } = store.recordAlertEvent(ev('raised', 'IR007', null, 0.85, 1_000));
  const acked = store.ackAlert(alertId, 'alice');
  assert.equal(acked.acknowledgedAt, 10_000);
  assert.equal(acked.acknowledgedBy, 'alice');
  assert.equal(acked.state, 'active', 'ack does not clear the alert');
  assert.throws(() => store.ackAlert(alertId + 100), (e) => isDrsndError(e, ErrorCodes.NOT_FOUND));

  // The CLI acknowledges through its own connection while the daemon holds the file open.
  now = 20_000;
  const cli = openReadWrite(store.path);
  t.after(() => cli.close());
  const byCli = cli.ackAlert(alertId, undefined, 15_000);
  assert.equal(byCli.acknowledgedBy, null);
  assert.equal(store.alerts()[0].acknowledgedAt, 15_000);

  // Each acknowledgement is an event the outbox publishes, with a fresh id, whichever process made it.
  assert.deepEqual(store.alertEvents(alertId).map((e) => [e.transition, e.by, e.at]), [['raised', null, 1_000], ['acknowledged', 'alice', 10_000], ['acknowledged', null, 15_000]]);
  assert.deepEqual(store.outbox.alertEvents(0, 10).map((e) => [e.id, e.transition, e.by]), [[1, 'raised', null], [2, 'acknowledged', 'alice'], [3, 'acknowledged', null]]);
  assert.equal(store.outbox.cursor('alert_events').lastId, 3);
});

test('schema step 4 keeps the alert events of a database from before acknowledgements were events', async (t) => {
  const file = path.join(tempDir(t, 'drsnd-upgrade-'), 'd.db');
  const old = new BetterSqlite3(file);
  for (const m of migrations.slice(0, 3)) m(old);
  old.pragma('user_version = 3');
  old.prepare(`INSERT INTO alerts (id, sensor, asset, class_name, state, raised_at, last_changed_at, peak_confidence) VALUES (7, 's', 'a', 'IR007', 'active', 1, 1, 0.9)`).run();
  old.prepare(`INSERT INTO alert_events (id, alert_id, transition, class_name, previous_class_name, confidence, at) VALUES (41, 7, 'raised', 'IR007', NULL, 0.9, 1)`).run();
  old.close();
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual(db.prepare('SELECT id, alert_id, transition, by FROM alert_events').all(), [{ id: 41, alert_id: 7, transition: 'raised', by: null }]);
  assert.equal(db.prepare(`SELECT count(*) AS n FROM pragma_foreign_key_list('alert_events')`).pluck().get(), 1, 'still deleted with its alert');
});

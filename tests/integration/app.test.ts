// The composition root in-process (issue 22): createApp with a real mosquitto, a real SQLite file, the
// shipped model and a simulated faulty bearing. The components it wires (store, outbox relay,
// alerts/health, publisher) deliver every committed diagnosis with its id, raise the alert, stop in
// order with nothing left unpublished, and a database file deleted under the running app is fatal.
import test from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { createApp } from '../../src/app.js';
import { settingsSchema } from '../../src/config/schema.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startTestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/capture.js';
import { projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

test('createApp: committed diagnoses and the alert reach MQTT with their ids, stop leaves nothing unpublished; a deleted database is fatal', { timeout: 120_000 }, async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const dir = tempDir(t, 'drsnd-app-');
  const settings = settingsSchema.parse({
    gateway: { id: 'app' },
    mqtt: { url: broker.url, reconnectMs: 200 },
    store: { path: path.join(dir, 'd.db') },
    model: { dir: path.join(projectRoot, 'models', 'drsn-cw-cwru') },
    inference: { workers: 1 },
    sensors: [{ id: 'fan2-de', asset: 'fan2', rateHz: 12_000, unit: 'g', axes: ['x'], range: 50,
      source: { type: 'simulator', condition: 'outer_race', severity: 1, rpm: 1797, seed: 2 } }],
  });
  const sub = await connectAsync(broker.url, { clientId: 'app-observer', protocolVersion: 5 });
  t.after(() => sub.endAsync(true));
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  sub.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await sub.subscribeAsync('drsnd/app/#', { qos: 1 });

  const fatal: Error[] = [];
  const app = createApp(settings, { log: createLogger('silent'), cwd: dir, onFatal: (e) => fatal.push(e) });
  t.after(() => app.stop());
  await app.start();
  await waitFor(() => got.some((m) => m.topic === 'drsnd/app/events/alert') && got.filter((m) => m.topic.endsWith('/diagnosis')).length >= 10,
    'an alert event and 10 diagnoses', 60_000);
  await app.stop();

  const db = new BetterSqlite3(settings.store.path, { readonly: true });
  const storeId = (db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value;
  const rows = (db.prepare('SELECT id FROM diagnoses ORDER BY id').all() as { id: number }[]).map((r) => `${storeId}-d${r.id}`);
  const cursor = db.prepare(`SELECT acked FROM outbox WHERE stream = 'diagnoses'`).get() as { acked: number };
  db.close();
  const diagnosisIds = got.filter((m) => m.topic.endsWith('/diagnosis')).map((m) => JSON.parse(m.payload).id as string);
  assert.equal(app.stats().diagnoses, rows.length, 'the diagnoses counter counts stored rows');
  assert.equal(app.stats().unpublished, 0);
  assert.deepEqual(diagnosisIds, rows, 'every stored diagnosis once, in order, stop included');
  assert.equal(cursor.acked, rows.length, 'a clean stop recorded every acknowledgement');
  const raised = JSON.parse(got.find((m) => m.topic === 'drsnd/app/events/alert')!.payload);
  assert.equal(raised.transition, 'raised');
  assert.ok(got.some((m) => m.topic === 'drsnd/app/fan2/fan2-de/alert' && JSON.parse(m.payload).alertId === raised.alertId));
  assert.ok(got.some((m) => m.topic === 'drsnd/app/fan2/fan2-de/health' && JSON.parse(m.payload).status === 'fault'));
  assert.equal(got.filter((m) => m.topic === 'drsnd/app/status').at(-1)?.payload, 'offline');

  // The database file deleted under a running app: reported once as fatal (main.ts then exits 1).
  const again = createApp(settings, { log: createLogger('silent'), cwd: dir, onFatal: (e) => fatal.push(e) });
  t.after(() => again.stop());
  await again.start();
  rmSync(settings.store.path);
  await waitFor(() => fatal.length > 0, 'the fatal report', 10_000);
  assert.ok(isDrsndError(fatal[0], ErrorCodes.STORE_REPLACED), String(fatal[0]));
  await again.stop();
});

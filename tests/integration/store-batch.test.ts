// The batched diagnosis writer: commits by row count and by time, and tells listeners only after commit.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

function diag(i: number, over: Partial<Diagnosis> = {}): Diagnosis {
  return {
    sensorId: 's1', asset: 'pump1', channel: 'x', windowStart: 1_000 + i * 100, windowEnd: 1_170 + i * 100,
    classIndex: 0, className: 'Normal', kind: 'normal', probabilities: [0.75, 0.25], confidence: 0.75,
    modelId: 'drsn-test', modelVersion: '1.0.0', latencyMs: 4, ...over,
  };
}

async function openStore(t: test.TestContext, store: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-batch-'));
  const settings = settingsSchema.parse({ store: { path: 'db/drsnd.db', ...store } });
  const clock = new ManualClock();
  const s = new Store({ settings: settings.store, log: createLogger('silent'), cwd: dir, clock });
  await s.start();
  // A second connection, as another process would see the file.
  const other = new BetterSqlite3(s.path, { readonly: true });
  const count = () => (other.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n;
  t.after(async () => {
    other.close();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store: s, count, dir, clock };
}

test('a batch commits when it reaches batchMaxRows, not before', async (t) => {
  const { store, count } = await openStore(t, { batchMaxRows: 5, batchMaxMs: 60_000 });
  for (let i = 0; i < 4; i++) store.enqueue(diag(i));
  assert.equal(count(), 0, 'nothing visible before the batch is full');
  store.enqueue(diag(4));
  assert.equal(count(), 5, 'the fifth row commits the batch synchronously');
  assert.equal(store.stats.batches, 1);
});

test('a partial batch commits after batchMaxMs, not before (virtual time)', async (t) => {
  const { store, count, clock } = await openStore(t, { batchMaxRows: 1000, batchMaxMs: 40 });
  const committed: Array<{ n: number; firstId: number }> = [];
  store.onCommitted((ds, firstId) => committed.push({ n: ds.length, firstId }));
  store.enqueue(diag(0));
  await clock.advance(20);
  store.enqueue(diag(1));
  store.enqueue(diag(2));
  await clock.advance(19);
  assert.equal(count(), 0, 'nothing before batchMaxMs after the first row');
  assert.deepEqual(committed, []);
  await clock.advance(1);
  assert.deepEqual(committed, [{ n: 3, firstId: 1 }]);
  assert.equal(count(), 3);
  store.enqueue(diag(3));
  await clock.advance(40);
  assert.deepEqual(committed[1], { n: 1, firstId: 4 }, 'ids continue across batches');
});

test('onCommitted runs after the transaction: another connection already sees the rows', async (t) => {
  const { store, count } = await openStore(t, { batchMaxRows: 3, batchMaxMs: 60_000 });
  const seen: Array<{ batch: number; visible: number }> = [];
  store.onCommitted((ds) => seen.push({ batch: ds.length, visible: count() }));
  for (let i = 0; i < 7; i++) store.enqueue(diag(i));
  assert.deepEqual(seen, [{ batch: 3, visible: 3 }, { batch: 3, visible: 6 }]);
  assert.equal(store.flush(), 1);
  assert.deepEqual(seen.at(-1), { batch: 1, visible: 7 });
});

test('rows round-trip with their fields and probabilities; sensors get last_seen', async (t) => {
  const { store } = await openStore(t, { batchMaxRows: 100 });
  store.upsertSensors([{ id: 's1', asset: 'pump1', rateHz: 12_000, unit: 'g', axes: ['x', 'y'] }]);
  store.enqueue(diag(0, { classIndex: 3, className: 'IR007', kind: 'fault', probabilities: [0.1, 0.2, 0.3, 0.4], confidence: 0.4 }));
  store.flush();
  const [row] = store.history();
  assert.equal(row.className, 'IR007');
  assert.equal(row.kind, 'fault');
  assert.equal(row.windowEnd, 1_170);
  assert.deepEqual(row.probabilities.map((p) => Math.round(p * 1e6) / 1e6), [0.1, 0.2, 0.3, 0.4]);
  const [sensor] = store.sensors();
  assert.deepEqual(sensor.axes, ['x', 'y']);
  assert.equal(sensor.rateHz, 12_000);
  assert.ok(sensor.lastSeen !== null && sensor.lastSeen >= sensor.firstSeen);
});

test('stop() commits what is still buffered; enqueue after stop is counted, not written', async (t) => {
  const { store, count } = await openStore(t, { batchMaxRows: 100, batchMaxMs: 60_000 });
  const file = store.path;
  store.enqueue(diag(0));
  store.enqueue(diag(1));
  await store.stop();
  assert.equal(count(), 2);
  store.enqueue(diag(2));
  assert.equal(store.stats.failedRows, 1);
  const db = new BetterSqlite3(file, { readonly: true });
  t.after(() => db.close());
  assert.equal((db.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n, 2);
});

test('a listener that throws does not break committing or the other listeners', async (t) => {
  const { store, count } = await openStore(t, { batchMaxRows: 2 });
  let calls = 0;
  store.onCommitted(() => { throw new Error('boom'); });
  store.onCommitted(() => { calls++; });
  for (let i = 0; i < 4; i++) store.enqueue(diag(i));
  assert.equal(calls, 2);
  assert.equal(count(), 4);
});

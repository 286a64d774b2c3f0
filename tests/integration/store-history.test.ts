// History queries: every filter narrows, results are newest first, limit applies after filtering.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { openReadOnly } from '../../src/store/reader.js';
import type { Diagnosis } from '../../src/types.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;

function diag(sensorId: string, asset: string, className: string, minute: number): Diagnosis {
  return {
    sensorId, asset, channel: 'x', windowStart: T0 + minute * MIN - 170, windowEnd: T0 + minute * MIN,
    classIndex: className === 'Normal' ? 0 : 4, className, kind: className === 'Normal' ? 'normal' : 'fault',
    probabilities: [0.5, 0.5], confidence: 0.5, modelId: 'm', modelVersion: '1', latencyMs: 1,
  };
}

test('history filters by sensor, asset, class and time range, newest first', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-history-'));
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db') } });
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(async () => { await store.stop(); rmSync(dir, { recursive: true, force: true }); });

  // 3 sensors on 2 assets, one diagnosis per minute for 10 minutes; s2 faults from minute 5.
  for (let m = 0; m < 10; m++) {
    store.enqueue(diag('s1', 'pump1', 'Normal', m));
    store.enqueue(diag('s2', 'pump1', m >= 5 ? 'OR007@6' : 'Normal', m));
    store.enqueue(diag('s3', 'fan1', 'Normal', m));
  }
  store.flush();

  const times = (rows: { windowEnd: number }[]) => rows.map((r) => (r.windowEnd - T0) / MIN);

  const all = store.history({ limit: 1000 });
  assert.equal(all.length, 30);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].windowEnd >= all[i].windowEnd, 'newest first');

  const s2 = store.history({ sensor: 's2' });
  assert.deepEqual(times(s2), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.ok(s2.every((r) => r.sensorId === 's2'));

  const fan = store.history({ asset: 'fan1' });
  assert.equal(fan.length, 10);
  assert.ok(fan.every((r) => r.sensorId === 's3'));

  const faults = store.history({ className: 'OR007@6' });
  assert.deepEqual(times(faults), [9, 8, 7, 6, 5]);

  const window = store.history({ asset: 'pump1', since: T0 + 3 * MIN, until: T0 + 4 * MIN });
  assert.equal(window.length, 4, 'since and until are inclusive');
  assert.deepEqual([...new Set(times(window))], [4, 3]);

  const latest = store.history({ sensor: 's1', limit: 2 });
  assert.deepEqual(times(latest), [9, 8]);

  assert.deepEqual(store.history({ sensor: 'nope' }), []);
  assert.deepEqual(store.history({ sensor: 's3', className: 'OR007@6' }), []);

  // The CLI's read-only handle answers the same query the same way.
  const reader = openReadOnly(store.path);
  t.after(() => reader.close());
  assert.deepEqual(reader.history({ className: 'OR007@6' }), faults);
});

// The fused verdict, indicators, speed and evidence of a diagnosis are stored (schema step 4), read
// back by history and the read-only reader, filtered by component and ISO zone; a version-2 database
// is upgraded in place with its rows intact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sqlite } from '../../src/store/sqlite.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { migrations } from '../../src/store/migrations.js';
import { openReadOnly } from '../../src/store/reader.js';
import { Store } from '../../src/store/store.js';
import type { WindowPhysics } from '../../src/physics/types.js';
import type { Diagnosis } from '../../src/types.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const Database = sqlite();

const T0 = Date.parse('2026-03-01T00:00:00Z');

function diag(minute: number, physics?: WindowPhysics, component: NonNullable<Diagnosis['fusion']>['component'] = 'normal'): Diagnosis {
  return {
    sensorId: 's1', asset: 'pump1', channel: 'x', windowStart: T0 + minute * 60_000 - 170, windowEnd: T0 + minute * 60_000,
    classIndex: 0, className: 'Normal', kind: 'normal', probabilities: [0.9, 0.1], confidence: 0.9, modelId: 'm', modelVersion: '1', latencyMs: 1,
    ...(physics ? { physics, fusion: { component, confidence: 0.93, severity: component === 'normal' ? 'none' : 'medium', reason: `because ${minute}` } } : {}),
  };
}

const physics = (zone: 'A' | 'C', withEvidence: boolean): WindowPhysics => ({
  indicators: { rmsG: 0.2, peakG: 1.1, crest: 5.5, kurtosis: 7.25, velocityMmS: zone === 'A' ? 1.0 : 5.0, isoZone: zone },
  evidence: withEvidence ? {
    shaftHz: 29.95, speedSource: 'estimated', bandHz: [2250, 3000], band: 'kurtogram', bandSk: 6, at: 0,
    linesDb: { bpfo: [22, 18, 12], bpfi: [3, 2, 1], bsf2: [4, 3, 2], ftf: [1, 1, 1] }, bpfiSidebandsDb: 2,
    strengthDb: { outer_race: 30, inner_race: 3, ball: 4, cage: 1 }, scores: { outer_race: 1, inner_race: 0, ball: 0, cage: 0 },
  } : null,
  ...(withEvidence ? {} : { evidenceNote: 'no speed' }),
  sensorFaults: withEvidence ? [] : [{ kind: 'mains', detail: 'x' }, { kind: 'spikes', detail: 'y' }],
});

test('physics fields round-trip through SQLite and filter history by component and zone', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-physics-'));
  const settings = settingsSchema.parse({ store: { path: path.join(dir, 'drsnd.db') } });
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(async () => { await store.stop(); rmSync(dir, { recursive: true, force: true }); });
  store.enqueue(diag(1));
  store.enqueue(diag(2, physics('C', true), 'outer_race'));
  store.enqueue(diag(3, physics('A', false), 'sensor_fault'));
  store.flush();

  const [r3, r2, r1] = store.history();
  assert.equal(r1.fusion, undefined, 'no physics, no columns');
  assert.deepEqual(r2.fusion, { component: 'outer_race', confidence: 0.93, severity: 'medium', reason: 'because 2' });
  assert.deepEqual(r2.indicators, { rmsG: 0.2, peakG: 1.1, crest: 5.5, kurtosis: 7.25, velocityMmS: 5.0, isoZone: 'C' });
  assert.deepEqual([r2.shaftHz, r2.speedSource], [29.95, 'estimated']);
  assert.deepEqual(r2.evidence, { outer_race: 1, inner_race: 0, ball: 0, cage: 0 });
  assert.equal(r3.evidence, undefined);
  assert.deepEqual(r3.sensorFaults, ['mains', 'spikes']);
  assert.deepEqual(store.history({ component: 'outer_race' }).map((r) => r.id), [r2.id]);
  assert.deepEqual(store.history({ minZone: 'C' }).map((r) => r.id), [r2.id]);
  const reader = openReadOnly(settings.store.path);
  try {
    assert.deepEqual(reader.history({ component: 'sensor_fault' }).map((r) => r.sensorFaults), [['mains', 'spikes']]);
  } finally {
    reader.close();
  }
});

test('a version-2 database is upgraded: old rows keep their values and read with empty physics', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-physics-mig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'drsnd.db');
  const old = new Database(file);
  for (const m of migrations.slice(0, 2)) m(old);
  old.pragma('user_version = 2');
  old.prepare(`INSERT INTO diagnoses_p0 (id, sensor, asset, channel, window_start, window_end, class_index, class_name, kind, confidence, probabilities, model_id, model_version, latency_ms, created_at)
    VALUES (1, 's1', 'pump1', 'x', 0, 170, 2, 'OR007@6', 'fault', 0.97, x'00000000', 'm', '1', 3, 200)`).run();
  old.prepare('UPDATE diagnosis_partitions SET rows = 1 WHERE part = 0').run();
  old.close();

  const settings = settingsSchema.parse({ store: { path: file } });
  const store = new Store({ settings: settings.store, log: createLogger('silent') });
  await store.start();
  t.after(() => store.stop());
  store.enqueue(diag(1, physics('A', true), 'outer_race'));
  store.flush();
  const [fresh, legacy] = store.history();
  assert.deepEqual([legacy.className, legacy.confidence, legacy.fusion, legacy.indicators], ['OR007@6', 0.97, undefined, undefined]);
  assert.equal(fresh.fusion?.component, 'outer_race');
});

// Alert snapshots (issue 20): the raw window that raised an alert is kept with it. On a running daemon
// (real mosquitto, real SQLite, the shipped model, a simulated outer-race defect) the snapshot is the
// very window the model judged (normalized and run through the engine again, it gives the stored
// diagnosis's probabilities), it is served over HTTP as JSON, CSV and float32 and exported by
// `drsnd alerts show`; the store keeps snapshots within their count and byte bounds; the split
// pipeline's DSP workers answer from their ring too.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { sqlite } from '../../src/store/sqlite.js';
import { createApp } from '../../src/app.js';
import { alertsCommand } from '../../src/cli/alerts.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { loadModel } from '../../src/model/metadata.js';
import { selectEngine } from '../../src/model/select.js';
import { normalizeData } from '../../src/pipeline/normalize.js';
import { createDspPool } from '../../src/runtime/dsp-pool.js';
import { decodeF32LE } from '../../src/data/recording.js';
import { decodeProbabilities } from '../../src/store/rows.js';
import { Store } from '../../src/store/store.js';
import type { Frame, SensorMeta } from '../../src/types.js';
import { startTestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/capture.js';
import { projectRoot } from '../helpers/data.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

const MODEL_DIR = path.join(projectRoot, 'models', 'drsn-cw-cwru');

function sink() {
  let text = '';
  return { stream: { write: (s: string) => { text += s; return true; } } as unknown as NodeJS.WritableStream, text: () => text };
}

test('the window that raised an alert is stored, is the one the model judged, and is served and exported', { timeout: 120_000 }, async (t) => {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const dir = tempDir(t, 'drsnd-snap-');
  const settings = settingsSchema.parse({
    gateway: { id: 'snap' },
    mqtt: { url: broker.url, reconnectMs: 200 },
    store: { path: path.join(dir, 'd.db') },
    model: { dir: MODEL_DIR },
    inference: { workers: 1 },
    http: { port: 0 },
    sensors: [{ id: 'fan2-de', asset: 'fan2', rateHz: 25_600, unit: 'g', axes: ['x'], range: 50,
      source: { type: 'simulator', condition: 'outer_race', severity: 1, rpm: 1797, seed: 2 } }],
  });
  const app = createApp(settings, { log: createLogger('silent'), cwd: dir });
  t.after(() => app.stop());
  await app.start();
  const base = app.httpUrl()!;
  let detail: any;
  await waitFor(() => (detail?.snapshots?.length ?? 0) > 0, 'an alert with a snapshot', 60_000, () => {
    void request(`${base}/api/v1/alerts?state=active`).then(async (r) => {
      const id = r.body?.items?.[0]?.id;
      if (id) detail = (await request(`${base}/api/v1/alerts/${id}`)).body;
    }).catch(() => undefined); // a poll still in flight when the test stops the daemon
  });
  const meta = detail.snapshots[0];
  assert.equal(meta.alertId, detail.id);
  assert.equal(meta.eventId, detail.events[0].id, 'the snapshot of the raise');
  assert.deepEqual([meta.length, meta.rateHz, meta.unit], [2048, 12_000, 'g'], 'at the model rate and unit, not the sensor\'s 25.6 kHz');

  const snap = (await request(`${base}/api/v1/snapshots/${meta.id}`)).body;
  assert.equal(snap.samples.length, 2048);
  assert.equal(snap.spectrum.magnitude.length, 1025);
  assert.equal(snap.spectrum.binHz, 12_000 / 2048);
  assert.equal(snap.evidence, null);
  const f32 = await fetch(`${base}/api/v1/snapshots/${meta.id}?format=f32`);
  assert.equal(f32.headers.get('content-type'), 'application/octet-stream');
  const samples = new Float32Array(await f32.arrayBuffer());
  assert.equal(samples.length, 2048);
  snap.samples.forEach((v: number, i: number) => assert.ok(Math.abs(v - samples[i]) < 1e-6));
  const csv = await (await fetch(`${base}/api/v1/snapshots/${meta.id}?format=csv`)).text();
  assert.equal(csv.split('\n')[0], 't_s,x_g');
  assert.equal((await request(`${base}/api/v1/snapshots/999999`)).status, 404);
  await app.stop();

  // The model sees exactly this window: normalized and run again, it gives the stored diagnosis.
  const db = new BetterSqlite3(settings.store.path, { readonly: true });
  const row = db.prepare('SELECT probabilities, class_name, component FROM diagnoses WHERE sensor = ? AND window_start = ?').get('fan2-de', Date.parse(meta.windowStart)) as { probabilities: Buffer; class_name: string; component: string };
  db.close();
  assert.ok(row, 'a stored diagnosis of the snapshot window');
  // The snapshot names the DRSN's class of its window; the alert is about that window's fused verdict.
  assert.equal(row.class_name, meta.className);
  assert.equal(row.component, detail.className, 'the alert is about the snapshot window\'s verdict');
  const model = await loadModel(MODEL_DIR);
  const { engine } = await selectEngine({ modelDir: MODEL_DIR, meta: model.meta, engine: 'auto', backend: 'auto' });
  t.after(() => engine.dispose());
  const probs = await engine.run(normalizeData(samples.slice(), model.meta.normalization), 1);
  decodeProbabilities(row.probabilities).forEach((p, i) => assert.ok(Math.abs(p - probs[i]) < 1e-5, `class ${i}: ${p} vs ${probs[i]}`));

  // drsnd alerts show: the alert, its events, its snapshots; --export writes the samples.
  const ctx = (out: ReturnType<typeof sink>) => ({ settings, out: out.stream, err: out.stream, cwd: dir });
  const shown = sink();
  assert.equal(await alertsCommand(['show', String(detail.id)], ctx(shown)), 0, shown.text());
  assert.match(shown.text(), /raised/);
  assert.match(shown.text(), /2048 @ 12000 Hz/);
  const out = sink();
  assert.equal(await alertsCommand(['show', String(detail.id), '--export', path.join(dir, 'w.f32')], ctx(out)), 0, out.text());
  assert.deepEqual(decodeF32LE(readFileSync(path.join(dir, 'w.f32'))), samples);
  assert.equal(await alertsCommand(['show', String(detail.id), '--export', path.join(dir, 'w.csv')], ctx(sink())), 0);
  assert.equal(readFileSync(path.join(dir, 'w.csv'), 'utf8'), csv);
  assert.equal(await alertsCommand(['show', String(detail.id), '--export', path.join(dir, 'w.wav')], ctx(sink())), 2);
  assert.equal(await alertsCommand(['show', '999999'], ctx(sink())), 1);
});

test('snapshots stay within maxCount and maxBytes, oldest dropped first, and go with their alert', async (t) => {
  const dir = tempDir(t, 'drsnd-snap-store-');
  const store = new Store({ settings: settingsSchema.parse({ store: { path: path.join(dir, 'd.db') } }).store, log: createLogger('silent') });
  await store.start();
  t.after(() => store.stop());
  const { alertId, eventId } = store.recordAlertEvent({ sensorId: 's', asset: 'a', transition: 'raised', className: 'IR007', previousClassName: null, confidence: 0.9, at: 1 });
  const save = (i: number, n: number, bounds: { maxCount: number; maxBytes: number }) => store.saveSnapshot({
    alertId, eventId, sensorId: 's', channel: 'x', windowStart: i, windowEnd: i + 1, rateHz: 12_000, unit: 'g', className: 'IR007',
    confidence: 0.9, samples: new Float32Array(n).fill(i), createdAt: i,
  }, bounds);
  const ids = [1, 2, 3, 4, 5].map((i) => save(i, 100, { maxCount: 3, maxBytes: 1e9 }).id);
  const reader = (await import('../../src/store/reader.js')).openReadOnly(store.path);
  t.after(() => reader.close());
  assert.deepEqual(reader.snapshots(alertId).map((s) => s.id), ids.slice(2), 'the newest three');
  assert.equal(save(6, 300, { maxCount: 100, maxBytes: 1_900 }).dropped, 2, '3 × 400 + 1,200 bytes over 1,900: the two oldest go');
  assert.deepEqual(reader.snapshots(alertId).map((s) => s.length), [100, 300]);
  assert.deepEqual(Array.from(reader.snapshot(reader.snapshots(alertId)[1].id)!.samples.subarray(0, 3)), [6, 6, 6]);
  store.database!.prepare('DELETE FROM alerts WHERE id = ?').run(alertId);
  assert.deepEqual(reader.snapshots(alertId), [], 'deleted with their alert (retention)');
});

test('split pipeline: a DSP worker answers from its ring with the raw window behind a normalized one; an old one is gone', async () => {
  const sensor: SensorMeta = { id: 's', asset: 'a', rateHz: 12_000, unit: 'g', axes: ['x'] };
  const model = (await loadModel(MODEL_DIR)).meta;
  const pool = createDspPool({ sensors: [sensor], model, hop: null, workers: 1, log: createLogger('silent'), ringWindows: 3 });
  try {
    const frames: Frame[] = Array.from({ length: 12 }, (_, k) => ({
      sensorId: 's', t0: 1_700_000_000_000 + (k * 1024 * 1000) / 12_000, rateHz: 12_000, unit: 'g', axes: ['x'],
      channels: [Float32Array.from({ length: 1024 }, (_, i) => Math.sin((k * 1024 + i) * 0.3) * 2 + 0.5)],
    }));
    const windows = await lastValueFrom(from(frames).pipe(pool.pipeline('s'), toArray()));
    assert.ok(windows.length >= 5);
    const last = windows.at(-1)!;
    const raw = await pool.window('s', 'x', last.start);
    assert.ok(raw, 'the newest window is in the ring');
    assert.equal(raw.end, last.end);
    const normalized = normalizeData(raw.data, model.normalization, new Float32Array(raw.data.length));
    normalized.forEach((v, i) => assert.ok(Math.abs(v - last.data[i]) < 1e-5));
    assert.ok(Math.abs(raw.data.reduce((a, b) => a + b, 0) / raw.data.length - 0.5) < 0.1, 'raw: the signal\'s own offset, not zero-mean');
    assert.equal(await pool.window('s', 'x', windows[0].start), undefined, 'older than the ring');
    assert.equal(await pool.window('s', 'nope', last.start), undefined);
  } finally {
    await pool.stop();
  }
});

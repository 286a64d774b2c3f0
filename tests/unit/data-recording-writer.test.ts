// What `drsnd record` writes is what `drsnd train --data` reads: the f32 files and the manifest entries
// written by addRecording load back through loadRecordingManifest with the same samples.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadRecordingManifest } from '../../src/data/recording.js';
import { addRecording } from '../../src/data/recording-writer.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp.js';

const ramp = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => k * Math.sin(i / 7) + i * 1e-4);

test('two recordings (a healthy and a faulty label) make a manifest loadRecordingManifest reads back sample for sample', (t) => {
  const dir = tempDir(t);
  const healthy = ramp(3000, 0.5);
  const a = addRecording(dir, { sensorId: 'pump1-de', label: 'Healthy', kind: null, component: null, rateHz: 12_000, unit: 'g', t0: Date.UTC(2026, 2, 1, 12), channels: [healthy], rpm: 1797 });
  assert.equal(path.basename(a.manifest), 'recordings.yaml');
  // One class only: not trainable yet, and the loader says so.
  assert.throws(() => loadRecordingManifest(a.manifest), (e) => isDrsndError(e, ErrorCodes.DATA_FILE_INVALID));
  const x = ramp(2000, 1.5);
  const y = ramp(2000, -0.7);
  addRecording(dir, { sensorId: 'pump1-de', label: 'OuterRace', kind: 'fault', component: 'outer_race', rateHz: 25_600, unit: 'm/s2', t0: Date.UTC(2026, 2, 1, 13), channels: [x, y] });
  const { classes, records } = loadRecordingManifest(a.manifest);
  assert.deepEqual(classes.map((c) => [c.name, c.kind, c.component]), [['Healthy', 'normal', null], ['OuterRace', 'fault', 'outer_race']]);
  assert.equal(records.length, 3, 'one record per channel');
  const [h, rx, ry] = records;
  assert.deepEqual([h.className, h.rateHz, h.unit, h.rpm, h.data.length], ['Healthy', 12_000, 'g', 1797, 3000]);
  assert.deepEqual(h.data, healthy);
  assert.deepEqual([rx.className, rx.rateHz, rx.unit, rx.data.length], ['OuterRace', 25_600, 'm/s2', 2000]);
  assert.deepEqual(rx.data, x);
  assert.deepEqual(ry.data, y);
  assert.match(h.id, /^pump1-de-Healthy-20260301T120000Z$/);
});

test('an existing manifest keeps its entries (JSON stays JSON); a label recorded again gets a new file; a kind that contradicts the class is refused', (t) => {
  const dir = tempDir(t);
  const manifest = path.join(dir, 'recordings.json');
  writeFileSync(manifest, JSON.stringify({ rateHz: 12_000, classes: [{ name: 'Normal', kind: 'normal' }, { name: 'IR', kind: 'fault' }], records: [] }));
  const rec = { sensorId: 's', label: 'IR', kind: null, component: null, rateHz: 12_000, unit: 'g', t0: 0, channels: [ramp(100, 1)] } as const;
  const first = addRecording(dir, rec);
  const second = addRecording(dir, rec);
  assert.equal(first.manifest, manifest);
  assert.notEqual(first.file, second.file);
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { rateHz: number; classes: unknown[]; records: Array<{ file: string }> };
  assert.equal(m.rateHz, 12_000);
  assert.equal(m.classes.length, 2);
  assert.deepEqual(m.records.map((r) => r.file), [path.basename(first.file), path.basename(second.file)]);
  assert.throws(() => addRecording(dir, { ...rec, kind: 'normal' }), /already in .* with kind fault/);
  assert.equal(parseYaml(readFileSync(manifest, 'utf8')).records.length, 2, 'a refused recording changes nothing');
});

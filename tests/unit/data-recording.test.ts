import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRecordingManifest, readSignalFile } from '../../src/data/recording.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDrsndError(e, ErrorCodes.DATA_FILE_INVALID), `expected DATA_FILE_INVALID, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

function f32Bytes(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}

test('reads interleaved float32, CSV with header/time column, and headerless CSV', (t) => {
  const dir = tempDir(t, 'drsnd-rec-');
  writeFileSync(path.join(dir, 'a.f32'), f32Bytes([1, 10, 2, 20, 3, 30]));
  const f = readSignalFile(path.join(dir, 'a.f32'), { channels: 2 });
  assert.deepEqual(f.channels.map((c) => Array.from(c)), [[1, 2, 3], [10, 20, 30]]);

  writeFileSync(path.join(dir, 'b.csv'), '# pump 3, DE housing\nt,ax,ay\n0,0.5,-1\n0.001,0.25,2\n\n0.002,-0.125,3e-1\n');
  const c = readSignalFile(path.join(dir, 'b.csv'));
  assert.deepEqual(c.names, ['ax', 'ay'], 'the time column is not a signal');
  assert.deepEqual(c.channels.map((x) => Array.from(x)), [[0.5, 0.25, -0.125], [-1, 2, Math.fround(0.3)]]);
  assert.deepEqual(Array.from(readSignalFile(path.join(dir, 'b.csv'), { columns: ['AY'] }).channels[0]), [-1, 2, Math.fround(0.3)]);

  writeFileSync(path.join(dir, 'c.txt'), '1.5;2\n3;4\n');
  assert.deepEqual(readSignalFile(path.join(dir, 'c.txt'), { columns: [1] }).channels.map((x) => Array.from(x)), [[2, 4]]);
});

test('reads a .mat variable, defaulting to the drive-end signal', () => {
  const file = path.join(projectRoot, 'tests', 'fixtures', 'mat', '105.mat');
  const de = readSignalFile(file);
  assert.deepEqual(de.names, ['X105_DE_time']);
  assert.equal(de.channels[0].length, 2048);
  const ba = readSignalFile(file, { variable: 'X105_BA_time' });
  assert.notDeepEqual(ba.channels[0], de.channels[0]);
  expectInvalid(() => readSignalFile(file, { variable: 'X999_DE_time' }), /105\.mat: has no variable "X999_DE_time" \(numeric variables: X105_DE_time/);
  expectInvalid(() => readSignalFile(path.join(projectRoot, 'tests', 'fixtures', 'mat', '99.mat'), { variable: 'info' }), /variable "info" cannot be read: unsupported class struct/);
});

test('bad signal files are rejected with the file and the problem', (t) => {
  const dir = tempDir(t, 'drsnd-rec-');
  writeFileSync(path.join(dir, 'odd.f32'), Buffer.alloc(10));
  expectInvalid(() => readSignalFile(path.join(dir, 'odd.f32')), /odd\.f32: 10 bytes is not a whole number/);
  writeFileSync(path.join(dir, 'nan.f32'), f32Bytes([1, NaN]));
  expectInvalid(() => readSignalFile(path.join(dir, 'nan.f32')), /nan\.f32: sample 1 is NaN/);
  writeFileSync(path.join(dir, 'bad.csv'), 'x,y\n1,2\n3,oops\n');
  expectInvalid(() => readSignalFile(path.join(dir, 'bad.csv')), /bad\.csv: line 3: column "y": "oops" is not a number/);
  writeFileSync(path.join(dir, 'short.csv'), 'x,y\n1,2\n3\n');
  expectInvalid(() => readSignalFile(path.join(dir, 'short.csv')), /short\.csv: line 3: 1 fields, expected 2/);
  expectInvalid(() => readSignalFile(path.join(dir, 'bad.csv'), { columns: ['z'] }), /has no column "z" \(columns: x, y\)/);
  expectInvalid(() => readSignalFile(path.join(dir, 'x.wav')), /x\.wav: cannot tell the format/);
  expectInvalid(() => readSignalFile(path.join(dir, 'gone.csv')), /gone\.csv: not found/);
});

test('a YAML manifest yields the class list and one labelled record per channel', (t) => {
  const dir = tempDir(t, 'drsnd-rec-');
  writeFileSync(path.join(dir, 'ok.f32'), f32Bytes([0.1, 0.2, 0.3, 0.4]));
  writeFileSync(path.join(dir, 'or.csv'), 'time,x,y\n0,1,2\n1,3,4\n');
  copyFileSync(path.join(projectRoot, 'tests', 'fixtures', 'mat', '130.mat'), path.join(dir, 'cwru130.mat'));
  writeFileSync(path.join(dir, 'recordings.yaml'), [
    'format: drsnd-recordings-1',
    'rateHz: 25600',
    'classes:',
    '  - { name: Healthy, kind: normal }',
    '  - { name: OuterRace, kind: fault, component: outer_race }',
    'records:',
    '  - { file: ok.f32, label: Healthy, rpm: 1480, loadHp: 5 }',
    '  - { file: or.csv, label: OuterRace, unit: m/s2 }',
    '  - { file: cwru130.mat, label: OuterRace, rateHz: 12000, id: cwru-130 }',
  ].join('\n'));
  const { classes, records } = loadRecordingManifest(path.join(dir, 'recordings.yaml'));
  assert.deepEqual(classes, [
    { index: 0, name: 'Healthy', kind: 'normal', component: null, sizeIn: null },
    { index: 1, name: 'OuterRace', kind: 'fault', component: 'outer_race', sizeIn: null },
  ]);
  assert.deepEqual(records.map((r) => [r.id, r.label, r.className, r.rateHz, r.unit, r.data.length]), [
    ['ok', 0, 'Healthy', 25600, 'g', 4],
    ['or_x', 1, 'OuterRace', 25600, 'm/s2', 2],
    ['or_y', 1, 'OuterRace', 25600, 'm/s2', 2],
    ['cwru-130', 1, 'OuterRace', 12000, 'g', 2048],
  ]);
  assert.deepEqual([records[0].rpm, records[0].loadHp, records[1].rpm], [1480, 5, null]);
  assert.equal(records[0].source, path.join(dir, 'ok.f32'));
  assert.deepEqual(Array.from(records[2].data), [2, 4]);
});

test('manifest mistakes are reported with where they are', (t) => {
  const dir = tempDir(t, 'drsnd-rec-');
  writeFileSync(path.join(dir, 'ok.f32'), f32Bytes([0.1, 0.2]));
  const write = (m: unknown) => { writeFileSync(path.join(dir, 'm.json'), JSON.stringify(m)); return path.join(dir, 'm.json'); };
  const classes = [{ name: 'N', kind: 'normal' }, { name: 'F', kind: 'fault' }];
  expectInvalid(() => loadRecordingManifest(write({ classes, records: [{ file: 'ok.f32', label: 'X', rateHz: 1 }] })), /m\.json: records\[0\]: label "X" is not one of the classes \(N, F\)/);
  expectInvalid(() => loadRecordingManifest(write({ classes, records: [{ file: 'ok.f32', label: 'N' }] })), /records\[0\]: no rateHz/);
  expectInvalid(() => loadRecordingManifest(write({ classes, records: [{ file: 'ok.f32', label: 'N', rateHz: -5 }] })), /records\.0\.rateHz/);
  expectInvalid(() => loadRecordingManifest(write({ classes: [{ name: 'F', kind: 'fault' }, { name: 'G', kind: 'fault' }], records: [{ file: 'ok.f32', label: 'F', rateHz: 1 }] })), /no class has kind "normal"/);
  expectInvalid(() => loadRecordingManifest(write({ classes, records: [{ file: 'missing.f32', label: 'N', rateHz: 1 }] })), /missing\.f32: not found/);
  expectInvalid(() => loadRecordingManifest(write({ classes, records: [{ file: 'ok.f32', label: 'N', rateHz: 1 }, { file: 'ok.f32', label: 'F', rateHz: 1 }] })), /record id "ok" is used twice/);
  writeFileSync(path.join(dir, 'broken.json'), '{ "classes": [');
  expectInvalid(() => loadRecordingManifest(path.join(dir, 'broken.json')), /broken\.json: cannot be parsed/);
});

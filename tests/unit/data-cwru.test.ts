import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCwruMatFolder, loadCwruRecords } from '../../src/data/cwru.js';
import { CWRU_CLASSES } from '../../src/data/records.js';
import { decodeF32LE } from '../../src/data/recording.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';

const fixtures = path.join(projectRoot, 'tests', 'fixtures', 'mat');

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDrsndError(e, ErrorCodes.DATA_FILE_INVALID), `expected DATA_FILE_INVALID, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('CWRU_CLASSES is the README table: Normal, then ball, inner race, outer race by 7/14/21 mil', () => {
  assert.deepEqual(CWRU_CLASSES.map((c) => c.name), ['Normal', 'B007', 'B014', 'B021', 'IR007', 'IR014', 'IR021', 'OR007@6', 'OR014@6', 'OR021@6']);
  CWRU_CLASSES.forEach((c, i) => assert.equal(c.index, i));
  assert.deepEqual(CWRU_CLASSES.map((c) => c.component), [null, 'ball', 'ball', 'ball', 'inner_race', 'inner_race', 'inner_race', 'outer_race', 'outer_race', 'outer_race']);
});

test('loads the 37 drive-end records with classes by fault type and diameter', (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const recs = loadCwruRecords(dir);
  assert.equal(recs.length, 37);
  const byId = new Map(recs.map((r) => [r.id, r]));
  assert.equal(byId.get('105_DE')!.className, 'IR007');
  assert.equal(byId.get('234_DE')!.className, 'OR021@6');
  assert.equal(byId.get('222_DE')!.className, 'B021');
  assert.equal(byId.get('212_DE')!.loadHp, 3);
  for (const r of recs) {
    assert.equal(CWRU_CLASSES[r.label].name, r.className);
    assert.equal(r.unit, 'g');
  }
  // Every class present, 4 loads per fault class.
  for (let label = 1; label < 10; label++) assert.equal(recs.filter((r) => r.label === label).length, 4);
  const normal = byId.get('97_DE')!;
  assert.equal(normal.kind, 'normal');
  assert.equal(normal.rateHz, 48_000, 'the original 48 kHz normal baseline, not the derived 12 kHz copy');
  assert.equal(normal.data.length, 243_938);
  assert.equal(path.basename(normal.source), '97_DE.f32');
  const ir = byId.get('105_DE')!;
  assert.equal(ir.rateHz, 12_000);
  assert.equal(ir.rpm, 1797);
  assert.deepEqual(ir.data, decodeF32LE(readFileSync(path.join(dir, '105_DE.f32'))));
});

test('filters by load and channel', (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const hp1 = loadCwruRecords(dir, { loads: [1] });
  assert.equal(hp1.length, 9);
  assert.ok(hp1.every((r) => r.loadHp === 1 && r.kind === 'fault'));
  const ba = loadCwruRecords(dir, { channel: 'BA', loads: [0] });
  assert.equal(ba.length, 9, '97 has no BA channel');
  assert.ok(ba.every((r) => r.id.endsWith('_BA') && path.basename(r.source).endsWith('_BA.f32')));
});

/** A private copy of part of the CWRU folder with a manifest we can edit (temp dir, never the repo). */
function partialCopy(t: { after(fn: () => void): void }, src: string, numbers: number[]): { dir: string; manifest: any } {
  const dir = tempDir(t, 'drsnd-cwru-');
  const manifest = JSON.parse(readFileSync(path.join(src, 'manifest.json'), 'utf8'));
  manifest.records = manifest.records.filter((r: any) => numbers.includes(r.cwru_file_number));
  for (const r of manifest.records) for (const c of r.channels) copyFileSync(path.join(src, c.file), path.join(dir, c.file));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, manifest };
}

test('maps classes by fault type and diameter even when manifest label numbers differ', (t) => {
  const src = cwruDir(t);
  if (!src) return;
  const { dir, manifest } = partialCopy(t, src, [118, 234]);
  // Another paper's ordering: swap the label numbers; the classes must not follow them.
  for (const r of manifest.records) r.label = r.label === 1 ? 9 : 1;
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const recs = loadCwruRecords(dir);
  assert.deepEqual(recs.map((r) => [r.id, r.className, r.label]).sort(), [['118_DE', 'B007', 1], ['234_DE', 'OR021@6', 9]]);
});

test('a truncated or missing data file is a DATA_FILE_INVALID error naming the file', (t) => {
  const src = cwruDir(t);
  if (!src) return;
  const { dir } = partialCopy(t, src, [105]);
  const file = path.join(dir, '105_DE.f32');
  writeFileSync(file, readFileSync(file).subarray(0, 1000));
  expectInvalid(() => loadCwruRecords(dir), /105_DE\.f32: is 1000 bytes, manifest\.json says 485060 bytes/);
  rmSync(file);
  expectInvalid(() => loadCwruRecords(dir), /105_DE\.f32: listed in manifest\.json but missing/);
  expectInvalid(() => loadCwruRecords(path.join(dir, 'nowhere')), /manifest\.json: not found/);
});

test('reads a folder of original CWRU .mat files, whatever their naming', (t) => {
  const dir = tempDir(t, 'drsnd-cwru-');
  copyFileSync(path.join(fixtures, '12k_Drive_End_IR007_0_105.mat'), path.join(dir, '12k_Drive_End_IR007_0_105.mat'));
  copyFileSync(path.join(fixtures, '130.mat'), path.join(dir, '130.mat'));
  copyFileSync(path.join(fixtures, '99.mat'), path.join(dir, '99.mat'));
  const recs = loadCwruMatFolder(dir);
  const byId = new Map(recs.map((r) => [r.id, r]));
  assert.deepEqual([...byId.keys()].sort(), ['105_DE', '130_DE', '99_DE']);
  const ir = byId.get('105_DE')!;
  assert.deepEqual([ir.className, ir.loadHp, ir.rateHz, ir.rpm, ir.data.length], ['IR007', 0, 12_000, 1797, 2048]);
  assert.equal(byId.get('130_DE')!.className, 'OR007@6');
  // 99.mat holds X098_DE_time too (a real CWRU quirk): the variable numbered like the file wins.
  const normal = byId.get('99_DE')!;
  assert.deepEqual([normal.className, normal.loadHp, normal.rateHz, normal.rpm, normal.data.length], ['Normal', 2, 48_000, 1750, 512]);
  const x099 = loadCwruMatFolder(dir, { loads: [2] })[0].data;
  assert.deepEqual(x099, normal.data);
  const src = cwruDir(t);
  if (src) assert.deepEqual(normal.data, decodeF32LE(readFileSync(path.join(src, '97_DE.f32'))).slice(512, 1024));
  const fe = loadCwruMatFolder(dir, { channel: 'FE', loads: [0] });
  assert.deepEqual(fe.map((r) => r.id).sort(), ['105_FE', '130_FE']);
  if (src) assert.deepEqual(fe.find((r) => r.id === '105_FE')!.data, decodeF32LE(readFileSync(path.join(src, '105_FE.f32'))).slice(0, 2048));
});

test('a .mat folder with unknown or duplicate CWRU files is rejected with the names', (t) => {
  const dir = tempDir(t, 'drsnd-cwru-');
  copyFileSync(path.join(fixtures, '105.mat'), path.join(dir, '105.mat'));
  copyFileSync(path.join(fixtures, '130.mat'), path.join(dir, '12k_Drive_End_IR007_0_109.mat'));
  expectInvalid(() => loadCwruMatFolder(dir), /not among the 40 CWRU files.*12k_Drive_End_IR007_0_109\.mat/);
  assert.deepEqual(loadCwruMatFolder(dir, { ignoreUnknown: true }).map((r) => r.id), ['105_DE']);
  copyFileSync(path.join(fixtures, '12k_Drive_End_IR007_0_105.mat'), path.join(dir, '12k_Drive_End_IR007_0_105.mat'));
  expectInvalid(() => loadCwruMatFolder(dir, { ignoreUnknown: true }), /is CWRU file 105 again/);
  expectInvalid(() => loadCwruMatFolder(path.join(dir, 'none')), /is not a folder/);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readMat, readMatContents } from '../../src/data/mat-reader.js';
import { isDrsndError, ErrorCodes } from '../../src/errors.js';
import { cwruDir, projectRoot } from '../helpers/data.js';

const fixtures = path.join(projectRoot, 'tests', 'fixtures', 'mat');
const load = (name: string) => readFileSync(path.join(fixtures, name));

function readF32(file: string, count: number, start = 0): Float32Array {
  const buf = readFileSync(file);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  return all.slice(start, start + count);
}

function assertSameAsF32(values: Float64Array, expected: Float32Array, what: string): void {
  assert.equal(values.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Math.fround(values[i]) !== expected[i]) assert.fail(`${what}[${i}]: ${values[i]} != ${expected[i]}`);
  }
}

for (const name of ['105.mat', '12k_Drive_End_IR007_0_105.mat']) {
  test(`reads CWRU-layout ${name} bit for bit against the CWRU f32 data`, (t) => {
    const dir = cwruDir(t);
    if (!dir) return;
    const vars = readMat(load(name), name);
    assert.deepEqual([...vars.keys()].sort(), ['X105RPM', 'X105_BA_time', 'X105_DE_time', 'X105_FE_time']);
    for (const ch of ['DE', 'FE', 'BA']) {
      const v = vars.get(`X105_${ch}_time`)!;
      assert.equal(v.cols, 1);
      assert.equal(v.rows, 2048);
      assertSameAsF32(v.data, readF32(path.join(dir, `105_${ch}.f32`), 2048), `X105_${ch}_time`);
    }
    const rpm = vars.get('X105RPM')!;
    assert.deepEqual([rpm.rows, rpm.cols, rpm.data[0]], [1, 1, 1797]);
  });
}

test('compressed and uncompressed files decode to identical arrays', () => {
  const a = readMat(load('105.mat'), '105.mat');
  const b = readMat(load('12k_Drive_End_IR007_0_105.mat'), 'c.mat');
  for (const [k, v] of a) assert.deepEqual(b.get(k)!.data, v.data, k);
  // The compressed fixture really uses miCOMPRESSED (type 15) right after the header.
  assert.equal(load('12k_Drive_End_IR007_0_105.mat').readUInt32LE(128), 15);
  assert.equal(load('105.mat').readUInt32LE(128), 14);
});

test('skips and lists char, struct, cell and complex variables without failing', (t) => {
  const { variables, skipped } = readMatContents(load('99.mat'), '99.mat');
  assert.deepEqual([...variables.keys()].sort(), ['X098_DE_time', 'X099RPM', 'X099_DE_time']);
  assert.deepEqual(skipped.map((s) => s.name).sort(), ['info', 'note', 'parts', 'z']);
  assert.match(skipped.find((s) => s.name === 'z')!.reason, /complex/);
  const dir = cwruDir(t);
  if (!dir) return;
  assertSameAsF32(variables.get('X099_DE_time')!.data, readF32(path.join(dir, '97_DE.f32'), 512, 512), 'X099_DE_time');
});

test('reads big-endian files, small data elements, single and int classes, column-major', (t) => {
  const vars = readMat(load('big-endian.mat'), 'big-endian.mat');
  const m = vars.get('m')!;
  assert.deepEqual([m.rows, m.cols, Array.from(m.data)], [2, 3, [1, 2, 3, 4, 5, 6]]);
  assert.deepEqual(Array.from(vars.get('k')!.data), [-3, 0, 7]);
  assert.deepEqual(Array.from(vars.get('rpm')!.data), [200]);
  const dir = cwruDir(t);
  if (!dir) return;
  assertSameAsF32(vars.get('X105_DE_time')!.data, readF32(path.join(dir, '105_DE.f32'), 64), 'big-endian X105_DE_time');
});

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDrsndError(e, ErrorCodes.DATA_FILE_INVALID), `expected DATA_FILE_INVALID, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('a file that is not a MAT file is rejected with its name', () => {
  expectInvalid(() => readMat(Buffer.from('time,x\n0,1\n'.repeat(20)), 'data/pump.mat'), /data\/pump\.mat: not a MAT file/);
  expectInvalid(() => readMat(Buffer.from('short'), 'tiny.mat'), /tiny\.mat: not a MAT file/);
});

test('a MATLAB v7.3 (HDF5) file is rejected with advice to save with -v7', () => {
  const v73 = Buffer.alloc(1024);
  v73.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .', 0, 'latin1');
  v73.writeUInt16LE(0x0200, 124);
  v73.write('IM', 126, 'latin1');
  Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(v73, 512);
  expectInvalid(() => readMat(v73, 'rec73.mat'), /rec73\.mat: .*v7\.3.*-v7/);
  // A bare HDF5 file (e.g. a .h5 renamed) gets the same advice.
  expectInvalid(() => readMat(v73.subarray(512), 'x.mat'), /HDF5.*-v7/);
});

test('truncated files are rejected, never read as shorter signals', () => {
  const full = load('105.mat');
  expectInvalid(() => readMat(full.subarray(0, full.length - 100), '105.mat'), /105\.mat: .*truncated|cut short/);
  const packed = load('12k_Drive_End_IR007_0_105.mat');
  expectInvalid(() => readMat(packed.subarray(0, 4000), 'packed.mat'), /packed\.mat: .*(truncated|cut short)/);
  expectInvalid(() => readMat(full.subarray(0, 132), 'cut.mat'), /cut\.mat: truncated data element tag/);
});

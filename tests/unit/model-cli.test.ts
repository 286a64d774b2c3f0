import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { modelsCommand, type ModelListing } from '../../src/cli/models.js';
import { settingsSchema } from '../../src/config/schema.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp.js';

function meta(id: string, metrics: Record<string, unknown>): Record<string, unknown> {
  return {
    id, version: '1.2.0', architecture: 'drsn-cw',
    input: { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
    normalization: { method: 'window-zscore', epsilon: 1e-8 },
    classes: [
      { index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null },
      { index: 1, name: 'IR007', kind: 'fault', component: 'inner_race', sizeIn: 0.007 },
      { index: 2, name: 'OR007@6', kind: 'fault', component: 'outer_race', sizeIn: 0.007 },
    ],
    files: { onnx: 'model.onnx' },
    metrics,
  };
}

async function run(argv: string[], cwd: string, modelDir: string): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c) => (o += c));
  err.on('data', (c) => (e += c));
  const settings = settingsSchema.parse({ model: { dir: modelDir } });
  const code = await modelsCommand(argv, { settings, out, err, cwd });
  return { code, out: o, err: e };
}

test('drsnd models lists valid, invalid and configured model folders', async (t) => {
  const cwd = tempDir(t, 'drsnd-models-');
  const good = path.join(cwd, 'models', 'drsn-cw-cwru');
  mkdirSync(good, { recursive: true });
  writeFileSync(path.join(good, 'drsn.json'), JSON.stringify(meta('drsn-cw-cwru', { cleanAccuracy: 0.99871, noiseAccuracy: { gaussian: {} } })));
  writeFileSync(path.join(good, 'model.onnx'), 'x');
  const bad = path.join(cwd, 'models', 'broken');
  mkdirSync(bad);
  writeFileSync(path.join(bad, 'drsn.json'), JSON.stringify({ ...meta('broken', {}), architecture: 'lstm' }));
  const wide = path.join(cwd, 'models', 'wide');
  mkdirSync(wide);
  writeFileSync(path.join(wide, 'drsn.json'), JSON.stringify({ ...meta('wide', {}), widths: [8, 16, 32], stemKernel: 63, members: 2 }));
  writeFileSync(path.join(wide, 'model.onnx'), 'x');
  mkdirSync(path.join(cwd, 'models', 'reports')); // not a model: no drsn.json, not listed

  const json = await run(['--format', 'json'], cwd, 'models/not-there');
  assert.equal(json.code, 0);
  const rows = JSON.parse(json.out) as ModelListing[];
  assert.deepEqual(rows.map((r) => path.basename(r.dir)).sort(), ['broken', 'drsn-cw-cwru', 'not-there', 'wide']);
  const g = rows.find((r) => r.id === 'drsn-cw-cwru')!;
  assert.equal(g.ok, true);
  assert.deepEqual(g.classes, ['Normal', 'IR007', 'OR007@6']);
  assert.equal(g.input!.windowLength, 2048);
  assert.deepEqual(g.engines, ['onnx']);
  assert.deepEqual(g.metrics, { cleanAccuracy: 0.99871 });
  assert.deepEqual(g.widths, [4, 8, 16], 'no widths in drsn.json: the paper\'s');
  const w = rows.find((r) => r.id === 'wide')!;
  assert.deepEqual([w.widths, w.stemKernel, w.members], [[8, 16, 32], 63, 2]);
  assert.equal(g.members, 1, 'no members in drsn.json: one net');
  const b = rows.find((r) => r.dir === bad)!;
  assert.equal(b.ok, false);
  assert.equal(b.error!.code, ErrorCodes.MODEL_INVALID);
  assert.match(b.error!.message, /architecture/);
  const c = rows.find((r) => r.configured)!;
  assert.equal(c.error!.code, ErrorCodes.MODEL_NOT_FOUND);

  const table = await run([], cwd, 'models/drsn-cw-cwru');
  const lines = table.out.trim().split('\n');
  assert.match(lines[0], /ID\s+VERSION\s+ARCH\s+CLASSES\s+INPUT/);
  const row = lines.find((l) => l.includes('drsn-cw-cwru') && l.includes('1.2.0'))!;
  assert.ok(row.startsWith('*'), 'the configured model is marked');
  assert.match(row, /drsn-cw 4\/8\/16\s+3\s+2048×1 @ 12000 Hz g/);
  assert.match(lines.find((l) => l.includes('wide'))!, /drsn-cw 8\/16\/32 stem 63 ×2\s+3/);
  assert.match(row, /cleanAccuracy=0\.9987/);
  assert.ok(lines.some((l) => l.includes('(invalid)') && l.includes('broken')));
});

test('drsnd models rejects an unknown format as a usage error', async () => {
  await assert.rejects(run(['--format', 'xml'], os.tmpdir(), 'models/x'), (e: unknown) => isDrsndError(e, ErrorCodes.USAGE));
  await assert.rejects(run(['--bogus'], os.tmpdir(), 'models/x'), (e: unknown) => isDrsndError(e, ErrorCodes.USAGE));
});

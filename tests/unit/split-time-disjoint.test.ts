// Issue 3: training, validation and test windows come from disjoint time segments of every record,
// so no test window overlaps a training window. Checked twice: the segments prepareDataset writes,
// and every window the Python data loader actually draws from them (spied on, including
// time-stretched windows, which consume more raw samples than the window length).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { loadCwruRecords } from '../../src/data/cwru.js';
import { prepareDataset, timeSplits, type PreparedRecord, type Segment } from '../../src/data/prepare.js';
import { CWRU_CLASSES } from '../../src/data/records.js';
import { isDrsndError } from '../../src/errors.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';

const SPLIT = { train: 0.7, val: 0.15, test: 0.15 };
const PYTHON = process.env.DRSND_PYTHON ?? '/usr/bin/python3';

test('timeSplits: consecutive train | val | test segments that tile the record, each at least one window', () => {
  for (const n of [3 * 2048 / 0.15, 60_929, 121_265, 1_000_003]) {
    const s = timeSplits(Math.floor(n), SPLIT, 2048);
    assert.equal(s.train[0], 0);
    assert.equal(s.train[1], s.val[0]);
    assert.equal(s.val[1], s.test[0]);
    assert.equal(s.test[1], Math.floor(n));
    for (const [a, b] of Object.values(s)) assert.ok(b - a >= 2048);
  }
  assert.throws(() => timeSplits(10_000, SPLIT, 2048), (e) => isDrsndError(e) && /val split/.test(e.message));
  assert.throws(() => timeSplits(100_000, { train: 0.8, val: 0.15, test: 0.15 }, 2048), /sum to 1/);
});

test('every window the loader draws lies inside its own split segment; train never touches val/test samples', (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    t.skip(`${PYTHON} with numpy/scipy not available; skipping`);
    return;
  }
  const out = tempDir(t, 'drsnd-split-');
  const index = prepareDataset(loadCwruRecords(dir), CWRU_CLASSES, { outDir: out, sampleRateHz: 12_000, bandLimitHz: 4800, windowLength: 2048, split: SPLIT });
  const byId = new Map<string, PreparedRecord>(index.records.map((r) => [r.id, r]));
  for (const r of index.records) {
    assert.equal(r.splits.train[0], 0);
    assert.ok(r.splits.train[1] <= r.splits.val[0] && r.splits.val[1] <= r.splits.test[0] && r.splits.test[1] <= r.samples, r.id);
  }

  const py = spawnSync(PYTHON, [path.join(projectRoot, 'tests', 'py', 'split_check.py'), out], {
    encoding: 'utf8', timeout: 50_000, maxBuffer: 64 << 20, env: { ...process.env, PYTHONPATH: path.join(projectRoot, 'src', 'model', 'py') },
  });
  assert.equal(py.status, 0, py.stderr);
  const spans = JSON.parse(py.stdout) as Record<string, [string, number, number][]>;

  const inside = (name: string, seg: (r: PreparedRecord) => Segment) => {
    assert.ok(spans[name].length > 0, `${name}: no windows drawn`);
    for (const [id, a, b] of spans[name]) {
      const [s, e] = seg(byId.get(id)!);
      assert.ok(a >= s && b <= e, `${name} window [${a}, ${b}) of ${id} leaves its segment [${s}, ${e})`);
    }
  };
  inside('train', (r) => r.splits.train);
  inside('val', (r) => r.splits.val);
  inside('test', (r) => r.splits.test);
  inside('testStretched', (r) => r.splits.test);
  // Cross-load: train on 0-2 hp only; test = whole 3 hp fault records, never seen in training.
  inside('crossLoadTrain', (r) => (r.loadHp === 3 ? [0, 0] : r.splits.train));
  inside('crossLoadTest', (r) => (r.loadHp === 3 && CWRU_CLASSES[r.label].kind === 'fault' ? [0, r.samples] : [0, 0]));

  // Direct overlap check, independent of the segment bookkeeping above.
  const held = new Map<string, [number, number][]>();
  for (const name of ['val', 'test', 'testStretched']) {
    for (const [id, a, b] of spans[name]) held.set(id, [...(held.get(id) ?? []), [a, b]]);
  }
  for (const [id, a, b] of spans.train) {
    for (const [c, d] of held.get(id) ?? []) assert.ok(b <= c || d <= a, `train [${a}, ${b}) overlaps held-out [${c}, ${d}) in ${id}`);
  }
  const perClass = new Set(spans.train.map(([id]) => byId.get(id)!.label));
  assert.equal(perClass.size, CWRU_CLASSES.length, 'every class drawn in training');
});

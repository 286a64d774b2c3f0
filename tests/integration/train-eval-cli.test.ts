// `drsnd eval` as a user runs it on a model folder: prepares the CWRU data like training did, runs the
// Python evaluator, and writes the report (JSON, Markdown, SVG) with the noise sweep and the
// confusion matrix. A seeded random-init model from the real exporter keeps this fast; the numbers
// it reports must be the ones the evaluator computed (confusion matrix sums to the window count,
// clean accuracy = its trace share). Skips visibly without the CWRU data or torch.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { cwruDir, projectRoot } from '../helpers/data.js';
import { exportRandomModel, removeModelDir } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

test('drsnd eval writes a consistent report for a model folder', { timeout: 120_000 }, async (t) => {
  const cwru = cwruDir(t);
  if (!cwru) return;
  const model = exportRandomModel(t, { variant: 'plain', seed: 3, cwru: null });
  if (!model) return;
  t.after(() => removeModelDir(model));
  const tmp = tempDir(t, 'drsnd-eval-');

  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts'), 'eval', '--model', model, '--data', cwru,
      '--out', tmp, '--quick', '--cache', path.join(tmp, 'cache'), '--title', 'smoke'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
  assert.equal(r.code, 0, `${r.err}\n${r.out}`);
  assert.match(r.out, /eval: \d+ test windows, clean accuracy/);

  const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8'));
  assert.equal(report.title, 'smoke');
  const ev = report.runs[0].eval;
  assert.equal(report.runs[0].model.architecture, 'resnet');
  const total = (ev.confusion as number[][]).flat().reduce((a, b) => a + b, 0);
  const trace = (ev.confusion as number[][]).reduce((a, row, i) => a + row[i], 0);
  assert.equal(total, ev.windows);
  assert.ok(Math.abs(ev.clean - trace / total) < 1e-12);
  assert.deepEqual(Object.keys(ev.noise).sort(), ['gaussian', 'laplacian', 'pink']);
  assert.equal(ev.perClass.length, 10);
  const md = readFileSync(path.join(tmp, 'report.md'), 'utf8');
  assert.match(md, /\| clean \| [\d.]+ \|/);
  assert.match(md, /!\[report-confusion\.svg\]\(report-confusion\.svg\)/);
  assert.match(readFileSync(path.join(tmp, 'report-confusion.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
});

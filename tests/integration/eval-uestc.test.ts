// Issue 18 item 7 in CI: UESTC zero-shot through the daemon's own path (replay → validate → signal path
// → engine → fusion), all 16 recordings (each one stream of its five segment files, ~15 s in all), and
// the generated sensor-fault table. Skips visibly where ../shared/data/uestc is absent; CI always has it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evalCommand } from '../../src/cli/eval.js';
import { settingsSchema } from '../../src/config/schema.js';
import { Writable } from 'node:stream';
import { projectRoot } from '../helpers/data.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.text += chunk.toString(); cb(); }
}

const uestcDir = process.env.DRSND_UESTC_DIR ?? path.resolve(projectRoot, '..', 'shared', 'data', 'uestc');

test('drsnd eval --uestc: every recording replayed, per-class recall for each method and speed mode, no generated sensor fault diagnosed Normal', { timeout: 180_000 }, async (t) => {
  if (!existsSync(path.join(uestcDir, 'manifest.json'))) {
    t.skip(`UESTC data not found at ${uestcDir} (set DRSND_UESTC_DIR); skipping`);
    return;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'drsnd-eval-uestc-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const stdout = new Capture();
  const stderr = new Capture();
  // The default model: issue 18's targets are for it (and the fusion).
  const settings = settingsSchema.parse({});
  const code = await evalCommand(['--model', path.join(projectRoot, settings.model.dir), '--uestc', uestcDir, '--out', out],
    { settings, out: stdout, err: stderr, cwd: projectRoot });
  assert.equal(code, 0, stderr.text);
  const report = JSON.parse(readFileSync(path.join(out, 'uestc-zero-shot.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(uestcDir, 'manifest.json'), 'utf8')) as { records: { acquisition_group: string }[] };
  const groups = [...new Set(manifest.records.map((r) => `UESTC_${r.acquisition_group}`))];
  assert.deepEqual(report.records.map((r: { recordId: string }) => r.recordId).sort(), groups.sort(), 'every recording evaluated');
  // 5 segments, 1,187,840 samples at 20 kHz → 712,704 at 12 kHz → (n − 2048) / 1024 + 1 windows, less the
  // filter's start-up: one stream, so windows spanning the files' cuts are there too.
  for (const r of report.records) assert.ok(r.windows >= 690 && r.windows <= 695, `${r.recordId}: ${r.windows} windows`);
  for (const key of ['fixed/drsn', 'fixed/physics', 'fixed/fusion', 'estimated/drsn', 'estimated/physics', 'estimated/fusion']) {
    const s = report.scores[key];
    assert.ok(s.balancedAccuracy >= 0 && s.balancedAccuracy <= 1, key);
    assert.equal(s.windows.normal + s.windows.inner_race + s.windows.outer_race + s.windows.ball, report.records.reduce((a: number, r: { windows: number }) => a + r.windows, 0));
  }
  // The DRSN alone is the same whatever the speed mode; the physics rule has an answer for most windows.
  assert.deepEqual(report.scores['fixed/drsn'].recall, report.scores['estimated/drsn'].recall);
  assert.ok(report.scores['fixed/physics'].unavailable < 0.03 * report.records.length * 694, 'evidence for all but each stream\'s first buffer');
  // Issue 18's targets, speed fixed: balanced accuracy over normal / inner / outer ≥ 90 %, inner vs outer
  // ≥ 95 % (uestc-zero-shot.md in the default model's folder has the run they were measured on).
  const fused = report.scores['fixed/fusion'];
  assert.ok(fused.balancedAccuracy >= 0.9, `fusion balanced ${fused.balancedAccuracy} (${JSON.stringify(fused.recall)})`);
  assert.ok(fused.innerVsOuter >= 0.95, `fusion inner vs outer ${fused.innerVsOuter}`);
  // The DRSN alone is at chance there: the fusion's gain is the physics', not a retuned model.
  assert.ok(report.scores['fixed/drsn'].balancedAccuracy < 0.5);
  // Generated broken-sensor signals: the fusion never says Normal.
  assert.equal(report.faultSignals.length, 16);
  for (const row of report.faultSignals) assert.equal(row.fusedNormal, 0, `${row.name} @ ${row.rateHz}: ${row.fusedNormal} of ${row.windows} windows Normal`);
  assert.match(readFileSync(path.join(out, 'uestc-zero-shot.md'), 'utf8'), /\| fixed \| physics rule alone \|/);
});

test('drsnd eval --uestc --segment N: only that segment file of each recording, each replayed on its own', { timeout: 120_000 }, async (t) => {
  if (!existsSync(path.join(uestcDir, 'manifest.json'))) {
    t.skip(`UESTC data not found at ${uestcDir} (set DRSND_UESTC_DIR); skipping`);
    return;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'drsnd-eval-uestc-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const stderr = new Capture();
  const code = await evalCommand(['--model', path.join(projectRoot, 'models', 'drsn-cw-cwru'), '--uestc', uestcDir, '--segment', '5', '--out', out],
    { settings: settingsSchema.parse({}), out: new Capture(), err: stderr, cwd: projectRoot });
  assert.equal(code, 0, stderr.text);
  const report = JSON.parse(readFileSync(path.join(out, 'uestc-zero-shot.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(uestcDir, 'manifest.json'), 'utf8')) as { records: { record_id: string; segment_index: number }[] };
  assert.deepEqual(report.records.map((r: { recordId: string }) => r.recordId).sort(), manifest.records.filter((r) => r.segment_index === 5).map((r) => r.record_id).sort());
  // 139,264 samples at 20 kHz → 83,558 at 12 kHz → ~80 windows; each file starts cold, so more windows lack evidence.
  for (const r of report.records) assert.ok(r.windows >= 76 && r.windows <= 80, `${r.recordId}: ${r.windows} windows`);
  assert.equal(report.subset, 'segment 5 of each');
  assert.match(readFileSync(path.join(out, 'uestc-zero-shot.md'), 'utf8'), /Each segment file replayed on its own/);
});

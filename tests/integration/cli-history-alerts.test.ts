// `drsnd alerts` and `drsnd alerts ack` against a real database.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { alerts } from '../../src/cli/alerts.js';
import type { CliContext } from '../../src/cli/context.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { openReadOnly } from '../../src/store/reader.js';
import { tempDir } from '../helpers/temp.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.text += chunk.toString(); cb(); }
}

const T = Date.parse('2026-05-01T08:00:00Z');

async function setup(t: test.TestContext) {
  const cwd = tempDir(t, 'drsnd-cli-alerts-');
  const settings = settingsSchema.parse({ store: { path: 'drsnd.db' } });
  const store = new Store({ settings: settings.store, log: createLogger('silent'), cwd });
  await store.start();
  const a = (sensorId: string, transition: 'raised' | 'cleared', className: string, at: number) =>
    store.recordAlertEvent({ sensorId, asset: 'pump1', transition, className, previousClassName: null, confidence: 0.88, at }).alertId;
  const cleared = a('de', 'raised', 'B007', T);
  a('de', 'cleared', 'B007', T + 60_000);
  const active = a('fe', 'raised', 'OR021@6', T + 120_000);
  await store.stop();
  const run = async (...argv: string[]) => {
    const out = new Capture();
    const err = new Capture();
    const ctx: CliContext = { settings, out, err, cwd };
    const code = await alerts(argv, ctx);
    return { code, out: out.text, err: err.text };
  };
  return { run, cleared, active, file: path.join(cwd, 'drsnd.db') };
}

test('lists active alerts by default and all with --all, newest first', async (t) => {
  const { run, active, cleared } = await setup(t);
  let r = await run();
  assert.equal(r.code, 0, r.err);
  let lines = r.out.trimEnd().split('\n');
  assert.match(lines[0], /^id\s+state\s+sensor\s+asset\s+class\s+raised\s+cleared\s+peak\s+acknowledged$/);
  assert.equal(lines.length, 2);
  assert.match(lines[1], new RegExp(`^\\s*${active}\\s+active\\s+fe\\s+pump1\\s+OR021@6\\s+2026-05-01T08:02:00.000Z\\s+0\\.880$`));

  r = await run('--all', '--format', 'json');
  const rows = JSON.parse(r.out);
  assert.deepEqual(rows.map((x: { id: number; state: string }) => [x.id, x.state]), [[active, 'active'], [cleared, 'cleared']]);
  assert.equal(rows[1].clearedAt, '2026-05-01T08:01:00.000Z');

  r = await run('--all', '--format', 'csv');
  lines = r.out.split('\r\n');
  assert.equal(lines[0], 'id,state,sensor,asset,class,raised,cleared,peak,acknowledged');
  assert.equal(lines[2], `${cleared},cleared,de,pump1,B007,2026-05-01T08:00:00.000Z,2026-05-01T08:01:00.000Z,0.880,`);
});

test('ack records who acknowledged; the listing shows it; unknown ids exit 1', async (t) => {
  const { run, active, file } = await setup(t);
  let r = await run('ack', String(active), '--by', 'maria');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`alert ${active} .* acknowledged by maria`));
  const reader = openReadOnly(file);
  t.after(() => reader.close());
  const stored = reader.alert(active)!;
  assert.equal(stored.acknowledgedBy, 'maria');
  assert.ok(stored.acknowledgedAt !== null);

  r = await run('--format', 'json');
  assert.equal(JSON.parse(r.out)[0].acknowledgedBy, 'maria');
  r = await run();
  assert.match(r.out, / by maria$/m);

  r = await run('ack', '999');
  assert.equal(r.code, 1);
  assert.match(r.err, /no alert with id 999/);
});

test('usage errors exit 2', async (t) => {
  const { run } = await setup(t);
  for (const argv of [['ack'], ['ack', 'abc'], ['ack', '1', '2'], ['ack', '1', '--by'], ['--active'], ['--format', 'yaml'], ['list']]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → ${r.err}`);
    assert.match(r.err, /usage: drsnd alerts/);
  }
});

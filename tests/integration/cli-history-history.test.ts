// `drsnd history` against a real database the daemon's Store wrote, in each output format.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { history } from '../../src/cli/history.js';
import type { CliContext } from '../../src/cli/context.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import type { Diagnosis } from '../../src/types.js';
import { tempDir } from '../helpers/temp.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.text += chunk.toString(); cb(); }
}

const NOW = Date.now();
const MIN = 60_000;

function diag(sensorId: string, className: string, minutesAgo: number): Diagnosis {
  return {
    sensorId, asset: sensorId === 'fan' ? 'fan1' : 'pump1', channel: 'x',
    windowStart: NOW - minutesAgo * MIN - 170, windowEnd: NOW - minutesAgo * MIN,
    classIndex: className === 'Normal' ? 0 : 2, className, kind: className === 'Normal' ? 'normal' : 'fault',
    probabilities: className === 'Normal' ? [0.9, 0.05, 0.05] : [0.02, 0.03, 0.95], confidence: className === 'Normal' ? 0.9 : 0.95,
    modelId: 'drsn-cw-cwru', modelVersion: '1.0.0', latencyMs: 5,
  };
}

async function setup(t: test.TestContext, seed = true) {
  const cwd = tempDir(t, 'drsnd-cli-history-');
  const settings = settingsSchema.parse({ store: { path: 'data/drsnd.db' } });
  if (seed) {
    const store = new Store({ settings: settings.store, log: createLogger('silent'), cwd });
    await store.start();
    // Minutes ago: de is normal at 120, 60, 30 and has an inner-race fault at 10 and 5; fan is normal at 20.
    for (const m of [120, 60, 30]) store.enqueue(diag('de', 'Normal', m));
    for (const m of [10, 5]) store.enqueue(diag('de', 'IR007, "inner"', m));
    store.enqueue(diag('fan', 'Normal', 20));
    await store.stop();
  }
  const run = async (...argv: string[]) => {
    const out = new Capture();
    const err = new Capture();
    const ctx: CliContext = { settings, out, err, cwd };
    const code = await history(argv, ctx);
    return { code, out: out.text, err: err.text };
  };
  return { run, cwd };
}

test('table: newest first, one line per diagnosis, columns aligned', async (t) => {
  const { run } = await setup(t);
  const r = await run();
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0], /^time\s+sensor\s+asset\s+channel\s+class\s+kind\s+confidence\s+component\s+conf\s+severity\s+v mm\/s\s+zone\s+rpm\s+model$/);
  assert.equal(lines.length, 7);
  assert.ok(lines[1].startsWith(new Date(NOW - 5 * MIN).toISOString()));
  assert.match(lines[1], /de\s+pump1\s+x\s+IR007, "inner"\s+fault\s+0\.950\s+drsn-cw-cwru@1\.0\.0/);
  assert.ok(lines.at(-1)!.startsWith(new Date(NOW - 120 * MIN).toISOString()));
  const classCol = lines[0].indexOf('class');
  assert.ok(lines.slice(1).every((l) => l.indexOf(l.includes('IR007') ? 'IR007' : 'Normal') === classCol), 'class column aligned');
});

test('json: filters by sensor, class and relative since; full records with probabilities', async (t) => {
  const { run } = await setup(t);
  const r = await run('--sensor', 'de', '--since', '45m', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out);
  assert.deepEqual(rows.map((x: { windowEnd: string }) => x.windowEnd), [5, 10, 30].map((m) => new Date(NOW - m * MIN).toISOString()));
  assert.deepEqual(rows[0].probabilities, [0.02, 0.03, 0.95]);
  assert.equal(rows[0].className, 'IR007, "inner"');

  const byClass = JSON.parse((await run('--class', 'Normal', '--asset', 'pump1', '--format', 'json')).out);
  assert.equal(byClass.length, 3);
  const until = JSON.parse((await run('--until', new Date(NOW - 25 * MIN).toISOString(), '--limit', '2', '--format', 'json')).out);
  assert.deepEqual(until.map((x: { windowEnd: string }) => x.windowEnd), [30, 60].map((m) => new Date(NOW - m * MIN).toISOString()));
});

test('csv: header, RFC 4180 quoting, CRLF lines', async (t) => {
  const { run } = await setup(t);
  const r = await run('--sensor', 'de', '--limit', '1', '--format', 'csv');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\r\n');
  assert.equal(lines[0], 'time,sensor,asset,channel,class,kind,confidence,component,conf,severity,v mm/s,zone,rpm,model');
  // These rows were stored without physics (as before schema step 4): its columns are empty.
  assert.equal(lines[1], `${new Date(NOW - 5 * MIN).toISOString()},de,pump1,x,"IR007, ""inner""",fault,0.950,,,,,,,drsn-cw-cwru@1.0.0`);
  assert.equal(lines.length, 3, 'one row plus the trailing line break');
});

test('nothing matches: a message in table form, [] in json', async (t) => {
  const { run } = await setup(t);
  assert.equal((await run('--sensor', 'nope')).out, 'no matching diagnoses\n');
  assert.equal((await run('--sensor', 'nope', '--format', 'json')).out.trim(), '[]');
});

test('bad flags and values exit 2 with a message; a missing database exits 1 naming the path', async (t) => {
  const { run } = await setup(t);
  for (const argv of [['--bogus'], ['--format', 'xml'], ['--limit', '0'], ['--since', 'yesterday'], ['--sensor'], ['extra']]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → ${r.err}`);
    assert.match(r.err, /^drsnd history: .+\nusage: drsnd history/);
    assert.equal(r.out, '');
  }
  const empty = await setup(t, false);
  const r = await empty.run();
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(path.join(empty.cwd, 'data', 'drsnd.db')), r.err);
  assert.match(r.err, /no database/);
});

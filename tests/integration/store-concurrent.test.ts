// The CLI reads while the daemon writes: a reader in another process never blocks the writer,
// sees whole batches only, and a held read snapshot stays consistent while commits go on.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openReadOnly } from '../../src/store/reader.js';
import { sqlite } from '../../src/store/sqlite.js';

// The better-sqlite3 line the running Node can load (src/store/sqlite.ts).
const BetterSqlite3 = sqlite();

// Compiled (dist/tests → dist/src/*.js) or under tsx (tests → src/*.ts).
const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
const here = path.dirname(fileURLToPath(import.meta.url));
const storeModule = path.resolve(here, `../../src/store/store${ext}`);
const schemaModule = path.resolve(here, `../../src/config/schema${ext}`);
const logModule = path.resolve(here, `../../src/log${ext}`);

// The "daemon": writes one batch of 50 per line on stdin, answers with the total, stops at EOF.
const writerScript = `
import readline from 'node:readline';
import { Store } from ${JSON.stringify(storeModule)};
import { settingsSchema } from ${JSON.stringify(schemaModule)};
import { createLogger } from ${JSON.stringify(logModule)};
const settings = settingsSchema.parse({ store: { path: process.argv[1], batchMaxRows: 50, batchMaxMs: 60000 } });
const store = new Store({ settings: settings.store, log: createLogger('silent') });
await store.start();
let total = 0;
process.stdout.write('ready\\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  for (let i = 0; i < 50; i++, total++) {
    store.enqueue({ sensorId: 's1', asset: 'pump1', channel: 'x', windowStart: total, windowEnd: total + 1,
      classIndex: 0, className: 'Normal', kind: 'normal', probabilities: [1, 0], confidence: 1,
      modelId: 'm', modelVersion: '1', latencyMs: 1 });
  }
  process.stdout.write('ok ' + total + '\\n');
}
await store.stop();
`;

test('a reader in another process sees committed batches while the writer keeps committing', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-store-concurrent-'));
  const file = path.join(dir, 'drsnd.db');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writerScript, file], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    assert.ok(!r.done, `writer exited early: ${stderr}`);
    return r.value as string;
  };
  assert.equal(await next(), 'ready');

  const cli = openReadOnly(file);
  const raw = new BetterSqlite3(file, { readonly: true });
  t.after(() => { cli.close(); raw.close(); });
  const count = () => (raw.prepare('SELECT count(*) AS n FROM diagnoses').get() as { n: number }).n;

  for (let round = 1; round <= 5; round++) {
    child.stdin.write('write\n');
    assert.equal(await next(), `ok ${round * 50}`);
    assert.equal(count(), round * 50, 'the reader sees exactly the committed batches');
    assert.equal(cli.history({ limit: 1 })[0].windowEnd, round * 50);
  }

  // Hold a read snapshot open: the writer still commits (WAL), the snapshot does not move.
  raw.exec('BEGIN');
  assert.equal(count(), 250);
  child.stdin.write('write\n');
  assert.equal(await next(), 'ok 300', 'the writer was not blocked by the open reader');
  assert.equal(count(), 250, 'a snapshot is stable inside its transaction');
  raw.exec('COMMIT');
  assert.equal(count(), 300);

  child.stdin.end(); // EOF ends the writer's loop; it stops the store and exits
  assert.equal(await exited, 0, stderr);
  assert.equal(cli.history({ limit: 1000 }).length, 300);
});

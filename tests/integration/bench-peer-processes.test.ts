// The benchmark's "2 processes × 1 thread" PyTorch peer (bench/peer.ts runPeerProcesses): the
// processes meet at a barrier before each batch size, so a bug there hangs the benchmark rather than
// failing it. Real python3 + torch on the shipped model; skipped visibly where torch is missing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { benchModel } from '../../bench/lib/model.js';
import { runPeerProcesses } from '../../bench/peer.js';
import { readReference, torchUnavailable } from '../helpers/model-fixture.js';
import { tempDir } from '../helpers/temp.js';

test('the peer runs as 2 single-threaded processes through every batch size and sums their rates', async (t) => {
  const why = torchUnavailable();
  if (why) { t.skip(`${why}; skipping`); return; }
  const model = await benchModel();
  const ref = readReference(model.dir);
  const rows = await runPeerProcesses(model, { data: ref.inputs, count: ref.count, source: 'reference.bin' }, 0.2, [1, 8, 3], 2);
  assert.deepEqual(rows.map((r) => r.batch), [1, 8, 3]);
  for (const r of rows) {
    assert.equal(r.mode, 'torchscript 2 processes');
    assert.equal(r.threads, 2);
    assert.ok(Number.isFinite(r.windowsPerSec) && r.windowsPerSec > 0, `batch ${r.batch}: ${r.windowsPerSec} windows/s`);
  }
});

test('peer processes that fail are reported as an error with the reason, not waited on', async (t) => {
  const why = torchUnavailable();
  if (why) { t.skip(`${why}; skipping`); return; }
  const model = await benchModel();
  const ref = readReference(model.dir);
  // drsn.json without its weights: every process fails while loading, before the first barrier.
  const broken = tempDir(t, 'drsnd-peer-broken-');
  copyFileSync(path.join(model.dir, 'drsn.json'), path.join(broken, 'drsn.json'));
  await assert.rejects(
    runPeerProcesses({ ...model, dir: broken }, { data: ref.inputs, count: ref.count, source: 'reference.bin' }, 0.2, [1, 8], 2),
    /peer_torch\.py --sync exited/,
  );
});

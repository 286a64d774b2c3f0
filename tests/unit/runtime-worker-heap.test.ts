// The worker pool's heap flag (src/runtime/worker-pool.ts workerHeapFlag): set unless the operator gave
// --initial-old-space-size themselves, on node's command line or in NODE_OPTIONS, in either spelling.
// Its effect is measured, not unit-tested: `BENCH_NODE_ARGS=--trace-gc npm run bench -- --only e2e
// --sensors 300 --set pipeline.physics=true`, against the same with `--initial-old-space-size=0` added
// (docs/physics.md, "Cost").
import test from 'node:test';
import assert from 'node:assert/strict';
import { WORKER_INITIAL_OLD_SPACE_MB, workerHeapFlag } from '../../src/runtime/worker-pool.js';

test('the pool sets the workers\' initial old space unless the operator did', () => {
  const ours = `--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`;
  assert.equal(workerHeapFlag([]), ours);
  assert.equal(workerHeapFlag(['--enable-source-maps'], '--max-old-space-size=512'), ours, 'another heap flag is not this one');
  assert.equal(workerHeapFlag(['--initial-old-space-size=64']), null);
  assert.equal(workerHeapFlag(['--initial-old-space-size', '64']), null);
  assert.equal(workerHeapFlag([], '--max-old-space-size=512 --initial_old_space_size=0'), null);
});

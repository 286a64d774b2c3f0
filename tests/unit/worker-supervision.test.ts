// The retry and stop rules every worker pool shares (src/util/worker-supervision.ts).
import assert from 'node:assert/strict';
import test from 'node:test';
import { Worker } from 'node:worker_threads';
import { RespawnBackoff, stopWorker } from '../../src/util/worker-supervision.js';
import { ManualClock } from '../helpers/manual-clock.js';

test('respawn back-off doubles from 200 ms to a 30 s cap, resets on success, runs nothing after cancel', async () => {
  const clock = new ManualClock();
  const b = new RespawnBackoff(clock);
  const ran: number[] = [];
  const record = (i: number) => () => void ran.push(i);
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    delays.push(b.delayMs);
    b.retry(record(i));
  }
  assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  await clock.advance(199);
  assert.deepEqual(ran, []);
  await clock.advance(1);
  assert.deepEqual(ran, [0]);
  await clock.advance(1600 - 200);
  assert.deepEqual(ran, [0, 1, 2, 3]);
  b.reset();
  assert.equal(b.delayMs, 200);
  b.cancel();
  await clock.advance(60_000);
  assert.deepEqual(ran, [0, 1, 2, 3], 'no retry runs once cancelled');
  b.retry(record(99));
  await clock.advance(60_000);
  assert.deepEqual(ran, [0, 1, 2, 3]);
});

const worker = (code: string) => new Worker(code, { eval: true });

test('stopWorker: a worker that obeys the stop message exits on its own', async () => {
  const w = worker(`const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (m) => { if (m.type === 'stop') process.exit(0); });`);
  let code: number | undefined;
  w.once('exit', (c) => { code = c; });
  await stopWorker(w, { type: 'stop' }, 10_000);
  assert.equal(code, 0, 'exited by itself with code 0, not terminated');
});

test('stopWorker: a wedged worker is terminated after the grace time', async () => {
  const w = worker(`const { parentPort } = require('node:worker_threads');
    parentPort.postMessage('busy'); for (;;) {}`);
  await new Promise((r) => w.once('message', r));
  let code: number | undefined;
  w.once('exit', (c) => { code = c; });
  const t0 = performance.now();
  await stopWorker(w, { type: 'stop' }, 300);
  assert.equal(code, 1, 'terminate() makes the exit code 1');
  assert.ok(performance.now() - t0 >= 250, 'waited for the grace time first');
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { StallWatch } from '../../src/util/stall-watch.js';

test('frames flowing but no window for the stall time: stalled (the watchdog stops pinging); windows again: ok', () => {
  let now = 0;
  const w = new StallWatch(60_000, () => now);
  let frames = 0;
  let windows = 0;
  const tick = () => w.check({ framesAccepted: frames, windows });
  for (; now <= 120_000; now += 1_000) {
    frames += 10;
    if (now < 30_000) windows += 5; // the pipeline wedges at 30 s
    const v = tick();
    if (now < 90_000) assert.equal(v, 'ok', `at ${now}`); // the last window came at 29 s
    else assert.equal(v, 'stalled', `at ${now}`);
  }
  windows++;
  assert.equal(tick(), 'ok');
});

test('no frames at all (an idle machine, a lost port) is silence, not a stall: pinging goes on', () => {
  let now = 0;
  const w = new StallWatch(60_000, () => now);
  assert.equal(w.check({ framesAccepted: 100, windows: 20 }), 'ok');
  now = 61_000;
  assert.equal(w.check({ framesAccepted: 100, windows: 20 }), 'silent');
  // Data comes back and flows into windows.
  now = 62_000;
  assert.equal(w.check({ framesAccepted: 110, windows: 22 }), 'ok');
});

test('a daemon whose sensors never sent anything since start is silent, not stalled', () => {
  let now = 0;
  const w = new StallWatch(1_000, () => now);
  now = 5_000;
  assert.equal(w.check({ framesAccepted: 0, windows: 0 }), 'silent');
});

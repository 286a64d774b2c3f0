// Issue 19: the bytes waiting in a serial port when it opens (a USB device's FIFO, the OS buffer)
// arrive in one burst right after the open; a pseudo-terminal drops what is written before its reader
// opens it, so here the burst is written just after the open. Timeless CSV lines used to be placed from that
// burst's arrival time, ran ahead of the clock, and the live lines after them were rejected as
// "timestamp went backwards" until real time caught up. Now the backlog is re-timed to end when it
// arrived and the live stream continues it.
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { BACKLOG_NOTE, BACKLOG_OVERLAP } from '../../src/ingest/decoders/backlog.js';
import { createSerialSource } from '../../src/ingest/serial-source.js';
import { RejectReasons, validateFrames } from '../../src/pipeline/validate.js';
import type { Frame } from '../../src/types.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { ptyPair } from '../helpers/pty.js';

const RATE = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i}\n`).join('');
const values = (fs: Frame[]) => fs.flatMap((f) => [...f.channels[0]]);

/** A CSV serial sensor on a fresh pty, its validated frames collected (the port opens on subscribe). */
async function backlogSensor(t: TestContext, id: string, reconnect: { initialMs: number; maxMs: number }) {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id, asset: 'pump', rateHz: RATE, axes: ['x'], range: 1e6,
    source: { type: 'serial', path: pty.a, format: 'csv', csv: { frameSamples: 50 }, reconnect },
  });
  const got = collect(createSerialSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 20 }).pipe(
    validateFrames({ sensor: { id: sensor.id, asset: sensor.asset, rateHz: RATE, unit: 'g', axes: ['x'] }, range: 1e6, gapTolerancePeriods: 2, badInput: bad }),
  ));
  t.after(() => got.sub.unsubscribe());
  return { pty, cap, bad, got };
}

test('a backlog waiting at port open is re-timed to end when it arrived; the live lines after it are all accepted', async (t) => {
  const { pty, cap, bad, got } = await backlogSensor(t, 'backlog-1', { initialMs: 50, maxMs: 200 });
  await waitFor(() => cap.count('serial port open') === 1, 'port open', 10_000);
  const openedAt = Date.now();
  // 1.5 s of samples that waited in the device (the first line is cut: the port "opened mid-line").
  pty.write(`9\n${lines(0, 1500)}`);
  // Then live, at the sensor's rate: 20 lines every 20 ms for a second.
  let next = 1500;
  for (let k = 0; k < 50; k++) {
    pty.write(lines(next, 20));
    next += 20;
    await sleep(20);
  }
  await waitFor(() => values(got.items).length === next, `${next} samples`, 10_000);

  assert.deepEqual(values(got.items), Array.from({ length: next }, (_, i) => i), 'every sample, in order');
  assert.equal(bad.count('backlog-1', RejectReasons.backwards), 0, 'no live frame rejected as going backwards');
  assert.equal(bad.noted('backlog-1', BACKLOG_NOTE), 1, 'the backlog is counted under its own reason');
  // The backlog is placed before the open, back to back, and the stream does not run ahead of the clock.
  assert.ok(got.items[0].t0 < openedAt - 1000, `backlog starts ${openedAt - got.items[0].t0} ms before the open`);
  const last = got.items.at(-1)!;
  const lastEnd = last.t0 + last.channels[0].length;
  assert.ok(lastEnd <= Date.now() + 300, `the stream ends ${lastEnd - Date.now()} ms ahead of the clock`);
  for (let i = 1; i < got.items.length; i++) {
    const prev = got.items[i - 1];
    if (!got.items[i].discontinuity) assert.ok(Math.abs(got.items[i].t0 - (prev.t0 + prev.channels[0].length)) <= 2, `frame ${i} continues frame ${i - 1}`);
  }
});

test('after a replug the backlog of the new session is handled the same way: nothing rejected, one discontinuity at the replug', async (t) => {
  const { pty, cap, bad, got } = await backlogSensor(t, 'backlog-2', { initialMs: 300, maxMs: 300 });
  await waitFor(() => cap.count('serial port open') === 1, 'port open');
  let next = 0;
  const live = async (ms: number) => {
    for (let k = 0; k < ms / 20; k++) { pty.write(lines(next, 20)); next += 20; await sleep(20); }
  };
  await live(500);
  await waitFor(() => values(got.items).length >= next - 60, 'first session');
  await pty.kill();
  await waitFor(() => cap.count('serial port lost') === 1, 'unplug noticed');
  await pty.restart();
  await waitFor(() => cap.count('serial port reopened') === 1, 'reopened', 10_000);
  // What the device buffered while unplugged comes first, in one burst.
  pty.write(lines(next, 1000));
  next += 1000;
  const before = values(got.items).length;
  await live(400);
  // Until the last line written is in (the port delivers in order): every count below is final then.
  await waitFor(() => values(got.items).length > before + 300 && values(got.items).at(-1) === next - 1, 'live after the replug, to the last line');

  assert.equal(bad.count('backlog-2', RejectReasons.backwards), 0);
  assert.equal(bad.count('backlog-2', RejectReasons.future), 0);
  assert.equal(bad.noted('backlog-2', BACKLOG_NOTE), 1, 'the replug\'s backlog is counted; the first session had none');
  // 1 s of backlog after a shorter outage: its oldest part would overlap the first session, so it is dropped and counted.
  assert.equal(bad.count('backlog-2', BACKLOG_OVERLAP), 1);
  const breaks = got.items.filter((f, i) => i > 0 && f.discontinuity).length;
  assert.ok(breaks >= 1, 'the replug is a discontinuity');
  const v = values(got.items);
  // After the replug, what the new port held and what came live are one run of consecutive values.
  const firstNew = got.items.findIndex((f, i) => i > 0 && f.discontinuity);
  const after = values(got.items.slice(firstNew));
  assert.deepEqual(after, Array.from({ length: after.length }, (_, i) => after[0] + i));
  assert.equal(v.at(-1), next - 1);
});

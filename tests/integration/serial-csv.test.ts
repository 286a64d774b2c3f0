// CSV over a real pseudo-terminal: lines in, multi-axis frames out, bad lines counted.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { createSerialSource } from '../../src/ingest/serial-source.js';
import type { Frame } from '../../src/types.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { ptyPair } from '../helpers/pty.js';

const samples = (frames: Frame[]) => frames.reduce((n, f) => n + f.channels[0].length, 0);
const concat = (frames: Frame[], axis: number) => frames.flatMap((f) => [...f.channels[axis]]);

test('CSV lines become frames of frameSamples with every axis; garbage lines are counted, not emitted', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'csv-1', asset: 'pump', rateHz: 1000, axes: ['x', 'y', 'z'],
    source: { type: 'serial', path: pty.a, format: 'csv', csv: { frameSamples: 50 }, reconnect: { initialMs: 50, maxMs: 200 } },
  });
  const got = collect(createSerialSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 20 }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === 1, 'port open');

  // A cut first line (the port opened mid-line) is dropped, not parsed as "23,0.5,0.7".
  let text = '23,0.5,0.7\n';
  for (let i = 0; i < 120; i++) {
    text += `${(i * 0.01).toFixed(2)},${(-i * 0.5).toFixed(1)},${i}\r\n`;
    if (i === 10) text += '1,2\n';
    if (i === 20) text += 'x,y,oops\n';
    if (i === 30) text += '1,,3\n';
  }
  pty.write(text);
  // 120 samples in frames of 50; each rejected line ends the frame being gathered (its sample may be
  // the one lost) and the next frame is a discontinuity; the last 39 flushed by the latency timer.
  await waitFor(() => samples(got.items) === 120, '120 samples');

  assert.deepEqual(got.items.map((f) => f.channels[0].length), [11, 10, 10, 50, 39]);
  assert.deepEqual(got.items.map((f) => !!f.discontinuity), [false, true, true, true, false]);
  for (const f of got.items) {
    assert.equal(f.sensorId, 'csv-1');
    assert.deepEqual(f.axes, ['x', 'y', 'z']);
    assert.equal(f.channels.length, 3);
    assert.equal(f.rateHz, 1000);
  }
  assert.deepEqual(concat(got.items, 2), Array.from({ length: 120 }, (_, i) => i));
  assert.ok(Math.abs(got.items[3].channels[0][0] - 0.31) < 1e-6);
  assert.equal(got.items[0].channels[1][3], -1.5);
  // Arrival-clock timestamps: back to back at the configured rate (the burst after the open was held
  // and placed so that it ends when it arrived).
  assert.equal(got.items[1].t0 - got.items[0].t0, 11);
  assert.equal(got.items[4].t0 - got.items[3].t0, 50);
  assert.equal(bad.count('csv-1', 'csv-column-count'), 1);
  assert.equal(bad.count('csv-1', 'csv-not-a-number'), 2);
  assert.equal(bad.count('csv-1'), 3);
  assert.equal(got.error, undefined);
});

test('header line sets the column order; timestamp column gives t0; scale applies; a gap closes the frame early', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'csv-2', asset: 'fan', rateHz: 100, axes: ['x', 'y'],
    source: {
      type: 'serial', path: pty.a, format: 'csv', scale: 0.5,
      csv: { header: true, timestampColumn: 'time', delimiter: ';', frameSamples: 10 },
    },
  });
  const got = collect(createSerialSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 20 }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === 1, 'port open');

  const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
  let text = '\ntemp;y;time;x\n';
  for (let i = 0; i < 10; i++) text += `21.5;${-i};${new Date(t0 + i * 10).toISOString()};${i}\n`;
  // 5 s later: a gap, then 3 samples in epoch ms.
  for (let i = 0; i < 3; i++) text += `21.5;${100 + i};${t0 + 5000 + i * 10};${50 + i}\n`;
  pty.write(text);
  await waitFor(() => samples(got.items) === 13, '13 samples');

  assert.equal(got.items[0].t0, t0);
  assert.deepEqual([...got.items[0].channels[0]], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v * 0.5));
  assert.deepEqual([...got.items[0].channels[1]], [0, -1, -2, -3, -4, -5, -6, -7, -8, -9].map((v) => v * 0.5));
  assert.equal(got.items[1].t0, t0 + 5000);
  assert.equal(got.items[1].discontinuity, true);
  assert.deepEqual([...got.items[1].channels[0]], [25, 25.5, 26]);
  assert.equal(bad.count('csv-2'), 0);
});

test('unsubscribe closes the port so another process can open it', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const sensor = sensorSchema.parse({
    id: 'csv-3', asset: 'fan', rateHz: 100, axes: ['x'],
    source: { type: 'serial', path: pty.a, format: 'csv', csv: { frameSamples: 2 } },
  });
  const src = createSerialSource(sensor, { log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20 });
  const first = collect(src);
  await waitFor(() => cap.count('serial port open') === 1, 'first open');
  first.sub.unsubscribe();
  // serialport takes an exclusive lock; a second open only succeeds once the first really closed.
  const second = collect(src);
  t.after(() => second.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === 2, 'second open');
  pty.write('\n1\n2\n');
  await waitFor(() => second.items.length === 1, 'a frame on the second subscription');
  assert.equal(first.items.length, 0);
  assert.equal(cap.count('unavailable'), 0, cap.lines.map((l) => `${l.msg} ${l.err ?? ''}`).join('; '));
});

test('a source resubscribed at once waits for the old port to close instead of failing its lock', async (t) => {
  // Closing is asynchronous (libuv's thread pool); before the fix a restart that opened the path again
  // at once could lose the race for the exclusive lock, log "unavailable" and back off.
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const sensor = sensorSchema.parse({
    id: 'csv-4', asset: 'fan', rateHz: 100, axes: ['x'],
    source: { type: 'serial', path: pty.a, format: 'csv', csv: { frameSamples: 2 } },
  });
  const src = createSerialSource(sensor, { log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20 });
  // Some of these end while their port is still opening, some just after it opened.
  for (let i = 0; i < 20; i++) {
    const c = collect(src);
    await new Promise((r) => setImmediate(r));
    c.sub.unsubscribe();
  }
  const opensBefore = cap.count('serial port open');
  const last = collect(src);
  t.after(() => last.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === opensBefore + 1, 'the last subscription opens the port');
  pty.write('\n1\n2\n');
  await waitFor(() => last.items.length === 1, 'a frame on the last subscription');
  const logged = cap.lines.map((l) => `${l.msg} ${l.err ?? ''}`).join('; ');
  assert.equal(cap.count('unavailable'), 0, logged);
});

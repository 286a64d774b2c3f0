// Serial ports that are missing at start-up, unplugged and plugged back in: the source keeps retrying
// with backoff, logs each state change once, and data flows again under the same path.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { encodeBinaryFrame } from '../../src/ingest/decoders/binary-frame.js';
import { createSerialSource } from '../../src/ingest/serial-source.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';
import { ManualClock } from '../helpers/manual-clock.js';

function csvSensor(id: string, path: string) {
  return sensorSchema.parse({
    id, asset: 'motor', rateHz: 1000, axes: ['x'],
    source: { type: 'serial', path, format: 'csv', csv: { frameSamples: 4 }, reconnect: { initialMs: 40, maxMs: 160 } },
  });
}

/** Keeps writing lines until a frame arrives: bytes written before the source reopens may be lost. */
async function pump(pty: PtyPair, until: () => boolean, what: string) {
  let i = 0;
  await waitFor(until, what, 10_000, () => {
    if (i++ % 4 === 0) pty.write('\n1\n2\n3\n4\n');
  });
}

test('a port that does not exist at start-up: no crash, one warning, quiet retries on a capped back-off, then data', async (t) => {
  const pty = await ptyPair({ start: false });
  t.after(() => pty.stop());
  const cap = captureLogger('debug');
  const clock = new ManualClock();
  const got = collect(createSerialSource(csvSensor('missing-1', pty.a), { log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20, clock }));
  t.after(() => got.sub.unsubscribe());

  // Each failed open schedules the next attempt; virtual time runs exactly to it, and not 1 ms short.
  const retries: number[] = [];
  for (let i = 0; i < 5; i++) {
    await waitFor(() => clock.pending === 1, `retry ${i + 1} scheduled`);
    // The attempt just scheduled: its delay is in the line that logged the failure.
    const delay = cap.lines.filter((l) => typeof l.retryInMs === 'number').at(-1)!.retryInMs as number;
    retries.push(delay);
    const failures = () => cap.count('still unavailable') + cap.count('serial port unavailable');
    const before = failures();
    await clock.advance(delay - 1);
    // An early attempt would show as a fired timer (none pending) or as its failure already logged.
    assert.equal(clock.pending, 1, 'no attempt before the back-off has passed');
    assert.equal(failures(), before, 'no attempt before the back-off has passed');
    await clock.advance(1);
    await waitFor(() => failures() > before, `attempt ${i + 1} made at the back-off, and failed`);
  }
  assert.deepEqual(retries, [40, 80, 160, 160, 160], 'back-off doubles from initialMs and is capped at maxMs');
  assert.equal(cap.count('serial port unavailable'), 1, 'the outage is logged once, retries only at debug');
  const warn = cap.lines.find((l) => String(l.msg).includes('serial port unavailable'))!;
  assert.equal(warn.level, 40);
  assert.equal(warn.path, pty.a);

  await pty.restart();
  await waitFor(() => clock.pending === 1, 'the next attempt scheduled');
  await clock.advance(160);
  await pump(pty, () => got.items.length > 0, 'a frame after the port appeared');
  assert.equal(cap.count('serial port open'), 1);
  assert.deepEqual([...got.items[0].channels[0]], [1, 2, 3, 4]);
  assert.equal(got.error, undefined);
});

test('unplug and replug: the source reopens the same path and marks the first frame discontinuous', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger('debug');
  const got = collect(createSerialSource(csvSensor('replug-1', pty.a), { log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20 }));
  t.after(() => got.sub.unsubscribe());

  await waitFor(() => cap.count('serial port open') === 1, 'port open');
  await pump(pty, () => got.items.length > 0, 'first frame');
  assert.equal(got.items[0].discontinuity, undefined);

  await pty.kill();
  await waitFor(() => cap.count('serial port lost') === 1, 'loss noticed');
  await waitFor(() => cap.count('still unavailable') >= 3, 'retries while unplugged');
  assert.equal(cap.count('serial port lost'), 1);
  assert.equal(cap.count('serial port unavailable'), 0, 'one outage, one warning');

  const before = got.items.length;
  await pty.restart();
  await pump(pty, () => got.items.length > before, 'a frame after replug');
  assert.equal(cap.count('serial port reopened'), 1);
  assert.equal(got.items[before].discontinuity, true);
  assert.deepEqual([...got.items[before].channels[0]], [1, 2, 3, 4]);

  // A second unplug is a new outage and is logged again.
  await pty.kill();
  await waitFor(() => cap.count('serial port lost') === 2, 'second loss noticed');
  assert.equal(got.error, undefined);
});

test('a port that keeps dropping right after opening backs off instead of flapping', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger('debug');
  const got = collect(createSerialSource(csvSensor('flap-1', pty.a), { log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20 }));
  t.after(() => got.sub.unsubscribe());
  const delays = () => cap.lines.filter((l) => typeof l.retryInMs === 'number').map((l) => l.retryInMs as number);
  for (let i = 0; i < 3; i++) {
    await waitFor(() => cap.count('serial port open') + cap.count('serial port reopened') === i + 1, `open #${i + 1}`);
    await pty.kill();
    await waitFor(() => cap.count('serial port lost') === i + 1, `loss #${i + 1}`);
    await pty.restart();
  }
  // Each short-lived session continues the backoff (40, 80, 160 capped) rather than restarting at 40.
  const d = delays();
  assert.ok(d.length >= 3);
  assert.equal(d.at(-1), 160, `delays ${d.join(',')}`);
  assert.ok(d.filter((x) => x === 40).length === 1, `delays ${d.join(',')}`);
});

test('binary frames after a replug: half a frame from before the unplug is dropped, seq continues, discontinuity set', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger('debug');
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'replug-bin', asset: 'motor', rateHz: 1000, axes: ['x', 'y'],
    source: { type: 'serial', path: pty.a, format: 'frame', reconnect: { initialMs: 40, maxMs: 160 } },
  });
  const got = collect(createSerialSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 16 }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === 1, 'port open');
  const frame = (seq: number) => encodeBinaryFrame([[seq, seq], [-seq, -seq]], { seq, sampleType: 'int16' });
  pty.write(frame(1));
  const cut = frame(2);
  pty.write(cut.subarray(0, 7));
  await waitFor(() => got.items.length === 1, 'frame 1');
  await new Promise((r) => setTimeout(r, 50)); // let the half frame reach the decoder
  await pty.kill();
  await waitFor(() => cap.count('serial port lost') === 1, 'loss noticed');
  await pty.restart();
  let seq = 3;
  await waitFor(() => got.items.length >= 2, 'a frame after replug', 10_000, () => { pty.write(frame(seq++)); });
  const after = got.items[1];
  assert.ok(after.seq! >= 3, `seq ${after.seq}`);
  assert.equal(after.discontinuity, true);
  assert.deepEqual([...after.channels[0]], [after.seq, after.seq]);
  assert.equal(bad.count('replug-bin', 'frame-crc'), 0, 'the cut frame never joined new bytes');
});

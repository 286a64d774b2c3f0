// drsnd binary frames over a real pseudo-terminal, written in odd-sized pieces with garbage between
// frames and one corrupted CRC: every valid frame arrives, the bad ones are counted.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema } from '../../src/config/schema.js';
import { encodeBinaryFrame } from '../../src/ingest/decoders/binary-frame.js';
import { createSerialSource } from '../../src/ingest/serial-source.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { ptyPair } from '../helpers/pty.js';

test('binary frames with garbage and a bad CRC: valid ones decoded with seq and scale, bad ones counted', async (t) => {
  const pty = await ptyPair();
  t.after(() => pty.stop());
  const cap = captureLogger();
  const bad = new BadInputCounter(cap.log);
  const sensor = sensorSchema.parse({
    id: 'bin-1', asset: 'gearbox', rateHz: 3200, axes: ['x', 'y', 'z'],
    source: { type: 'serial', path: pty.a, format: 'frame', scale: 0.004 },
  });
  const got = collect(createSerialSource(sensor, { log: cap.log, badInput: bad, maxPayloadBytes: 1 << 16 }));
  t.after(() => got.sub.unsubscribe());
  await waitFor(() => cap.count('serial port open') === 1, 'port open');

  const counts = (seq: number) => [0, 1, 2].map((a) => Array.from({ length: 64 }, (_, i) => (seq * 1000 + a * 100 + i) % 32768));
  const parts: Uint8Array[] = [];
  const sent: number[] = [];
  for (let seq = 100; seq < 110; seq++) {
    const f = encodeBinaryFrame(counts(seq), { seq, sampleType: 'int16' });
    if (seq === 104) f[20] ^= 0xff; // corrupted in transit
    else sent.push(seq);
    parts.push(f);
    if (seq % 3 === 0) parts.push(Uint8Array.of(0x00, 0xa5, 0x13, 0x37, 0xa5)); // line noise, incl. half a sync word
  }
  // A float32 frame with a device timestamp at the end.
  parts.push(encodeBinaryFrame([[0.5], [-0.25], [1]], { seq: 7, seqBits: 32, sampleType: 'float32', timestampMs: 1_764_000_000_000 }));
  const bytes = Buffer.concat(parts);
  // Odd-sized writes so frames straddle reads.
  for (let off = 0; off < bytes.length; off += 97) {
    pty.write(bytes.subarray(off, off + 97));
    await new Promise((r) => setTimeout(r, 2));
  }
  await waitFor(() => got.items.length === sent.length + 1, `${sent.length + 1} frames`);

  assert.deepEqual(got.items.slice(0, -1).map((f) => f.seq), sent);
  const f101 = got.items.find((f) => f.seq === 101)!;
  assert.equal(f101.channels.length, 3);
  assert.equal(f101.channels[0].length, 64);
  assert.ok(Math.abs(f101.channels[2][5] - ((101 * 1000 + 205) % 32768) * 0.004) < 1e-4);
  const last = got.items.at(-1)!;
  assert.equal(last.seq, 7);
  assert.equal(last.t0, 1_764_000_000_000);
  assert.deepEqual(last.channels.map((c) => c[0]), [0.5, -0.25, 1]);
  assert.equal(bad.count('bin-1', 'frame-crc'), 1);
  assert.ok(bad.count('bin-1', 'frame-garbage') >= 1);
  // Frames without a device timestamp are placed back to back at the configured rate.
  assert.equal(got.items[1].t0 - got.items[0].t0, 64 / 3.2);
});

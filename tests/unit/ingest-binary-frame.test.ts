import test from 'node:test';
import assert from 'node:assert/strict';
import { BinaryFrameDecoder, encodeBinaryFrame, type FrameDecoderEvent } from '../../src/ingest/decoders/binary-frame.js';
import { crc16CcittFalse } from '../../src/ingest/decoders/crc16.js';

const opts = { scale: 0.001, maxFrameBytes: 4096, expectedAxes: 3 };
const xyz = (n: number, base: number) => [0, 1, 2].map((a) => Array.from({ length: n }, (_, i) => base + a * 100 + i));

function frames(events: FrameDecoderEvent[]) {
  return events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
}
function rejects(events: FrameDecoderEvent[], reason?: string) {
  return events.filter((e) => e.kind === 'reject' && (reason === undefined || e.reason === reason));
}
function cat(...parts: Uint8Array[]) {
  return new Uint8Array(Buffer.concat(parts));
}

test('header layout: sync word, version, flags, count, axes, seq, CRC over everything before it', () => {
  const f = encodeBinaryFrame([[1, 2], [3, 4]], { seq: 0x1234, sampleType: 'int16' });
  assert.deepEqual([...f.subarray(0, 9)], [0xa5, 0x5a, 1, 0, 2, 0, 2, 0x34, 0x12]);
  assert.equal(f.length, 9 + 2 * 2 * 2 + 2);
  assert.equal(Buffer.from(f).readUInt16LE(f.length - 2), crc16CcittFalse(f, 0, f.length - 2));
});

test('int16 frame decodes interleaved axes with scale applied, seq preserved', () => {
  const d = new BinaryFrameDecoder(opts);
  const ev = d.push(encodeBinaryFrame(xyz(4, 10), { seq: 7, sampleType: 'int16' }));
  const [f] = frames(ev);
  assert.equal(f.seq, 7);
  assert.equal(f.sampleType, 'int16');
  assert.equal(f.timestampMs, undefined);
  assert.equal(f.channels.length, 3);
  assert.deepEqual([...f.channels[1]].map((v) => Math.round(v * 1000)), [110, 111, 112, 113]);
  assert.equal(rejects(ev).length, 0);
});

test('float32 frame with uint32 seq and timestamp is taken as is (scale applies only to int16)', () => {
  const d = new BinaryFrameDecoder(opts);
  const ch = [[0.5, -1.25], [2, 3], [4.75, 5]];
  const [f] = frames(d.push(encodeBinaryFrame(ch, { seq: 0xfffffff0, seqBits: 32, sampleType: 'float32', timestampMs: 1_732_790_000_123 })));
  assert.equal(f.seq, 0xfffffff0);
  assert.equal(f.timestampMs, 1_732_790_000_123);
  assert.deepEqual(f.channels.map((c) => [...c]), ch);
});

test('a frame split across many chunks (byte by byte) decodes once, complete', () => {
  const d = new BinaryFrameDecoder(opts);
  const bytes = cat(encodeBinaryFrame(xyz(5, 1), { seq: 1, sampleType: 'int16' }), encodeBinaryFrame(xyz(5, 2), { seq: 2, sampleType: 'int16' }));
  const out: FrameDecoderEvent[] = [];
  for (const b of bytes) out.push(...d.push(Uint8Array.of(b)));
  assert.deepEqual(frames(out).map((f) => f.seq), [1, 2]);
  assert.equal(rejects(out).length, 0);
});

test('garbage before, between and after frames is skipped and counted; every valid frame survives', () => {
  const d = new BinaryFrameDecoder(opts);
  // Garbage that includes lone sync bytes and a sync word followed by a bad version.
  const junk1 = Uint8Array.of(1, 2, 0xa5, 3, 0xa5, 0x5a, 9, 9, 0x5a);
  const junk2 = Uint8Array.of(0xa5);
  const ev = d.push(cat(junk1, encodeBinaryFrame(xyz(3, 0), { seq: 1, sampleType: 'int16' }), junk2,
    encodeBinaryFrame(xyz(3, 0), { seq: 2, sampleType: 'int16' }), Uint8Array.of(0xff, 0xfe)));
  assert.deepEqual(frames(ev).map((f) => f.seq), [1, 2]);
  const garbage = rejects(ev, 'frame-garbage').map((e) => (e.kind === 'reject' ? e.detail.bytes : 0));
  assert.deepEqual(garbage, [junk1.length, 1, 2]);
});

test('a corrupted CRC is rejected and the next frame still decodes', () => {
  const d = new BinaryFrameDecoder(opts);
  const bad = encodeBinaryFrame(xyz(4, 0), { seq: 1, sampleType: 'int16' });
  bad[12] ^= 0x01;
  const ev = d.push(cat(bad, encodeBinaryFrame(xyz(4, 0), { seq: 2, sampleType: 'int16' })));
  assert.deepEqual(frames(ev).map((f) => f.seq), [2]);
  assert.equal(rejects(ev, 'frame-crc').length, 1);
  // The bad frame's own bytes are not counted a second time as garbage.
  assert.equal(rejects(ev, 'frame-garbage').length, 0);
});

test('a bogus header whose length spans a real frame does not swallow it', () => {
  const d = new BinaryFrameDecoder(opts);
  const real = encodeBinaryFrame(xyz(2, 0), { seq: 42, sampleType: 'int16' });
  // Sync + valid-looking header announcing 20 samples × 3 axes: the real frame lies inside its span.
  const fake = Uint8Array.of(0xa5, 0x5a, 1, 0, 20, 0, 3, 0, 0);
  const tail = new Uint8Array(200).fill(0x11);
  const ev = d.push(cat(fake, real, tail));
  assert.deepEqual(frames(ev).map((f) => f.seq), [42]);
  assert.equal(rejects(ev, 'frame-crc').length, 1);
});

test('oversized length and wrong axis count are rejected without waiting for the bytes', () => {
  const d = new BinaryFrameDecoder({ ...opts, maxFrameBytes: 100 });
  const big = encodeBinaryFrame(xyz(60, 0), { seq: 1, sampleType: 'int16' });
  const twoAxes = encodeBinaryFrame([[1], [2]], { seq: 2, sampleType: 'int16' });
  const ok = encodeBinaryFrame(xyz(2, 0), { seq: 3, sampleType: 'int16' });
  const ev = d.push(cat(big.subarray(0, 12), twoAxes, ok));
  assert.equal(rejects(ev, 'frame-too-large').length, 1);
  assert.equal(rejects(ev, 'frame-axis-count').length, 1);
  assert.deepEqual(frames(ev).map((f) => f.seq), [3]);
});

test('a float32 NaN sample with a good CRC is the device\'s own: the frame goes on, for the validator to drop that sample', () => {
  const d = new BinaryFrameDecoder(opts);
  const ev = d.push(encodeBinaryFrame([[1, NaN], [1, 2], [1, 2]], { seq: 5, sampleType: 'float32' }));
  assert.equal(frames(ev).length, 1);
  assert.ok(Number.isNaN(frames(ev)[0].channels[0][1]));
  assert.equal(ev.filter((e) => e.kind === 'reject').length, 0);
});

test('reset drops a partial frame so bytes from before a reconnect never join bytes after it', () => {
  const d = new BinaryFrameDecoder(opts);
  const a = encodeBinaryFrame(xyz(4, 0), { seq: 1, sampleType: 'int16' });
  const b = encodeBinaryFrame(xyz(4, 0), { seq: 2, sampleType: 'int16' });
  assert.equal(d.push(a.subarray(0, 10)).length, 0);
  d.reset();
  assert.deepEqual(frames(d.push(b)).map((f) => f.seq), [2]);
});

test('buffered bytes stay bounded while scanning pure garbage', () => {
  const d = new BinaryFrameDecoder(opts);
  const junk = new Uint8Array(100_000).fill(0x42);
  const ev = d.push(junk);
  assert.equal(rejects(ev, 'frame-garbage').length, 1);
  // Next valid frame right after the garbage decodes.
  assert.equal(frames(d.push(encodeBinaryFrame(xyz(1, 0), { seq: 9, sampleType: 'int16' }))).length, 1);
});

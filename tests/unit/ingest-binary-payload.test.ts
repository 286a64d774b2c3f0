import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinaryPayload } from '../../src/ingest/decoders/binary-payload.js';
import type { PayloadMeta } from '../../src/ingest/decoders/payload.js';

const xyz: PayloadMeta = { rateHz: 3200, unit: 'g', axes: ['x', 'y', 'z'] };

test('float32 LE, interleaved axes', () => {
  const buf = Buffer.alloc(2 * 3 * 4);
  [0.5, 1, 1.5, -0.5, -1, -1.5].forEach((v, i) => buf.writeFloatLE(v, i * 4));
  const r = decodeBinaryPayload(buf, xyz, 'float32', 1, 1 << 20);
  assert.ok(r.ok);
  assert.deepEqual(r.block.channels.map((c) => [...c]), [[0.5, -0.5], [1, -1], [1.5, -1.5]]);
  assert.equal(r.block.t0, undefined);
});

test('int16 LE × scale, from an unaligned buffer view', () => {
  const backing = Buffer.alloc(1 + 2 * 3 * 2);
  const view = backing.subarray(1);
  [1000, -2000, 3000, 4, 5, -32768].forEach((v, i) => view.writeInt16LE(v, i * 2));
  const r = decodeBinaryPayload(view, xyz, 'int16', 0.001, 1 << 20);
  assert.ok(r.ok);
  assert.deepEqual(r.block.channels.map((c) => [...c].map((v) => Math.round(v * 1000))), [[1000, 4], [-2000, 5], [3000, -32768]]);
});

test('length not a multiple of sample size × axes, or empty, is rejected', () => {
  const reason = (n: number, type: 'int16' | 'float32') => {
    const r = decodeBinaryPayload(Buffer.alloc(n), xyz, type, 1, 1 << 20);
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(reason(0, 'int16'), 'binary-length');
  assert.equal(reason(8, 'int16'), 'binary-length');
  assert.equal(reason(12, 'int16'), 'ok');
  assert.equal(reason(12, 'float32'), 'ok');
  assert.equal(reason(18, 'float32'), 'binary-length');
});

test('a NaN in float32 goes on for the validator to drop that sample; oversized payloads are rejected', () => {
  const buf = Buffer.alloc(12);
  buf.writeFloatLE(Number.NaN, 4);
  const nan = decodeBinaryPayload(buf, xyz, 'float32', 1, 1 << 20);
  assert.ok(nan.ok && Number.isNaN(nan.block.channels[1][0]) && nan.block.channels[0][0] === 0);
  const big = decodeBinaryPayload(Buffer.alloc(1200), xyz, 'float32', 1, 1000);
  assert.equal(big.ok ? 'ok' : big.reason, 'payload-too-large');
});

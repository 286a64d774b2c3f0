import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonPayload } from '../../src/ingest/decoders/json-payload.js';
import type { PayloadMeta } from '../../src/ingest/decoders/payload.js';

const xyz: PayloadMeta = { rateHz: 12000, unit: 'g', axes: ['x', 'y', 'z'] };
const single: PayloadMeta = { rateHz: 12000, unit: 'g', axes: ['acc'] };
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const reason = (payload: unknown, meta = xyz, max = 1 << 20) => {
  const r = decodeJsonPayload(enc(payload), meta, max);
  return r.ok ? 'ok' : r.reason;
};

test('three-axis payload with ts (ms), rate and unit', () => {
  const r = decodeJsonPayload(enc({ ts: 1732790000000, rate: 12000, unit: 'm/s2', x: [1, 2], y: [3, 4], z: [5, 6.5] }), xyz, 1 << 20);
  assert.ok(r.ok);
  assert.equal(r.block.t0, 1732790000000);
  assert.equal(r.block.unit, 'm/s2');
  assert.deepEqual(r.block.channels.map((c) => [...c]), [[1, 2], [3, 4], [5, 6.5]]);
});

test('ISO timestamp; missing ts, rate and unit fall back to the sensor (ts left to the arrival clock)', () => {
  const iso = decodeJsonPayload(enc({ ts: '2024-11-28T10:33:20.500Z', x: [1], y: [1], z: [1] }), xyz, 1 << 20);
  assert.ok(iso.ok);
  assert.equal(iso.block.t0, Date.UTC(2024, 10, 28, 10, 33, 20, 500));
  const bare = decodeJsonPayload(enc({ x: [1], y: [1], z: [1] }), xyz, 1 << 20);
  assert.ok(bare.ok);
  assert.equal(bare.block.t0, undefined);
  assert.equal(bare.block.rateHz, 12000);
  assert.equal(bare.block.unit, 'g');
});

test('"samples" maps to a single-axis sensor but not to a three-axis one', () => {
  const r = decodeJsonPayload(enc({ samples: [0.25, -0.5] }), single, 1 << 20);
  assert.ok(r.ok);
  assert.deepEqual([...r.block.channels[0]], [0.25, -0.5]);
  assert.equal(reason({ samples: [1, 2] }), 'json-shape');
});

test('rate and unit that disagree with the sensor are passed through for the validator to reject', () => {
  const r = decodeJsonPayload(enc({ rate: 48000, unit: 'mg', samples: [1] }), single, 1 << 20);
  assert.ok(r.ok);
  assert.equal(r.block.rateHz, 48000);
  assert.equal(r.block.unit, 'mg');
});

test('a missing value (null, how JSON.stringify writes NaN; 1e999) goes on as a non-finite sample for the validator to drop, not the payload', () => {
  for (const text of [JSON.stringify({ x: [1, NaN], y: [1, 2], z: [1, 2] }), '{"x":[1,1e999],"y":[1,2],"z":[1,2]}']) {
    const r = decodeJsonPayload(Buffer.from(text), xyz, 1 << 20);
    assert.ok(r.ok, text);
    assert.equal(r.block.channels[0][0], 1);
    assert.ok(!Number.isFinite(r.block.channels[0][1]), text);
    assert.equal(r.block.channels[1][1], 2);
  }
});

test('every kind of bad payload gets its own reason', () => {
  assert.equal(reason('{"x": [1, 2'), 'json-invalid');
  assert.equal(reason('not json at all'), 'json-invalid');
  assert.equal(reason([1, 2, 3]), 'json-shape');
  assert.equal(reason('42'), 'json-shape');
  assert.equal(reason('null'), 'json-shape');
  assert.equal(reason({ x: [1], y: [1] }), 'json-shape');
  assert.equal(reason({ x: 1, y: [1], z: [1] }), 'json-shape');
  assert.equal(reason({ x: [], y: [], z: [] }), 'json-empty');
  assert.equal(reason({ x: [1, 2], y: [1], z: [1, 2] }), 'json-unequal-length');
  assert.equal(reason({ x: [1, '2'], y: [1, 2], z: [1, 2] }), 'json-not-a-number');
  assert.equal(reason('{"x":[1,"NaN"],"y":[1,2],"z":[1,2]}'), 'json-not-a-number');
  assert.equal(reason('{"x":[1,"Infinity"],"y":[1,2],"z":[1,2]}'), 'json-not-a-number');
  assert.equal(reason({ x: [1, [2]], y: [1, 2], z: [1, 2] }), 'json-not-a-number');
  assert.equal(reason({ unit: 'G', x: [1], y: [1], z: [1] }), 'json-unknown-unit');
  assert.equal(reason({ unit: 'ft/s2', x: [1], y: [1], z: [1] }), 'json-unknown-unit');
  assert.equal(reason({ rate: -5, x: [1], y: [1], z: [1] }), 'json-bad-rate');
  assert.equal(reason({ rate: '12k', x: [1], y: [1], z: [1] }), 'json-bad-rate');
  assert.equal(reason({ ts: 'tomorrow', x: [1], y: [1], z: [1] }), 'json-bad-timestamp');
  assert.equal(reason({ ts: null, x: [1], y: [1], z: [1] }), 'json-bad-timestamp');
});

test('the size bound is checked before parsing', () => {
  // Invalid JSON above the bound: the reason is its size, proving it was never parsed.
  assert.equal(reason('{'.repeat(2000), xyz, 1000), 'payload-too-large');
  assert.equal(reason({ x: [1], y: [1], z: [1] }, xyz, 1000), 'ok');
});

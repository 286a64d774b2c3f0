import test from 'node:test';
import assert from 'node:assert/strict';
import { crc16CcittFalse } from '../../src/ingest/decoders/crc16.js';

test('CRC-16/CCITT-FALSE of "123456789" is the catalogue check value 0x29B1', () => {
  assert.equal(crc16CcittFalse(new TextEncoder().encode('123456789')), 0x29b1);
});

test('CRC of nothing is the initial value 0xFFFF', () => {
  assert.equal(crc16CcittFalse(new Uint8Array(0)), 0xffff);
});

test('CRC over a sub-range equals CRC of that slice', () => {
  const buf = new TextEncoder().encode('xx123456789yy');
  assert.equal(crc16CcittFalse(buf, 2, 11), 0x29b1);
});

test('a single flipped bit changes the CRC', () => {
  const a = new TextEncoder().encode('123456789');
  const b = a.slice();
  b[4] ^= 0x10;
  assert.notEqual(crc16CcittFalse(a), crc16CcittFalse(b));
});

// isoTime must give exactly Date#toISOString's text: payload times are part of the MQTT contract.
import test from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../../src/util/iso-time.js';

test('isoTime equals toISOString on boundaries, fractions and random times', () => {
  const cases = [
    0, 1, 999, 1000, 59_999, 60_000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */,
    Date.parse('2026-12-31T23:59:59.999Z'), Date.parse('2027-01-01T00:00:00.000Z'), 1.7e12 + 0.9999, 1.7e12 + 123.5,
    253_402_300_799_999 /* 9999-12-31T23:59:59.999Z */, 253_402_300_800_000, -1, -0.5, -62_198_755_200_000,
  ];
  let seed = 12345;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 20_000; i++) cases.push(rand() * 4.1e12 + (i % 7) * 0.3);
  // Times close together within one minute, then across it, exercise the cached prefix both ways.
  for (let t = 1.8e12 - 2_000; t < 1.8e12 + 2_000; t += 37.25) cases.push(t);
  for (const ms of cases) assert.equal(isoTime(ms), new Date(ms).toISOString(), `time ${ms}`);
});

test('isoTime throws on a non-finite time, as toISOString does', () => {
  assert.throws(() => isoTime(Number.NaN), RangeError);
  assert.throws(() => isoTime(Number.POSITIVE_INFINITY), RangeError);
});

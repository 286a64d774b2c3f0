import test from 'node:test';
import assert from 'node:assert/strict';
import { csvLayout, looksLikeHeader, parseCsvLine, parseNumber, parseTimestamp } from '../../src/ingest/decoders/csv.js';
import { CsvFramer } from '../../src/ingest/decoders/csv-framer.js';
import { LineSplitter } from '../../src/ingest/decoders/line-splitter.js';

const axes = ['x', 'y', 'z'];
const enc = (s: string) => new TextEncoder().encode(s);

test('default columns are the axes; with a timestamp column it comes first', () => {
  assert.deepEqual(csvLayout(axes, { delimiter: ',' }).axisIndex, [0, 1, 2]);
  const l = csvLayout(axes, { delimiter: ',', timestampColumn: 't' });
  assert.deepEqual(l.columns, ['t', 'x', 'y', 'z']);
  assert.equal(l.timestampIndex, 0);
});

test('configured columns map axes by name and may hold extra columns', () => {
  const l = csvLayout(['x', 'z'], { delimiter: ';', columns: ['temp', 'z', 't', 'x'], timestampColumn: 't' });
  const r = parseCsvLine('21.5; -0.25;1732790000000;0.5', l);
  assert.deepEqual(r, { ok: true, values: [0.5, -0.25], t: 1732790000000 });
});

test('a missing axis or timestamp column is a configuration error naming it', () => {
  assert.throws(() => csvLayout(axes, { delimiter: ',', columns: ['x', 'y'] }), /axis "z"/);
  assert.throws(() => csvLayout(['x'], { delimiter: ',', columns: ['x'], timestampColumn: 'time' }), /timestamp column "time"/);
});

test('wrong column count, empty fields, words, hex and Infinity are rejected with a reason', () => {
  const l = csvLayout(axes, { delimiter: ',' });
  const reason = (line: string) => { const r = parseCsvLine(line, l); return r.ok ? 'ok' : r.reason; };
  assert.equal(reason('1,2'), 'csv-column-count');
  assert.equal(reason('1,2,3,4'), 'csv-column-count');
  assert.equal(reason('1,,3'), 'csv-not-a-number');
  assert.equal(reason('1,abc,3'), 'csv-not-a-number');
  assert.equal(reason('0x10,2,3'), 'csv-not-a-number');
  assert.equal(reason('Infinity,2,3'), 'csv-not-a-number');
  assert.equal(reason('NaN,2,3'), 'csv-not-a-number');
  assert.equal(reason(' 1.5e-3 ,-.5,+7'), 'ok');
  assert.deepEqual(parseCsvLine('1.5e-3,-.5,+7', l), { ok: true, values: [0.0015, -0.5, 7] });
});

test('timestamps: epoch ms (fractional allowed) or ISO 8601; anything else is rejected', () => {
  assert.equal(parseTimestamp('1732790000000.5'), 1732790000000.5);
  assert.equal(parseTimestamp('2024-11-28T10:33:20.250Z'), Date.UTC(2024, 10, 28, 10, 33, 20, 250));
  assert.equal(parseTimestamp('yesterday'), undefined);
  assert.equal(parseTimestamp('-5'), undefined);
  assert.equal(parseTimestamp('2024-13-45T99:99Z'), undefined);
  const l = csvLayout(['x'], { delimiter: ',', timestampColumn: 't' });
  const r = parseCsvLine('soon,1', l);
  assert.equal(r.ok ? 'ok' : r.reason, 'csv-bad-timestamp');
});

test('parseNumber refuses what Number() would silently accept', () => {
  for (const s of ['', ' ', '0x1F', '1e', '.', '--1', '1_000']) assert.equal(parseNumber(s), undefined, JSON.stringify(s));
  assert.equal(parseNumber('1e999'), undefined);
});

test('header lines are recognised only when no field is numeric', () => {
  assert.deepEqual(looksLikeHeader('t, x ,y,z', ','), ['t', 'x', 'y', 'z']);
  assert.equal(looksLikeHeader('t,1,2,3', ','), undefined);
  assert.equal(looksLikeHeader('2024-11-28T10:00:00Z,x', ','), undefined);
});

test('line splitter: LF, CRLF and CR endings, lines split across chunks, empty lines ignored', () => {
  const s = new LineSplitter(100);
  const lines = [
    ...s.push(enc('1,2,3\r\n4,5')).lines,
    ...s.push(enc(',6\n\n\r7,8,9\r')).lines,
    ...s.push(enc('10,11,12')).lines,
  ];
  assert.deepEqual(lines, ['1,2,3', '4,5,6', '7,8,9']);
  assert.deepEqual(s.push(enc('\n')).lines, ['10,11,12']);
});

test('line splitter skips the possibly-cut first line after (re)open when asked', () => {
  const s = new LineSplitter(100, true);
  assert.deepEqual(s.push(enc('3,0.5,0.7\n1,2,3\n')).lines, ['1,2,3']);
  s.reset();
  assert.deepEqual(s.push(enc('9\n4,5,6\n')).lines, ['4,5,6']);
});

test('line splitter bounds line length: an overlong line is dropped once, the next line survives', () => {
  const s = new LineSplitter(10);
  const a = s.push(enc('x'.repeat(8)));
  const b = s.push(enc('y'.repeat(8)));
  const c = s.push(enc('zzz\n1,2\n'));
  assert.equal(a.overlong + b.overlong + c.overlong, 1);
  assert.deepEqual([...a.lines, ...b.lines, ...c.lines], ['1,2']);
});

const meta = { sensorId: 's1', rateHz: 1000, unit: 'g' as const, axes: ['x', 'y'] };

test('framer gathers samples into full frames with all axes, timestamps from the first line', () => {
  const f = new CsvFramer(meta, 4);
  const out = [];
  for (let i = 0; i < 10; i++) out.push(...f.add({ ok: true, values: [i, -i], t: 5000 + i }, 0));
  assert.equal(out.length, 2);
  assert.deepEqual([...out[1].channels[0]], [4, 5, 6, 7]);
  assert.deepEqual([...out[1].channels[1]], [-4, -5, -6, -7]);
  assert.equal(out[0].t0, 5000);
  assert.equal(out[1].t0, 5004);
  assert.equal(out[1].discontinuity, undefined);
  assert.equal(f.pending, 2);
  const tail = f.flush();
  assert.deepEqual([...tail!.channels[0]], [8, 9]);
  assert.equal(f.flush(), undefined);
});

test('framer closes a frame early at a timestamp gap and marks the next one discontinuous', () => {
  const f = new CsvFramer(meta, 100);
  const out = [];
  for (const t of [0, 1, 2, 50, 51]) out.push(...f.add({ ok: true, values: [t, t], t }, 0));
  assert.equal(out.length, 1);
  assert.deepEqual([...out[0].channels[0]], [0, 1, 2]);
  const next = f.flush()!;
  assert.equal(next.t0, 50);
  assert.equal(next.discontinuity, true);
});

test('framer tolerates 1 ms timestamp resolution at rates above 1 kHz', () => {
  const f = new CsvFramer({ ...meta, rateHz: 4000 }, 8);
  const out = [];
  for (let i = 0; i < 8; i++) out.push(...f.add({ ok: true, values: [i, i], t: 1000 + Math.floor(i / 4) }, 0));
  assert.equal(out.length, 1);
  assert.equal(out[0].channels[0].length, 8);
});

test('framer without timestamps places frames back to back on the arrival clock', () => {
  const f2 = new CsvFramer(meta, 100);
  const a = f2.add({ ok: true, values: [0, 0] }, 0);
  assert.equal(a.length, 0);
  const frames = [];
  for (let i = 1; i < 100; i++) frames.push(...f2.add({ ok: true, values: [i, i] }, 10_100));
  for (let i = 0; i < 100; i++) frames.push(...f2.add({ ok: true, values: [i, i] }, 10_210));
  assert.equal(frames.length, 2);
  assert.equal(frames[0].t0, 10_000);
  assert.equal(frames[1].t0, 10_100);
  assert.equal(frames[1].discontinuity, undefined);
});

test('framer restart drops partial data and flags the next frame', () => {
  const f = new CsvFramer(meta, 2);
  f.add({ ok: true, values: [1, 1], t: 0 }, 0);
  f.restart();
  assert.equal(f.pending, 0);
  const [frame] = f.add({ ok: true, values: [2, 2], t: 9000 }, 0).concat(f.add({ ok: true, values: [3, 3], t: 9001 }, 0));
  assert.equal(frame.discontinuity, true);
  assert.deepEqual([...frame.channels[0]], [2, 3]);
});

test('framer sees a timestamp gap that falls exactly on a frame boundary', () => {
  const f = new CsvFramer(meta, 2);
  const out = [];
  for (const t of [0, 1, 2, 3, 100, 101]) out.push(...f.add({ ok: true, values: [t, t], t }, 0));
  assert.deepEqual(out.map((fr) => [fr.t0, fr.discontinuity]), [[0, undefined], [2, undefined], [100, true]]);
});

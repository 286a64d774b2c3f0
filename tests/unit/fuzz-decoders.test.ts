// Seeded fuzz (issue 19 item 6): 10,500 cases across JSON and binary MQTT payloads, CSV lines and
// binary serial frames, through the decoders and the validator exactly as the sources chain them. No
// case may throw; every case is accepted or rejected with a reason (a frame held to confirm a clock
// reset is resolved by the next one); a good sensor sharing the bad-input counter is not touched.
// A few hundred go through the real transports in tests/integration/fuzz-transports.test.ts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { BadInputCounter } from '../../src/bad-input.js';
import { ArrivalClock } from '../../src/ingest/decoders/arrival-clock.js';
import { BinaryFrameDecoder } from '../../src/ingest/decoders/binary-frame.js';
import { decodeBinaryPayload } from '../../src/ingest/decoders/binary-payload.js';
import { CsvFramer } from '../../src/ingest/decoders/csv-framer.js';
import { csvLayout, parseCsvLine } from '../../src/ingest/decoders/csv.js';
import { decodeJsonPayload } from '../../src/ingest/decoders/json-payload.js';
import type { DecodedBlock, PayloadMeta } from '../../src/ingest/decoders/payload.js';
import { createLogger } from '../../src/log.js';
import { RejectReasons, NoteReasons, validateFrames } from '../../src/pipeline/validate.js';
import type { Frame, SensorMeta } from '../../src/types.js';
import { fuzzBinaryPayload, fuzzCsvLine, fuzzJson, fuzzSerialChunk, rng } from '../helpers/fuzz.js';

const RATE = 12_000;
const AXES = ['x', 'y', 'z'];
const meta: PayloadMeta = { rateHz: RATE, unit: 'g', axes: AXES };
const REASON = /^[a-z][a-zA-Z0-9 ():-]{2,60}$/;

/** One fuzzed sensor and one good sensor, validated as app.ts does, sharing one bad-input counter. */
function harness(seedLabel: string) {
  const bad = new BadInputCounter(createLogger('silent'));
  const sensor = (id: string): SensorMeta => ({ id, asset: 'a', rateHz: RATE, unit: 'g', axes: AXES });
  const outputs = { fuzz: 0, good: 0 };
  const fuzzIn = new Subject<Frame>();
  const goodIn = new Subject<Frame>();
  const opts = { range: 50, gapTolerancePeriods: 2, badInput: bad, futureToleranceMs: 60_000 };
  fuzzIn.pipe(validateFrames({ sensor: sensor('fuzz'), ...opts })).subscribe(() => { outputs.fuzz++; });
  goodIn.pipe(validateFrames({ sensor: sensor('good'), ...opts })).subscribe(() => { outputs.good++; });
  let goodT = Date.now() - 3_600_000;
  let goodSent = 0;
  const good = () => {
    goodIn.next({ sensorId: 'good', t0: goodT, rateHz: RATE, unit: 'g', axes: AXES, channels: AXES.map(() => new Float32Array(120).fill(0.1)) });
    goodT += 10;
    goodSent++;
  };
  let silent = 0;
  /** Feeds one case's frames (none when the decoder rejected it) and checks it had an outcome. */
  const feed = (frames: Frame[], decoderRejected: boolean) => {
    const before = bad.count() + bad.noted() + outputs.fuzz;
    for (const f of frames) fuzzIn.next(f);
    if (!decoderRejected && frames.length > 0 && bad.count() + bad.noted() + outputs.fuzz === before) silent++;
    good();
  };
  const finish = () => {
    fuzzIn.complete();
    goodIn.complete();
    // A frame with no immediate outcome was held as a possible clock reset: each ends as one
    // "went backwards" reject or one reset note.
    assert.ok(silent <= bad.count('fuzz', RejectReasons.backwards) + bad.noted('fuzz', NoteReasons.clockReset), `${seedLabel}: ${silent} silent cases`);
    for (const k of [...bad.counts.keys(), ...bad.notes.keys()]) assert.match(k.split('\u0000')[1], REASON, `${seedLabel}: reason "${k}"`);
    assert.equal(outputs.good, goodSent, `${seedLabel}: the good sensor lost frames`);
    assert.equal(bad.count('good') + bad.noted('good'), 0, `${seedLabel}: the good sensor was blamed`);
    return `${seedLabel}: ${outputs.fuzz} frames out, ${bad.count('fuzz')} rejects and ${bad.noted('fuzz')} notes over ${Object.keys(bad.byReason()).length} reasons; good sensor ${outputs.good}/${goodSent}`;
  };
  return { bad, feed, finish, outputs };
}

const asFrame = (b: DecodedBlock, t0: number): Frame => ({ sensorId: 'fuzz', t0, rateHz: b.rateHz, unit: b.unit, axes: AXES, channels: b.channels });

test('3,000 JSON payloads: decoded or rejected with a reason; nothing throws; the good sensor is untouched', (tc) => {
  const r = rng(19_001);
  const h = harness('json');
  const clock = new ArrivalClock(RATE);
  let decoderRejects = 0;
  let t = Date.now() - 60_000;
  for (let i = 0; i < 3_000; i++) {
    t += 10;
    const d = decodeJsonPayload(fuzzJson(r, t), meta, 1 << 16);
    if (!d.ok) {
      assert.match(d.reason, REASON);
      h.bad.reject('fuzz', 'mqtt', d.reason, d.detail);
      decoderRejects++;
      h.feed([], true);
      continue;
    }
    h.feed([asFrame(d.block, d.block.t0 ?? clock.place(d.block.channels[0].length, t).t0)], false);
  }
  tc.diagnostic(h.finish());
  assert.ok(decoderRejects > 300 && h.outputs.fuzz > 300, `both paths exercised: ${decoderRejects} rejected by the decoder, ${h.outputs.fuzz} frames out`);
});

test('2,500 binary MQTT payloads (float32 and int16)', (tc) => {
  const r = rng(19_002);
  const h = harness('binary');
  const clock = new ArrivalClock(RATE);
  let now = Date.now();
  for (let i = 0; i < 2_500; i++) {
    const type = i % 2 ? 'float32' : 'int16';
    const d = decodeBinaryPayload(fuzzBinaryPayload(r, type), meta, type, 0.01, 1 << 16);
    if (!d.ok) { assert.match(d.reason, REASON); h.bad.reject('fuzz', 'mqtt', d.reason, d.detail); h.feed([], true); continue; }
    now += 5;
    h.feed([asFrame(d.block, clock.place(d.block.channels[0].length, now).t0)], false);
  }
  tc.diagnostic(h.finish());
  assert.ok(h.outputs.fuzz > 1_000);
});

test('2,500 CSV lines with a timestamp column', (tc) => {
  const r = rng(19_003);
  const h = harness('csv');
  const layout = csvLayout(AXES, { timestampColumn: 't', delimiter: ',' });
  const framer = new CsvFramer({ sensorId: 'fuzz', rateHz: RATE, unit: 'g', axes: AXES }, 64);
  let t = Date.now() - 60_000;
  let rejected = 0;
  for (let i = 0; i < 2_500; i++) {
    t += 1000 / RATE;
    const p = parseCsvLine(fuzzCsvLine(r, t), layout);
    if (!p.ok) {
      assert.match(p.reason, REASON);
      h.bad.reject('fuzz', 'serial', p.reason, p.detail);
      rejected++;
      const f = framer.lost();
      h.feed(f ? [f] : [], true);
      continue;
    }
    h.feed(framer.add(p, Date.now()), false);
  }
  const last = framer.flush();
  h.feed(last ? [last] : [], false);
  tc.diagnostic(h.finish());
  assert.ok(rejected > 300 && h.outputs.fuzz > 10, `${rejected} lines rejected, ${h.outputs.fuzz} frames out`);
});

test('2,500 chunks of a binary serial stream: every intact frame decoded, the rest rejected with a reason', (tc) => {
  const r = rng(19_004);
  const h = harness('serial');
  const decoder = new BinaryFrameDecoder({ scale: 0.01, maxFrameBytes: 4096, expectedAxes: 3 });
  const clock = new ArrivalClock(RATE);
  const intact: number[] = [];
  const decoded: number[] = [];
  let t = Date.now() - 60_000;
  for (let seq = 0; seq < 2_500; seq++) {
    const chunk = fuzzSerialChunk(r, seq, t);
    t += 5;
    // Intact frames carry their own sync word at 0 and a CRC the decoder accepts; found by decoding alone.
    const alone = new BinaryFrameDecoder({ scale: 0.01, maxFrameBytes: 4096, expectedAxes: 3 }).push(chunk);
    if (alone.length === 1 && alone[0].kind === 'frame' && alone[0].frame.seq === (seq & (alone[0].frame.seq > 0xffff ? 0xffffffff : 0xffff))) intact.push(seq);
    // Split at a random point, as reads from a port do.
    const cut = Math.floor(r() * (chunk.length + 1));
    const frames: Frame[] = [];
    let rejected = false;
    for (const part of [chunk.subarray(0, cut), chunk.subarray(cut)]) {
      for (const ev of decoder.push(part)) {
        if (ev.kind === 'reject') { assert.match(ev.reason, REASON); h.bad.reject('fuzz', 'serial', ev.reason, ev.detail); rejected = true; continue; }
        decoded.push(ev.frame.seq);
        frames.push({ sensorId: 'fuzz', t0: ev.frame.timestampMs ?? clock.place(ev.frame.channels[0].length, t).t0, rateHz: RATE, unit: 'g', axes: AXES, channels: ev.frame.channels, seq: ev.frame.seq });
      }
    }
    h.feed(frames, rejected && frames.length === 0);
  }
  tc.diagnostic(h.finish());
  const missing = intact.filter((s) => !decoded.includes(s & 0xffff) && !decoded.includes(s));
  assert.deepEqual(missing, [], 'intact frames lost to resynchronisation');
  assert.ok(intact.length > 1_000, `${intact.length} intact frames`);
});

// Window physics across the DSP wire (src/runtime/physics-wire.ts): numbers in a Float64Array, the
// evidence and its note only when they change. Real windows from the signal path (a simulated bearing
// with machine metadata, one without a speed, the generated sensor faults) go through the encoder,
// structured clone (what postMessage does) and the decoder, and must come out equal to what went in,
// with one evidence object shared by the windows that carry it, as on one thread.
import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { BearingSimulator } from '../../src/data/bearing.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import { faultOrders, lookupBearing } from '../../src/physics/bearing.js';
import { ISO_10816_1 } from '../../src/physics/machine.js';
import { FAULT_SIGNALS } from '../../src/physics/test-signals.js';
import { PhysicsDecoder, PhysicsEncoder, physicsBands, type WirePhysicsRare } from '../../src/runtime/physics-wire.js';
import type { WindowPhysics } from '../../src/physics/types.js';
import type { Frame, ModelMetadata, SensorMeta } from '../../src/types.js';

const model: ModelMetadata = {
  id: 'm', version: '1', architecture: 'drsn-cw',
  input: { sampleRateHz: 12000, windowLength: 2048, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 }, files: {}, classes: [],
};
const rate = 12_000;

async function physicsOf(x: Float32Array, machine: SensorMeta['machine']): Promise<WindowPhysics[]> {
  const sensor: SensorMeta = { id: 's', asset: 'a', rateHz: rate, unit: 'g', axes: ['x'], machine };
  const frames: Frame[] = [];
  for (let i = 0; i < x.length; i += 1000) frames.push({ sensorId: 's', t0: (i / rate) * 1000, rateHz: rate, unit: 'g', axes: ['x'], channels: [x.slice(i, i + 1000)] });
  const ws = await lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model, hop: null }), toArray()));
  return ws.map((w) => w.physics!);
}

const orders = faultOrders(lookupBearing('6205')!.geometry);
const full: SensorMeta['machine'] = { orders, speed: { mode: 'fixed', hz: 1797 / 60 }, isoZones: [...ISO_10816_1.II], envelopeBandHz: null };
const noSpeed: SensorMeta['machine'] = { orders, speed: null, isoZones: null, envelopeBandHz: null };
const sim = (condition: 'outer_race' | 'inner_race', seed: number) =>
  new BearingSimulator({ rateHz: rate, condition, severity: 1, rpm: 1797, noiseRms: 0.02, seed, gain: 1 }).next(6 * rate);

/** Each sensor's windows, interleaved as a worker's messages carry them (key = sensor index). */
async function streams(): Promise<WindowPhysics[][]> {
  return [
    await physicsOf(sim('outer_race', 1), full),
    await physicsOf(sim('inner_race', 2), noSpeed),
    ...(await Promise.all(FAULT_SIGNALS.map((s) => physicsOf(s.generate(rate, 4), full)))),
  ];
}

/** Messages of `per` windows from every stream in turn, through encode → structuredClone → decode. */
function roundTrip(all: WindowPhysics[][], per: number, lose?: (msg: number, rare: (WirePhysicsRare | undefined)[]) => boolean): { sent: WindowPhysics; got: WindowPhysics; key: number }[] {
  const bands = physicsBands(model);
  const enc = new PhysicsEncoder(bands);
  const dec = new PhysicsDecoder(bands);
  const out: { sent: WindowPhysics; got: WindowPhysics; key: number }[] = [];
  const longest = Math.max(...all.map((s) => s.length));
  let msg = 0;
  for (let i = 0; i < longest; i += per, msg++) {
    const batch = all.flatMap((s, key) => s.slice(i, i + per).map((p) => ({ key, p })));
    const buf = new Float64Array(batch.length * enc.stride);
    const rare = batch.map(({ key, p }, j) => enc.encode(key, p, buf, j * enc.stride));
    if (lose?.(msg, rare)) {
      enc.reset(); // what the worker does when a message's windows are lost
      continue;
    }
    const wire = structuredClone({ buf: buf.buffer, rare }, { transfer: [buf.buffer] }) as { buf: ArrayBuffer; rare: (WirePhysicsRare | undefined)[] };
    const got = new Float64Array(wire.buf);
    batch.forEach(({ key, p }, j) => out.push({ sent: p, key, got: dec.decode(key, got, j * enc.stride, wire.rare[j]) }));
  }
  return out;
}

test('window physics cross the DSP wire unchanged, evidence shared until it changes', async () => {
  const all = await streams();
  const windows = roundTrip(all, 3);
  assert.equal(windows.length, all.reduce((a, s) => a + s.length, 0));
  let withEvidence = 0;
  let notes = 0;
  let faults = 0;
  let settling = 0;
  for (const { sent, got } of windows) {
    assert.deepEqual(got, sent);
    if (sent.evidence) withEvidence++;
    if (sent.evidenceNote) notes++;
    if (sent.settling) settling++;
    faults += sent.sensorFaults.length;
  }
  // The cases covered: evidence, notes instead of it, findings and the settling flag.
  assert.ok(withEvidence > 50 && notes > 50 && faults > 50 && settling > 5, `${withEvidence} / ${notes} / ${faults} / ${settling}`);
  // One object per analysis on the main side, as in the worker: consecutive windows with the same
  // evidence get the same decoded object.
  const firstKey = windows.filter((w) => w.key === 0 && w.got.evidence);
  const distinctSent = new Set(firstKey.map((w) => w.sent.evidence)).size;
  const distinctGot = new Set(firstKey.map((w) => w.got.evidence)).size;
  assert.ok(distinctSent >= 2 && distinctSent < firstKey.length, `${distinctSent} analyses over ${firstKey.length} windows`);
  assert.equal(distinctGot, distinctSent);
});

test('after lost windows the next ones carry their evidence and note again', async () => {
  const all = await streams();
  // After the first, every message that carries a new evidence or note is lost (an inference error):
  // what changed in it never arrives.
  let lost = 0;
  const windows = roundTrip(all, 2, (msg, rare) => msg > 0 && rare.some((x) => x?.ev !== undefined || x?.n !== undefined) && ++lost > 0);
  assert.ok(windows.length > 100 && lost >= 5, `${windows.length} windows, ${lost} messages lost`);
  for (const { sent, got } of windows) assert.deepEqual(got, sent);
});

test('the wire refuses band levels of another length', () => {
  const enc = new PhysicsEncoder(physicsBands(model));
  const p: WindowPhysics = { indicators: { rmsG: 1, peakG: 1, crest: 1, kurtosis: 3, velocityMmS: 1, isoZone: null }, evidence: null, sensorFaults: [], bandsDb: [1, 2] };
  assert.throws(() => enc.encode(0, p, new Float64Array(64), 0), /2 band levels/);
});

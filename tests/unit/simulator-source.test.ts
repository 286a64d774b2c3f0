import test from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, take, toArray } from 'rxjs';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema, type SensorSettings } from '../../src/config/schema.js';
import { createAxisSimulators, createSimulatorSource } from '../../src/ingest/simulator-source.js';
import type { SourceContext } from '../../src/ingest/source.js';
import { createLogger } from '../../src/log.js';
import type { Frame } from '../../src/types.js';

const T0 = 1_700_000_000_000;
const log = createLogger('silent');
const ctx: SourceContext = { log, badInput: new BadInputCounter(log), maxPayloadBytes: 1 << 20, now: () => T0 };

function sensor(source: Record<string, unknown>, extra: Record<string, unknown> = {}): SensorSettings {
  return sensorSchema.parse({ id: 'sim1', asset: 'motor', rateHz: 12_000, source: { type: 'simulator', speed: 100, ...source }, ...extra });
}

async function frames(s: SensorSettings, n: number): Promise<Frame[]> {
  return lastValueFrom(createSimulatorSource(s, ctx).pipe(take(n), toArray()));
}

test('frames are contiguous: t0 advances by exactly the samples of the previous frame', async () => {
  const got = await frames(sensor({ condition: 'inner_race', frameSamples: 600 }), 12);
  assert.equal(got.length, 12);
  got.forEach((f, i) => {
    assert.equal(f.channels[0].length, 600);
    assert.equal(f.seq, i);
    assert.ok(Math.abs(f.t0 - (T0 + i * 50)) < 1e-6, `frame ${i} t0 ${f.t0 - T0}`);
    assert.equal(f.discontinuity, undefined);
  });
  // The stream equals one uninterrupted simulation: no phase jumps at frame boundaries.
  const whole = createAxisSimulators(sensor({ condition: 'inner_race' }))[0].next(600 * 12);
  assert.deepEqual(Float32Array.from(got.flatMap((f) => Array.from(f.channels[0]))), whole);
});

test('same seed, same stream; another seed, another stream', async () => {
  const a = await frames(sensor({ condition: 'ball', seed: 4, frameSamples: 256 }), 3);
  const b = await frames(sensor({ condition: 'ball', seed: 4, frameSamples: 256 }), 3);
  const c = await frames(sensor({ condition: 'ball', seed: 5, frameSamples: 256 }), 3);
  assert.deepEqual(a.map((f) => f.channels), b.map((f) => f.channels));
  assert.notDeepEqual(a[0].channels[0], c[0].channels[0]);
});

test('honours the sensor axes and unit', async () => {
  const g = await frames(sensor({ condition: 'outer_race', frameSamples: 512 }, { axes: ['x', 'y', 'z'] }), 2);
  const ms2 = await frames(sensor({ condition: 'outer_race', frameSamples: 512 }, { axes: ['x', 'y', 'z'], unit: 'm/s2' }), 2);
  assert.deepEqual(g[0].axes, ['x', 'y', 'z']);
  assert.equal(g[0].channels.length, 3);
  assert.equal(ms2[0].unit, 'm/s2');
  for (let k = 0; k < 3; k++) {
    g[1].channels[k].forEach((v, i) => assert.ok(Math.abs(ms2[1].channels[k][i] - v * 9.80665) < 1e-4, `axis ${k} sample ${i}`));
  }
  assert.notDeepEqual(g[0].channels[0], g[0].channels[1], 'each axis has its own noise');
});

test('unsubscribing releases the timer', async () => {
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timeouts();
  let first!: () => void;
  const arrived = new Promise<void>((r) => { first = r; });
  const sub = createSimulatorSource(sensor({ speed: 1, frameSamples: 120 }), ctx).subscribe(() => first());
  assert.equal(timeouts(), before + 1, 'a frame timer runs');
  await arrived;
  sub.unsubscribe();
  // Frames come only from that timer: none pending means none can follow.
  assert.equal(timeouts(), before, 'no timer left after unsubscribe');
});

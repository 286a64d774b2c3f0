// The physics' per-window and per-frame functions timed alone on one core (docs/physics.md, "Cost"):
// where a channel's physics CPU goes, without the pipeline around it. Wall time per call, best of
// `--rounds` rounds after a warm-up, on a simulated 12 kHz outer-race signal.
//   npm run build && node dist/bench/physics-parts.js [--rounds 5]    (DRSND_NATIVE_FFT=0: TypeScript FFTs and loops)
import { parseArgs } from 'node:util';
import { BearingSimulator } from '../src/data/bearing.js';
import { nativeFft, realFft } from '../src/physics/fft.js';
import { WindowAnalyzer } from '../src/physics/indicators.js';
import { resolveMachine } from '../src/physics/machine.js';
import { nativePhysics } from '../src/physics/native-physics.js';
import { clipMinCount, rawChecks, trendCheck } from '../src/physics/sensor-faults.js';
import { SensorPhysics } from '../src/physics/sensor-physics.js';
import type { Frame, SensorMeta } from '../src/types.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = Number(values.rounds ?? 5);
const rate = 12_000;
const seconds = 60;
const x = new BearingSimulator({ rateHz: rate, condition: 'outer_race', seed: 1 }).next(rate * seconds);
const xd = Float64Array.from(x);
const frames: Frame[] = [];
for (let i = 0; i + 1024 <= x.length; i += 1024) frames.push({ sensorId: 's', t0: 1e12 + (i / rate) * 1000, rateHz: rate, unit: 'g', axes: ['x'], channels: [x.subarray(i, i + 1024)] });

/** Best of `rounds` of the mean wall time (µs) of `n` calls. */
function time(n: number, f: (i: number) => void): number {
  for (let i = 0; i < 200; i++) f(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  return best;
}

const at = (i: number) => (i % 600) * 1024;
// The daemon's flatline/clipping path: native/physics.c spanStats on the ring where the addon is built.
const native = nativePhysics();
const spanOut = new Float64Array(9);
const wa = new WindowAnalyzer(2048, rate);
const re = new Float64Array(1025);
const im = new Float64Array(1025);
const rows: Array<[string, string, number]> = [
  ['per window', 'indicators (moments, spectrum, velocity)', time(5000, (i) => wa.analyse(x.subarray(at(i), at(i) + 2048), 1, [1.4, 2.8, 4.5]))],
  ['per window', '  of which the 2048-point real FFT', time(5000, (i) => realFft(2048).forward(xd, re, im, undefined, at(i)))],
  ['per window', 'flatline / clipping (native samples)', native
    ? time(5000, (i) => native.spanStats(x, at(i), 2048, 1, clipMinCount(2048), spanOut))
    : time(5000, (i) => rawChecks(xd, at(i), at(i) + 2048))],
  ['per window', 'trend / step (native samples)', time(5000, (i) => trendCheck(xd, at(i), at(i) + 2048))],
];
const machine = resolveMachine({ bearing: { designation: '6205' }, speed: { rpm: 1797 } });
for (const [name, sensor] of [
  ['per second of signal', { id: 's', asset: 'a', rateHz: rate, unit: 'g', axes: ['x'] }],
  ['per second of signal', { id: 's', asset: 'a', rateHz: rate, unit: 'g', axes: ['x'], machine }],
] as Array<[string, SensorMeta]>) {
  // A fresh state each round, so the first buffer and the band choice count as they do after a start.
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const p = new SensorPhysics(sensor, rate, 2048);
    const t0 = process.hrtime.bigint();
    for (const f of frames) p.onFrame(f);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / seconds);
  }
  rows.push([name, sensor.machine ? 'frames: ring, blocks, spikes + envelope evidence (6205, fixed speed)' : 'frames: ring, blocks, spikes (no machine metadata)', best]);
}
// The daemon's case: one DSP worker's share of 300 channels (150), frames interleaved across channels
// and a window every hop, each channel with its own state. One channel alone keeps its ring in cache; 150
// do not, and the per-sample ring costs several times more there (the daemon profiles showed it).
const CHANNELS = 150;
const chSeconds = 8;
for (const [label, sensorMachine] of [['no machine metadata', undefined], ['6205, fixed speed', machine]] as const) {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const ps = Array.from({ length: CHANNELS }, (_, c) => new SensorPhysics({ id: `s${c}`, asset: 'a', rateHz: rate, unit: 'g', axes: ['x'], machine: sensorMachine }, rate, 2048));
    const nFrames = (chSeconds * rate) / 1024;
    let t = 0n;
    for (let k = 0; k < nFrames; k++) {
      const f = frames[k % frames.length];
      const t0 = process.hrtime.bigint();
      for (let c = 0; c < CHANNELS; c++) {
        const fc: Frame = { ...f, sensorId: `s${c}`, t0: 1e12 + ((k * 1024) / rate) * 1000 };
        ps[c].onFrame(fc);
        if (k >= 1) {
          const end = fc.t0 + (1023 * 1000) / rate;
          ps[c].onWindow({ sensorId: `s${c}`, asset: 'a', channel: 'x', start: end - (2047 * 1000) / rate, end, data: x.subarray((k % frames.length) * 1024, (k % frames.length) * 1024 + 2048), completedAt: 0 }, 1);
        }
      }
      if (k >= 2) t += process.hrtime.bigint() - t0;
    }
    best = Math.min(best, Number(t) / 1e3 / ((chSeconds - (2 * 1024) / rate) * CHANNELS));
  }
  rows.push(['per second of signal', `${CHANNELS} channels interleaved, frames + a window per hop (${label})`, best]);
}
console.log(`physics parts, one core, FFTs and loops ${nativeFft() ? 'native (native/fft.c, native/physics.c)' : 'TypeScript'}; best of ${rounds} rounds`);
console.log('| unit | part | µs |\n|---|---|---|');
for (const [unit, part, us] of rows) console.log(`| ${unit} | ${part} | ${us.toFixed(1)} |`);

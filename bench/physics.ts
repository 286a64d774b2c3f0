// Issue 18's cost target: indicators + sensor checks + envelope evidence ≤ 25 % extra CPU per channel.
// One core, in process: the CPU one 12 kHz channel costs per second of signal for the signal path
// without physics, the physics on top, and the native engine's inference of that second's windows.
// extra = physics / (signal path + inference). The daemon-level A/B at 300 channels is
//   npm run bench -- --only e2e --sensors 300 --set pipeline.physics=false   (then =true)
// Usage: npm run build && node dist/bench/physics.js [--seconds S] [--rate HZ]
import { parseArgs } from 'node:util';
import { from, lastValueFrom, count } from 'rxjs';
import { BearingSimulator } from '../src/data/bearing.js';
import { loadModel } from '../src/model/metadata.js';
import { selectEngine } from '../src/model/select.js';
import { normalizeData } from '../src/pipeline/normalize.js';
import { signalPipeline } from '../src/pipeline/sensor-pipeline.js';
import { resolveMachine } from '../src/physics/machine.js';
import type { Frame, SensorMeta } from '../src/types.js';
import { ROOT } from './lib/paths.js';
import path from 'node:path';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, rate: { type: 'string' }, speed: { type: 'string' } } });
const seconds = Number(values.seconds ?? 30);
const rate = Number(values.rate ?? 12_000);
const speedMode = values.speed ?? 'fixed';

const model = await loadModel(path.join(ROOT, 'models', 'drsn-cw-cwru'));
const meta = model.meta;
const machine = resolveMachine({
  bearing: { designation: '6205' },
  speed: speedMode === 'estimate' ? { estimate: { minRpm: 1500, maxRpm: 2100 } } : { rpm: 1797 },
  iso: { group: 2, foundation: 'rigid' },
});
const x = new BearingSimulator({ rateHz: rate, condition: 'outer_race', seed: 1 }).next(Math.round(rate * seconds));
const frames: Frame[] = [];
for (let i = 0; i + 1024 <= x.length; i += 1024) frames.push({ sensorId: 's', t0: 1e12 + (i / rate) * 1000, rateHz: rate, unit: 'g', axes: ['x'], channels: [x.subarray(i, i + 1024)] });

/** CPU ms (user + system, this process) of one run of the signal path over all frames. */
async function signalCpu(physics: boolean): Promise<{ ms: number; windows: number }> {
  const sensor: SensorMeta = { id: 's', asset: 'a', rateHz: rate, unit: 'g', axes: ['x'], machine };
  const c0 = process.cpuUsage();
  const windows = await lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model: meta, hop: null, physics }), count()));
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, windows };
}

const { engine } = await selectEngine({ modelDir: model.dir, meta, engine: 'auto', backend: 'auto' });
const len = meta.input.windowLength;
const batch = 64;
const input = new Float32Array(batch * len);
for (let i = 0; i < batch; i++) normalizeData(x.subarray(i * 1024, i * 1024 + len), meta.normalization, input.subarray(i * len, (i + 1) * len));
async function inferenceCpuPerWindow(): Promise<number> {
  await engine.run(input, batch);
  const c0 = process.cpuUsage();
  let n = 0;
  while (n < 4096) { await engine.run(input, batch); n += batch; }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

// Warm both paths up, then alternate three rounds so a machine's drift hits both alike.
await signalCpu(false);
await signalCpu(true);
const rows: { off: number; on: number; infer: number; windows: number }[] = [];
for (let r = 0; r < 3; r++) {
  const off = await signalCpu(false);
  const on = await signalCpu(true);
  const infer = (await inferenceCpuPerWindow()) * off.windows;
  rows.push({ off: off.ms, on: on.ms, infer, windows: off.windows });
}
await engine.dispose();
const perSec = (ms: number) => (ms / seconds).toFixed(3);
console.log(`physics cost per ${rate / 1000} kHz channel (speed ${speedMode}, engine ${engine.name}), CPU ms per second of signal, ${seconds} s of simulated outer-race signal per round:`);
console.log('round | signal path | physics extra | inference | extra / (signal + inference)');
rows.forEach((r, i) => console.log(`${i + 1} | ${perSec(r.off)} | ${perSec(r.on - r.off)} | ${perSec(r.infer)} | ${((100 * (r.on - r.off)) / (r.off + r.infer)).toFixed(1)} %`));
console.log('At 300 channels multiply the per-channel ms by 300 (ms of one core per second). The daemon adds I/O, storage and MQTT to the denominator, so the share at 300 channels is at most this.');

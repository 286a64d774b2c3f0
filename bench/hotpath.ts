// Hot-path profile: each stage between a sensor frame and an MQTT message timed in isolation, on one
// core, in the unit the stage works in. Stages whose per-channel cost is far below inference's
// (~0.3 ms/window) cannot limit the daemon; the table says which ones are close.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { count, from, lastValueFrom } from 'rxjs';
import { BadInputCounter } from '../src/bad-input.js';
import { settingsSchema } from '../src/config/schema.js';
import { BearingSimulator } from '../src/data/bearing.js';
import { createLogger } from '../src/log.js';
import { toDiagnosis } from '../src/pipeline/classify.js';
import { microBatch } from '../src/pipeline/micro-batch.js';
import { normalizeData } from '../src/pipeline/normalize.js';
import { sensorPipeline } from '../src/pipeline/sensor-pipeline.js';
import { diagnosisPayload } from '../src/publish/payloads.js';
import { Store } from '../src/store/store.js';
import type { Diagnosis, Frame, ModelMetadata, SensorMeta, Window } from '../src/types.js';
import type { BenchBroker } from './lib/broker.js';
import { DIST_BENCH } from './lib/paths.js';
import { round } from './lib/stats.js';

export interface HotRow { stage: string; rate: number; unit: string; perWindowUs: number | null; note: string }

const log = createLogger('error');
/** Windows per second one 12 kHz channel produces at 50% overlap: the yardstick for each stage. */
const WINDOWS_PER_CHANNEL = 12_000 / 1024;

function time(fn: () => number, seconds: number): number {
  fn();
  let units = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) units += fn();
  return units / ((performance.now() - t0) / 1000);
}

async function timeAsync(fn: () => Promise<number>, seconds: number): Promise<number> {
  await fn();
  let units = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) units += await fn();
  return units / ((performance.now() - t0) / 1000);
}

function diagnosisFor(i: number, meta: ModelMetadata): Diagnosis {
  const probs = new Float32Array(meta.classes.length).fill(0.01);
  probs[i % probs.length] = 0.91;
  const w: Window = { sensorId: `s${i % 100}`, asset: `a${i % 10}`, channel: 'x', start: 1.7e12 + i * 85, end: 1.7e12 + i * 85 + 170, data: new Float32Array(0), completedAt: 0 };
  return toDiagnosis(w, probs, meta, new Map(meta.classes.map((c) => [c.index, c])), 12.5);
}

function frames(rateHz: number, seconds: number, sensorId: string): Frame[] {
  const sim = new BearingSimulator({ rateHz, condition: 'inner_race', severity: 1, rpm: 1797, noiseRms: 0.02, seed: 3, gain: 1 });
  const out: Frame[] = [];
  for (let p = 0; p < rateHz * seconds; p += 1024) {
    out.push({ sensorId, t0: 1.7e12 + (p * 1000) / rateHz, rateHz, unit: 'g', axes: ['x'], channels: [sim.next(1024)], seq: p / 1024 });
  }
  return out;
}

function row(stage: string, rate: number, unit: string, windowsPerUnit: number | null, note: string): HotRow {
  // µs of this stage per model window (the unit inference is measured in), where it makes sense.
  const perWindowUs = windowsPerUnit === null ? null : round(1e6 / (rate * windowsPerUnit), 2);
  return { stage, rate: Math.round(rate), unit, perWindowUs, note };
}

/** bench/pipeline.ts (resampler and window operator micro-benchmark, owned elsewhere), run as is. */
async function pipelineScript(seconds: number): Promise<Record<string, unknown> | { error: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(DIST_BENCH, 'pipeline.js'), String(seconds)], { timeout: 120_000 }, (err, out) => {
      if (err) resolve({ error: err.message.split('\n')[0] });
      else {
        try { resolve(JSON.parse(out) as Record<string, unknown>); } catch { resolve({ error: 'unparseable output' }); }
      }
    });
  });
}

export async function runHotPath(meta: ModelMetadata, broker: BenchBroker | undefined, seconds: number, say: (s: string) => void): Promise<{ rows: HotRow[]; pipelineScript: Record<string, unknown> }> {
  const rows: HotRow[] = [];
  const add = (r: HotRow) => { rows.push(r); say(`  ${r.stage}: ${r.rate} ${r.unit}${r.perWindowUs !== null ? ` (${r.perWindowUs} µs/window)` : ''}`); };
  const L = meta.input.windowLength;
  const perSample = 1 / 1024; // one 50%-overlap window per 1024 input samples

  const sim = new BearingSimulator({ rateHz: 12_000, condition: 'outer_race', severity: 1, rpm: 1797, noiseRms: 0.02, seed: 1, gain: 1 });
  add(row('simulator source (BearingSimulator.next)', time(() => sim.next(1024).length, seconds), 'samples/s', perSample, 'ingest cost of the e2e bench\'s simulated sensors (a real sensor costs a decode instead)'));

  for (const rateHz of [12_000, 25_600]) {
    const sensor: SensorMeta = { id: 's', asset: 'a', rateHz, unit: 'g', axes: ['x'] };
    const input = frames(rateHz, Math.max(2, seconds), 's');
    const build = () => sensorPipeline({ sensor, range: 500, model: meta, hop: null, gapTolerancePeriods: 2, badInput: new BadInputCounter(log) });
    const rate = await timeAsync(async () => { await lastValueFrom(from(input).pipe(build(), count())); return input.length * 1024; }, seconds);
    // Windows are produced at the model rate (12 kHz): one per 1024 × (rate / 12 kHz) input samples.
    add(row(`sensor pipeline ${rateHz / 1000} kHz (validate, units, ${rateHz === 12_000 ? 'band-limit FIR' : 'resample + band-limit'}, window)`, rate, 'input samples/s', perSample * (12_000 / rateHz), 'one channel, per-sensor RxJS chain'));
  }

  const w = frames(12_000, 1, 'n')[0].channels[0];
  const win = new Float32Array(L);
  for (let i = 0; i < L; i++) win[i] = w[i % w.length];
  add(row('normalize (window z-score)', time(() => { normalizeData(win, meta.normalization); return 1; }, seconds), 'windows/s', 1, ''));

  const items = Array.from({ length: 16_384 }, (_, i) => i);
  add(row('micro-batch operator (16, 50 ms)', await timeAsync(async () => { await lastValueFrom(from(items).pipe(microBatch(16, 50), count())); return items.length; }, seconds), 'windows/s', 1, ''));

  const probs = new Float32Array(meta.classes.length).fill(0.05);
  const classes = new Map(meta.classes.map((c) => [c.index, c]));
  const wnd: Window = { sensorId: 's', asset: 'a', channel: 'x', start: 0, end: 1, data: win, completedAt: 0 };
  add(row('toDiagnosis (argmax → Diagnosis)', time(() => { for (let i = 0; i < 100; i++) toDiagnosis(wnd, probs, meta, classes, 1); return 100; }, seconds), 'diagnoses/s', 1, ''));

  const ds = Array.from({ length: 2000 }, (_, i) => diagnosisFor(i, meta));
  add(row('diagnosis payload + JSON.stringify', time(() => { for (const d of ds.slice(0, 200)) JSON.stringify(diagnosisPayload('gw', 'bench-d1', d)); return 200; }, seconds), 'messages/s', 1, ''));

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'drsnd-bench-hot-'));
  try {
    const settings = settingsSchema.parse({ store: { path: path.join(tmp, 'h.db') } });
    const store = new Store({ settings: settings.store, log });
    await store.start();
    store.upsertSensors(Array.from({ length: 100 }, (_, i) => ({ id: `s${i}`, asset: `a${i % 10}`, rateHz: 12_000, unit: 'g' as const, axes: ['x'] })));
    for (const batch of [50, 500]) {
      const rate = time(() => { for (let i = 0; i < batch; i++) store.enqueue(ds[i]); store.flush(); return batch; }, seconds);
      add(row(`SQLite batch insert (${batch} rows/transaction, WAL, synchronous=NORMAL)`, rate, 'rows/s', 1, 'Store.enqueue + flush on a temp file'));
    }
    await store.stop();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  if (broker) {
    // The daemon's publish path: QoS 1, one message per diagnosis. Publish-only = until every PUBACK
    // (the daemon's own cost); delivered = until a QoS 0 subscriber (here, same process) has them all.
    const pub = connect(broker.url, { clientId: `bench-hot-pub-${process.pid}`, protocolVersion: 5 });
    const sub = connect(broker.url, { clientId: `bench-hot-sub-${process.pid}`, protocolVersion: 5 });
    await Promise.all([pub, sub].map((c) => new Promise<void>((r, j) => { c.once('connect', () => r()); c.once('error', j); })));
    await sub.subscribeAsync('hot/delivered/#', { qos: 0 });
    let got = 0;
    sub.on('message', () => { got++; });
    const payloads = ds.map((d) => JSON.stringify(diagnosisPayload('gw', 'bench-d1', d)));
    const burst = async (prefix: string, waitDelivered: boolean): Promise<number> => {
      const target = got + payloads.length;
      let acked = 0;
      await new Promise<void>((resolve) => {
        for (const [i, p] of payloads.entries()) {
          pub.publish(`hot/${prefix}/a/s${i % 100}/diagnosis`, p, { qos: 1 }, () => { if (++acked === payloads.length) resolve(); });
        }
      });
      while (waitDelivered && got < target) await new Promise((r) => setTimeout(r, 1));
      return payloads.length;
    };
    add(row('MQTT publish QoS 1 (until all PUBACKs)', await timeAsync(() => burst('acked', false), seconds), 'messages/s', 1, `${payloads[0].length}-byte diagnosis payloads, bursts of ${payloads.length}, mosquitto on loopback`));
    add(row('MQTT publish QoS 1 → mosquitto → QoS 0 subscriber', await timeAsync(() => burst('delivered', true), seconds), 'messages/s', 1, 'publisher and subscriber in this process'));
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  }
  const script = await pipelineScript(Math.max(2, Math.round(seconds)));
  say(`  bench/pipeline.ts: ${JSON.stringify(script)}`);
  return { rows, pipelineScript: script };
}

export { WINDOWS_PER_CHANNEL };

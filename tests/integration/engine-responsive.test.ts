// Inference runs off the event loop: while the worker pool is saturated with large batches, timers
// and MQTT round trips on the main thread stay fast. Self-calibrated, not a speed target: the bound is
// half the time one batch takes to compute, which any inference on the main thread would exceed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { loadModel } from '../../src/model/metadata.js';
import { createClassifierPool } from '../../src/model/pool.js';
import { startTestBroker } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';

test('event loop and MQTT round trips stay responsive while inference is saturated', { timeout: 120_000 }, async (t) => {
  const modelDir = path.join(projectRoot, 'models', 'drsn-cw-cwru');
  assert.ok(existsSync(path.join(modelDir, 'drsn.json')), 'the shipped model is in models/');
  const { meta } = await loadModel(modelDir);
  const pool = await createClassifierPool({ modelDir, meta, engine: 'onnx', backend: 'auto', workers: 1, log: pino({ level: 'silent' }) });
  const broker = await startTestBroker();
  const client = await mqtt.connectAsync(broker.url, { clientId: 'responsive' });
  t.after(async () => {
    await client.endAsync().catch(() => undefined);
    await pool.stop();
    await broker.stop();
  });
  const L = meta.input.windowLength;
  const template = Array.from({ length: 512 }, (_, k) => Float32Array.from({ length: L }, (_, i) => Math.sin(i * (0.01 + k * 1e-4))));
  // Fresh copies each time (the pool transfers the buffers to the worker); copying is cheap, sin() is not.
  const batch = () => template.map((w) => w.slice());

  // How long one batch takes to compute (in the worker).
  const t0 = performance.now();
  await pool.classify(batch());
  const batchMs = performance.now() - t0;

  const pending = new Map<string, number>();
  const rtts: number[] = [];
  client.on('message', (_topic, payload) => {
    const sent = pending.get(payload.toString());
    if (sent !== undefined) rtts.push(performance.now() - sent);
  });
  await client.subscribeAsync('responsive/ping', { qos: 1 });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let saturated = true;
  const work = (async () => {
    let batches = 0;
    while (saturated) {
      await Promise.all([pool.classify(batch()), pool.classify(batch())]);
      batches += 2;
    }
    return batches;
  })();
  for (let i = 0; i < 40; i++) {
    const id = `ping-${i}`;
    pending.set(id, performance.now());
    await client.publishAsync('responsive/ping', id, { qos: 1 });
    await new Promise((r) => setTimeout(r, 50));
  }
  saturated = false;
  const batches = await work;
  delay.disable();
  await new Promise((r) => setTimeout(r, 200));

  assert.ok(batches >= 2, 'inference kept the worker busy during the measurement');
  assert.ok(rtts.length >= 38, `round trips completed: ${rtts.length}/40`);
  const worstRtt = Math.max(...rtts);
  const maxLoopDelayMs = delay.max / 1e6;
  assert.ok(worstRtt < batchMs / 2, `worst MQTT round trip ${worstRtt.toFixed(1)} ms vs one batch ${batchMs.toFixed(0)} ms`);
  assert.ok(maxLoopDelayMs < batchMs / 2, `max event-loop delay ${maxLoopDelayMs.toFixed(1)} ms vs one batch ${batchMs.toFixed(0)} ms`);
});

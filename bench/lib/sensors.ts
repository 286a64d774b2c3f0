// The benchmarks' N-channel plant: one 12 kHz single-axis sensor per channel, each looping a CWRU
// excerpt (replay) or synthesizing a bearing (simulator). One definition for every bench that needs
// "N channels" (e2e and soak through bench/e2e-daemon.ts, delivery through a config file), so their
// figures describe the same load.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BearingSimulator } from '../../src/data/bearing.js';
import { CWRU_DIR } from './paths.js';

export type BenchSource = 'replay' | 'simulator';

/** Replay excerpt length in frames of 1024: each loop restarts the windower (a discontinuity), losing one window. */
export const REPLAY_FRAMES = 59;

/**
 * One 12 kHz excerpt per CWRU class (drive end), else simulated conditions, as raw f32 files in `dir`
 * (temporary, never in the repository). Each replay sensor holds its own copy of its file in memory.
 */
export function replayFiles(dir: string): string[] {
  const n = REPLAY_FRAMES * 1024;
  const out: string[] = [];
  const manifestPath = path.join(CWRU_DIR, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { records: { label: number; channels: { file: string; channel: string; sampling_rate_hz?: number }[] }[] };
    const seen = new Set<number>();
    for (const r of manifest.records) {
      const de = r.channels.find((c) => c.channel === 'DE' && c.sampling_rate_hz === 12000);
      if (!de || seen.has(r.label)) continue;
      seen.add(r.label);
      const buf = readFileSync(path.join(CWRU_DIR, de.file));
      if (buf.byteLength < n * 4) continue;
      const file = path.join(dir, `cwru-${r.label}.f32`);
      writeFileSync(file, buf.subarray(0, n * 4));
      out.push(file);
    }
  }
  if (out.length === 0) {
    for (const [i, condition] of (['normal', 'inner_race', 'outer_race', 'ball'] as const).entries()) {
      const x = new BearingSimulator({ rateHz: 12_000, condition, severity: 1, rpm: 1797, noiseRms: 0.02, seed: i + 1, gain: 1 }).next(n);
      const file = path.join(dir, `sim-${condition}.f32`);
      writeFileSync(file, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
      out.push(file);
    }
  }
  return out;
}

/** `sensors` entries of the daemon's settings for N channels (ids s0…, ten per asset). */
export function benchSensors(n: number, o: { rateHz: number; source: BenchSource; replayFiles: string[] }): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`, asset: `a${Math.floor(i / 10)}`, rateHz: o.rateHz, axes: ['x'],
    // CWRU's drive-end bearing at its no-load speed (the simulator's default too), so the physics runs
    // whole, envelope evidence included, as on a configured plant sensor (since 2026-12-06).
    machine: { bearing: { designation: '6205' }, speed: { rpm: 1797 } },
    // Mixed recordings / conditions, so diagnoses (and alerts) vary like a real plant.
    source: o.source === 'replay'
      ? { type: 'replay', file: o.replayFiles[i % o.replayFiles.length], format: 'f32', loop: true, frameSamples: 1024 }
      : { type: 'simulator', condition: ['normal', 'inner_race', 'outer_race', 'ball'][i % 4], seed: i + 1, frameSamples: 1024 },
  }));
}

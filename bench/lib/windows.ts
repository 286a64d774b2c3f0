// The windows every engine (and the PyTorch peer) is timed on: real CWRU drive-end windows when the
// data is present, z-scored exactly like the daemon does, else deterministic synthetic vibration.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeData } from '../../src/pipeline/normalize.js';
import type { ModelMetadata } from '../../src/types.js';
import { CWRU_DIR } from './paths.js';

interface ManifestChannel { file: string; channel: string; sampling_rate_hz?: number }
interface Manifest { records: { channels: ManifestChannel[] }[] }

export interface BenchWindows {
  /** count × windowLength normalized floats. */
  data: Float32Array;
  count: number;
  source: string;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function benchWindows(meta: ModelMetadata, count = 256): BenchWindows {
  const L = meta.input.windowLength;
  const data = new Float32Array(count * L);
  const rnd = lcg(12345);
  const manifestPath = path.join(CWRU_DIR, 'manifest.json');
  let signals: Float32Array[] = [];
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    for (const r of manifest.records) {
      const de = r.channels.find((c) => c.channel === 'DE' && c.sampling_rate_hz === 12000);
      if (!de) continue;
      const buf = readFileSync(path.join(CWRU_DIR, de.file));
      signals.push(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
    }
  }
  const source = signals.length > 0 ? `CWRU 12 kHz DE, ${signals.length} records` : 'synthetic (CWRU data absent)';
  if (signals.length === 0) {
    const x = new Float32Array(L * 64);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) + 0.3 * Math.sin(i * 2.1) + (rnd() - 0.5);
    signals = [x];
  }
  for (let i = 0; i < count; i++) {
    const sig = signals[i % signals.length];
    const off = Math.floor(rnd() * (sig.length - L));
    data.set(normalizeData(sig.subarray(off, off + L), meta.normalization), i * L);
  }
  return { data, count, source };
}

/** The i-th window (mod count) as its own array, the way the pipeline hands windows to the pool. */
export function windowAt(w: BenchWindows, i: number, L: number): Float32Array {
  const k = i % w.count;
  return w.data.subarray(k * L, (k + 1) * L);
}

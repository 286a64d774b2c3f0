// Seeded fuzz inputs for every wire format drsnd decodes (issue 19): JSON and binary MQTT payloads, CSV
// lines and binary serial frames. Each generator mixes valid inputs, mutations of valid ones and
// garbage, so both the accept and the reject paths are exercised; the same seed gives the same cases.
import { mulberry32 } from '../../src/data/bearing.js';
import { encodeBinaryFrame } from '../../src/ingest/decoders/binary-frame.js';

/** The simulator's seeded generator (mulberry32): the same seed gives the same cases. */
export const rng = mulberry32;

export type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const WILD_NUMBERS = [0, -0, 1e300, -1e300, 1e-320, 5e-324, 2 ** 53, -1, 1.5, 499.99, 500.01, 1e6, 123456789012345];
const WILD_VALUES: unknown[] = [null, true, false, '', '1.5', 'NaN', 'Infinity', [], {}, [1], { x: 1 }, ...WILD_NUMBERS];
const TIMES: unknown[] = [Date.now(), Date.now() + 86_400_000, 1e300, 0, 5_000, -5, '2026-13-40T99:00:00Z', '1970-01-01T00:00:00Z', 'tomorrow', null, Date.now() - 3_600_000, new Date().toISOString()];

function mutateBytes(r: Rand, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b);
  switch (int(r, 5)) {
    case 0: for (let k = 0, n = 1 + int(r, 4); k < n && out.length; k++) out[int(r, out.length)] ^= 1 << int(r, 8); return out; // bit flips
    case 1: return out.subarray(0, int(r, out.length + 1)); // truncated
    case 2: { const extra = Uint8Array.from({ length: int(r, 64) }, () => int(r, 256)); const i = int(r, out.length + 1); return Uint8Array.from([...out.subarray(0, i), ...extra, ...out.subarray(i)]); } // garbage inserted
    case 3: return Uint8Array.from({ length: int(r, 200) }, () => int(r, 256)); // pure garbage
    default: return out; // unchanged: valid
  }
}

/** A JSON payload for a 3-axis sensor (x, y, z) whose good timestamp is `t`: valid, with wild fields, structurally wrong, or mangled bytes. */
export function fuzzJson(r: Rand, t: number): Uint8Array {
  const n = 1 + int(r, 64);
  const arr = () => Array.from({ length: n }, () => (r() < 0.998 ? (r() - 0.5) * 4 : pick(r, WILD_VALUES)));
  const doc: Record<string, unknown> = { x: arr(), y: arr(), z: arr() };
  if (r() < 0.6) doc.ts = r() < 0.8 ? t : pick(r, TIMES);
  if (r() < 0.2) doc.rate = pick(r, [12_000, 2_000, -5, '12k', 0, null]);
  if (r() < 0.2) doc.unit = pick(r, ['g', 'mg', 'm/s2', 'G', 'furlongs', 3]);
  if (r() < 0.1) delete doc[pick(r, ['x', 'y', 'z'])];
  if (r() < 0.1) doc[pick(r, ['x', 'y', 'z'])] = pick(r, WILD_VALUES);
  if (r() < 0.05 && Array.isArray(doc.x)) doc.x.push(1); // unequal lengths
  let text = r() < 0.05 ? JSON.stringify(pick(r, WILD_VALUES)) : JSON.stringify(doc);
  if (r() < 0.05) text = text.replace('[', '[1e999,');
  const bytes = new TextEncoder().encode(text);
  return r() < 0.25 ? mutateBytes(r, bytes) : bytes;
}

/** A raw little-endian block for a 3-axis float32 or int16 sensor. */
export function fuzzBinaryPayload(r: Rand, sampleType: 'float32' | 'int16'): Uint8Array {
  const size = sampleType === 'float32' ? 4 : 2;
  const n = int(r, 80);
  const buf = new Uint8Array(n * 3 * size + (r() < 0.2 ? int(r, size * 3) : 0));
  const dv = new DataView(buf.buffer);
  for (let o = 0; o + size <= buf.length; o += size) {
    if (size === 4) dv.setFloat32(o, r() < 0.98 ? (r() - 0.5) * 4 : pick(r, [NaN, Infinity, -Infinity, 1e30, 600]), true);
    else dv.setInt16(o, int(r, 65536) - 32768, true);
  }
  return r() < 0.15 ? mutateBytes(r, buf) : buf;
}

/** One CSV line for columns t,x,y,z (timestamp column t). */
export function fuzzCsvLine(r: Rand, t: number): string {
  const num = () => ((r() - 0.5) * 4).toFixed(4);
  const fields = [String(t), num(), num(), num()];
  switch (int(r, 8)) {
    case 0: fields[1 + int(r, 3)] = pick(r, ['', 'NaN', 'Infinity', '0x1F', 'abc', '1e999', '--1', '501', '1e6']); break;
    case 1: fields.splice(int(r, 4), 1); break;
    case 2: fields.push(num()); break;
    case 3: fields[0] = pick(r, ['', 'tomorrow', '-5', String(t + 86_400_000), '1e300', '1970-01-01T00:00:00Z', '2026-99-99']); break;
    case 4: return Array.from({ length: int(r, 120) }, () => String.fromCharCode(32 + int(r, 95))).join('');
    default: break;
  }
  return fields.join(r() < 0.02 ? ';' : ',');
}

/** A byte chunk of a binary serial stream for a 3-axis sensor: frames (some corrupted) and noise. */
export function fuzzSerialChunk(r: Rand, seq: number, t: number): Uint8Array {
  const n = 1 + int(r, 40);
  const sampleType = r() < 0.5 ? 'int16' : 'float32';
  const axes = r() < 0.95 ? 3 : 1 + int(r, 4);
  const ch = Array.from({ length: axes }, () => Array.from({ length: n }, () => (sampleType === 'int16' ? int(r, 2000) - 1000 : (r() < 0.99 ? (r() - 0.5) * 4 : NaN))));
  const frame = encodeBinaryFrame(ch, { seq, sampleType, seqBits: r() < 0.5 ? 16 : 32, ...(r() < 0.5 ? { timestampMs: r() < 0.9 ? t : pick(r, [0, 1e15, t + 86_400_000]) } : {}) });
  return r() < 0.35 ? mutateBytes(r, frame) : frame;
}

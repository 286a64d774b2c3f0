// JSON waveform payloads (docs/formats.md, "MQTT JSON"):
//   {"ts": 1732790000000 | "2024-11-28T10:33:20Z", "rate": 12000, "unit": "g", "x": [...], "y": [...], "z": [...]}
//   {"samples": [...]}  (single-axis sensors)
// Every field but the sample arrays is optional and defaults to the sensor's configuration. Rate and unit
// that disagree with the configuration are passed through: the pipeline's validator rejects them with
// a reason that names both values, which is more useful than a decoder guessing.
import { UNITS, type Unit } from '../../types.js';
import { parseTimestamp } from './csv.js';
import { reject, tooLarge, type DecodeResult, type PayloadMeta } from './payload.js';

export function decodeJsonPayload(payload: Uint8Array, meta: PayloadMeta, maxBytes: number): DecodeResult {
  const big = tooLarge(payload, maxBytes);
  if (big) return big;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (e) {
    return reject('json-invalid', { error: (e as Error).message });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return reject('json-shape', { expected: 'an object with one sample array per axis' });
  }
  const obj = doc as Record<string, unknown>;

  const arrays: unknown[] = [];
  for (const axis of meta.axes) {
    let arr = obj[axis];
    if (arr === undefined && meta.axes.length === 1) arr = obj.samples;
    if (arr === undefined) {
      const hint = obj.samples !== undefined ? ' ("samples" is only for single-axis sensors)' : '';
      return reject('json-shape', { expected: `array "${axis}"${hint}`, axes: meta.axes });
    }
    if (!Array.isArray(arr)) return reject('json-shape', { expected: `"${axis}" to be an array` });
    arrays.push(arr);
  }
  const n = (arrays[0] as unknown[]).length;
  if (n === 0) return reject('json-empty');
  if (arrays.some((a) => (a as unknown[]).length !== n)) {
    return reject('json-unequal-length', { lengths: Object.fromEntries(meta.axes.map((ax, i) => [ax, (arrays[i] as unknown[]).length])) });
  }
  const channels: Float32Array[] = [];
  for (let a = 0; a < arrays.length; a++) {
    const src = arrays[a] as unknown[];
    const ch = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      // null is how JSON.stringify writes NaN and Infinity (1e999 parses to Infinity): a sensor's way of
      // saying "no value here". It goes on as NaN, so the validator drops that sample, not the payload.
      if (v === null) { ch[i] = Number.NaN; continue; }
      if (typeof v !== 'number') {
        return reject('json-not-a-number', { axis: meta.axes[a], index: i, value: String(v).slice(0, 20) });
      }
      ch[i] = v;
    }
    channels.push(ch);
  }

  let rateHz = meta.rateHz;
  if (obj.rate !== undefined) {
    if (typeof obj.rate !== 'number' || !Number.isFinite(obj.rate) || obj.rate <= 0) return reject('json-bad-rate', { rate: obj.rate });
    rateHz = obj.rate;
  }
  let unit: Unit = meta.unit;
  if (obj.unit !== undefined) {
    if (!UNITS.includes(obj.unit as Unit)) return reject('json-unknown-unit', { unit: obj.unit, known: UNITS });
    unit = obj.unit as Unit;
  }
  let t0: number | undefined;
  if (obj.ts !== undefined) {
    t0 = typeof obj.ts === 'number' ? (Number.isFinite(obj.ts) && obj.ts >= 0 ? obj.ts : undefined)
      : typeof obj.ts === 'string' ? parseTimestamp(obj.ts) : undefined;
    if (t0 === undefined) return reject('json-bad-timestamp', { ts: obj.ts });
  }
  const block = t0 === undefined ? { channels, rateHz, unit } : { channels, rateHz, unit, t0 };
  return { ok: true, block };
}

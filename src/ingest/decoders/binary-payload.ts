// Raw binary MQTT payloads (docs/formats.md, "MQTT binary"): samples only, little-endian, axes
// interleaved (x0 y0 z0 x1 y1 z1 ...). No header, so no timestamp: the source uses the arrival clock.
import { reject, tooLarge, type DecodeResult, type PayloadMeta } from './payload.js';

export type BinarySampleType = 'int16' | 'float32';

export function decodeBinaryPayload(
  payload: Uint8Array,
  meta: PayloadMeta,
  sampleType: BinarySampleType,
  scale: number,
  maxBytes: number,
): DecodeResult {
  const big = tooLarge(payload, maxBytes);
  if (big) return big;
  const size = sampleType === 'float32' ? 4 : 2;
  const axes = meta.axes.length;
  const stride = size * axes;
  if (payload.length === 0 || payload.length % stride !== 0) {
    return reject('binary-length', { bytes: payload.length, multipleOf: stride, sampleType, axes });
  }
  const n = payload.length / stride;
  // Payload buffers are not aligned for Float32Array/Int16Array views; DataView reads any offset.
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const channels = Array.from({ length: axes }, () => new Float32Array(n));
  let o = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < axes; a++) {
      // A NaN or Infinity goes on: the validator drops that sample (and counts it), not the whole block.
      channels[a][i] = size === 4 ? dv.getFloat32(o, true) : dv.getInt16(o, true) * scale;
      o += size;
    }
  }
  return { ok: true, block: { channels, rateHz: meta.rateHz, unit: meta.unit } };
}

// The drsnd serial frame format (docs/formats.md, "Binary frames"). All multi-byte fields little-endian.
//
//   off  size  field
//   0    2     sync word 0xA5 0x5A
//   2    1     version = 1
//   3    1     flags: bit0 sample type (0 int16, 1 float32), bit1 seq width (0 uint16, 1 uint32),
//               bit2 timestamp present; bits 3-7 reserved, must be 0
//   4    2     sample count per axis (uint16, >= 1)
//   6    1     axis count (uint8, >= 1)
//   7    2|4   sequence number
//   ..   0|8   timestamp of the first sample, epoch ms (uint64)
//   ..   n     samples, interleaved: s0a0 s0a1 .. s1a0 s1a1 ..
//   ..   2     CRC-16/CCITT-FALSE over every byte from the sync word to the last sample
import { crc16CcittFalse } from './crc16.js';

export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const FRAME_VERSION = 1;
export const FLAG_FLOAT32 = 0x01;
export const FLAG_SEQ32 = 0x02;
export const FLAG_TIMESTAMP = 0x04;
const KNOWN_FLAGS = FLAG_FLOAT32 | FLAG_SEQ32 | FLAG_TIMESTAMP;
/** Sync (2) + version (1) + flags (1) + sample count (2) + axis count (1). */
const FIXED_HEADER = 7;

export type SampleType = 'int16' | 'float32';

export interface BinaryFrame {
  seq: number;
  /** Epoch ms of the first sample when the frame carries one. */
  timestampMs?: number;
  sampleType: SampleType;
  /** One array per axis, int16 already multiplied by `scale`. */
  channels: Float32Array[];
}

export interface EncodeOptions {
  seq: number;
  sampleType: SampleType;
  seqBits?: 16 | 32;
  timestampMs?: number;
}

/** Builds one frame from per-axis raw values (int16 counts or float32). For firmware authors, tests and tools. */
export function encodeBinaryFrame(channels: ArrayLike<number>[], opts: EncodeOptions): Uint8Array {
  const axes = channels.length;
  const n = channels[0]?.length ?? 0;
  if (axes < 1 || axes > 255 || n < 1 || n > 0xffff || channels.some((c) => c.length !== n)) {
    throw new RangeError('encodeBinaryFrame: need 1-255 equal-length channels of 1-65535 samples');
  }
  const seq32 = opts.seqBits === 32;
  const size = opts.sampleType === 'float32' ? 4 : 2;
  const header = FIXED_HEADER + (seq32 ? 4 : 2) + (opts.timestampMs !== undefined ? 8 : 0);
  const out = new Uint8Array(header + n * axes * size + 2);
  const dv = new DataView(out.buffer);
  out[0] = SYNC0;
  out[1] = SYNC1;
  out[2] = FRAME_VERSION;
  out[3] = (size === 4 ? FLAG_FLOAT32 : 0) | (seq32 ? FLAG_SEQ32 : 0) | (opts.timestampMs !== undefined ? FLAG_TIMESTAMP : 0);
  dv.setUint16(4, n, true);
  out[6] = axes;
  let o = FIXED_HEADER;
  if (seq32) { dv.setUint32(o, opts.seq >>> 0, true); o += 4; } else { dv.setUint16(o, opts.seq & 0xffff, true); o += 2; }
  if (opts.timestampMs !== undefined) { dv.setBigUint64(o, BigInt(Math.round(opts.timestampMs)), true); o += 8; }
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < axes; a++) {
      if (size === 4) dv.setFloat32(o, channels[a][i], true);
      else dv.setInt16(o, Math.max(-32768, Math.min(32767, Math.round(channels[a][i]))), true);
      o += size;
    }
  }
  dv.setUint16(o, crc16CcittFalse(out, 0, o), true);
  return out;
}

export type FrameDecoderEvent =
  | { kind: 'frame'; frame: BinaryFrame }
  | { kind: 'reject'; reason: string; detail: Record<string, unknown> };

export interface FrameDecoderOptions {
  /** Physical value = int16 count × scale (float32 samples are taken as they are). */
  scale: number;
  /** Largest whole frame accepted; a header announcing more is rejected instead of waited for. */
  maxFrameBytes: number;
  /** When set, a header with another axis count is rejected (and is most likely garbage that looked like a sync word). */
  expectedAxes?: number;
}

/**
 * Incremental decoder for a byte stream of frames. It never trusts a header alone: a candidate frame
 * is accepted only when its CRC matches, and after any rejection scanning resumes one byte after the
 * rejected sync word, so a valid frame hidden behind garbage (or inside a bogus "frame") is never lost.
 */
export class BinaryFrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  /** Bytes skipped since the last report that were not part of a rejected frame. */
  private garbage = 0;
  /** Buffer index up to which skipped bytes belong to an already reported bad frame. */
  private reportedUntil = 0;

  constructor(private readonly opts: FrameDecoderOptions) {}

  /** Drops partial data, e.g. after the port was reopened: bytes from before a reconnect never join bytes after it. */
  reset(): void {
    this.buf = new Uint8Array(0);
    this.garbage = 0;
    this.reportedUntil = 0;
  }

  push(chunk: Uint8Array): FrameDecoderEvent[] {
    const events: FrameDecoderEvent[] = [];
    const buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    const skipTo = (to: number) => {
      const counted = to - Math.max(pos, this.reportedUntil);
      if (counted > 0) this.garbage += counted;
      pos = to;
    };
    const flushGarbage = () => {
      if (this.garbage > 0) events.push({ kind: 'reject', reason: 'frame-garbage', detail: { bytes: this.garbage } });
      this.garbage = 0;
    };
    const rejectAt = (reason: string, detail: Record<string, unknown>, frameEnd: number) => {
      flushGarbage();
      events.push({ kind: 'reject', reason, detail });
      this.reportedUntil = Math.max(this.reportedUntil, frameEnd);
      skipTo(pos + 1);
    };

    for (;;) {
      const sync = findSync(buf, pos);
      if (sync < 0) {
        // Keep a trailing 0xA5: it may be the first half of a sync word split across chunks.
        skipTo(buf.length > pos && buf[buf.length - 1] === SYNC0 ? buf.length - 1 : buf.length);
        break;
      }
      skipTo(sync);
      if (buf.length - pos < FIXED_HEADER) break;
      const version = buf[pos + 2];
      const flags = buf[pos + 3];
      if (version !== FRAME_VERSION || (flags & ~KNOWN_FLAGS) !== 0) { skipTo(pos + 1); continue; }
      const seq32 = (flags & FLAG_SEQ32) !== 0;
      const hasTs = (flags & FLAG_TIMESTAMP) !== 0;
      const size = flags & FLAG_FLOAT32 ? 4 : 2;
      const count = dv.getUint16(pos + 4, true);
      const axes = buf[pos + 6];
      if (count === 0 || axes === 0) { skipTo(pos + 1); continue; }
      const header = FIXED_HEADER + (seq32 ? 4 : 2) + (hasTs ? 8 : 0);
      const total = header + count * axes * size + 2;
      if (total > this.opts.maxFrameBytes) {
        rejectAt('frame-too-large', { bytes: total, maxBytes: this.opts.maxFrameBytes }, pos + total);
        continue;
      }
      if (this.opts.expectedAxes !== undefined && axes !== this.opts.expectedAxes) {
        rejectAt('frame-axis-count', { axes, expected: this.opts.expectedAxes }, pos + total);
        continue;
      }
      if (buf.length - pos < total) break;
      const crcAt = pos + total - 2;
      const want = dv.getUint16(crcAt, true);
      const got = crc16CcittFalse(buf, pos, crcAt);
      if (want !== got) {
        rejectAt('frame-crc', { expected: want, computed: got, bytes: total }, pos + total);
        continue;
      }
      let o = pos + FIXED_HEADER;
      const seq = seq32 ? dv.getUint32(o, true) : dv.getUint16(o, true);
      o += seq32 ? 4 : 2;
      let timestampMs: number | undefined;
      if (hasTs) { timestampMs = Number(dv.getBigUint64(o, true)); o += 8; }
      const channels = Array.from({ length: axes }, () => new Float32Array(count));
      // The CRC says these are the bytes the device sent: a NaN or Infinity sample is the device's own
      // (a sensor fault), so it goes on and the validator drops that sample, not the frame.
      for (let i = 0; i < count; i++) {
        for (let a = 0; a < axes; a++) {
          channels[a][i] = size === 4 ? dv.getFloat32(o, true) : dv.getInt16(o, true) * this.opts.scale;
          o += size;
        }
      }
      flushGarbage();
      const frame: BinaryFrame = { seq, sampleType: size === 4 ? 'float32' : 'int16', channels };
      if (timestampMs !== undefined) frame.timestampMs = timestampMs;
      events.push({ kind: 'frame', frame });
      this.reportedUntil = Math.max(this.reportedUntil, pos + total);
      pos += total;
    }
    flushGarbage();
    // Copy the tail so the big concatenated buffer is not kept alive by a small view.
    this.buf = new Uint8Array(buf.subarray(pos));
    this.reportedUntil = Math.max(0, this.reportedUntil - pos);
    return events;
  }
}

function findSync(buf: Uint8Array, from: number): number {
  for (let i = buf.indexOf(SYNC0, from); i >= 0 && i + 1 < buf.length; i = buf.indexOf(SYNC0, i + 1)) {
    if (buf[i + 1] === SYNC1) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

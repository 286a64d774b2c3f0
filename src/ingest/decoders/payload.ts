// What the MQTT payload decoders return: one block of samples, not yet a Frame (the source adds the
// sensor identity and, when the payload has no timestamp, places the block on the arrival clock).
import type { Unit } from '../../types.js';

export interface PayloadMeta {
  rateHz: number;
  unit: Unit;
  axes: string[];
}

export interface DecodedBlock {
  channels: Float32Array[];
  /** Epoch ms of the first sample when the payload says so. */
  t0?: number;
  rateHz: number;
  unit: Unit;
}

export type DecodeResult =
  | { ok: true; block: DecodedBlock }
  | { ok: false; reason: string; detail: Record<string, unknown> };

export function reject(reason: string, detail: Record<string, unknown> = {}): DecodeResult {
  return { ok: false, reason, detail };
}

/** Checked before any parsing so a huge payload costs nothing but its length (STYLE rule 5). */
export function tooLarge(payload: Uint8Array, maxBytes: number): DecodeResult | undefined {
  return payload.length > maxBytes ? reject('payload-too-large', { bytes: payload.length, maxBytes }) : undefined;
}

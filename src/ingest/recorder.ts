// `drsnd record`: a few seconds of a sensor's live samples, as the daemon accepted them (validated, in
// the sensor's unit and rate, before resampling), handed back to the asking CLI which writes them as a
// recording (src/data/recording-writer.ts, docs/recordings.md). The daemon writes no file on request:
// whoever may publish requests must not be able to choose paths on the gateway.
//
// Fed from the main thread's validated frames (app.ts): while nothing records, one size check per frame.
import { interleaveF32 } from '../data/recording-writer.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Frame, SensorMeta } from '../types.js';

/** Longest recording one request may ask for. */
export const MAX_RECORD_SECONDS = 600;
/** Samples held for one recording at most (float32, all axes): 64 MiB. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** Beyond its length at the sensor's rate, how long a recording may take before it is given up. */
const GRACE_MS = 10_000;

export interface Recording {
  sensorId: string;
  rateHz: number;
  unit: string;
  axes: string[];
  /** Epoch ms of the first sample. */
  t0: number;
  /** One array per axis, all of `samples` length. */
  channels: Float32Array[];
}

interface Pending {
  sensor: SensorMeta;
  wanted: number;
  got: number;
  channels: Float32Array[];
  t0: number | null;
  resolve: (r: Recording) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class LiveRecorder {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly sensors: readonly SensorMeta[]) {}

  /** Resolves with the sensor's next `seconds` of continuous samples. */
  record(sensorId: string, seconds: number): Promise<Recording> {
    const sensor = this.sensors.find((s) => s.id === sensorId);
    if (!sensor) {
      throw new DrsndError(ErrorCodes.NOT_FOUND, `no sensor "${sensorId}" in this daemon's configuration (sensors: ${this.sensors.map((s) => s.id).join(', ') || 'none'})`);
    }
    if (!(seconds > 0) || seconds > MAX_RECORD_SECONDS) throw new DrsndError(ErrorCodes.USAGE, `seconds must be above 0 and at most ${MAX_RECORD_SECONDS}`);
    const wanted = Math.round(seconds * sensor.rateHz);
    if (wanted * sensor.axes.length * 4 > MAX_RECORD_BYTES) {
      throw new DrsndError(ErrorCodes.USAGE, `${seconds} s of ${sensor.axes.length} axes at ${sensor.rateHz} Hz is more than ${MAX_RECORD_BYTES / 2 ** 20} MiB: record shorter pieces`);
    }
    if (this.pending.has(sensorId)) throw new DrsndError(ErrorCodes.BUSY, `sensor "${sensorId}" is being recorded already; try again when that recording is done`);
    return new Promise<Recording>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.pending.get(sensorId);
        this.pending.delete(sensorId);
        reject(new DrsndError(ErrorCodes.UNAVAILABLE, `sensor "${sensorId}" delivered ${p?.got ?? 0} of ${wanted} samples in ${(seconds + GRACE_MS / 1000).toFixed(0)} s; is it sending?`));
      }, seconds * 1000 + GRACE_MS);
      timer.unref();
      this.pending.set(sensorId, { sensor, wanted, got: 0, channels: sensor.axes.map(() => new Float32Array(wanted)), t0: null, resolve, reject, timer });
    });
  }

  /** A validated frame of any sensor. */
  frame(f: Frame): void {
    if (this.pending.size === 0) return;
    const p = this.pending.get(f.sensorId);
    if (!p) return;
    if (p.t0 !== null && f.discontinuity) {
      this.settle(p, new DrsndError(ErrorCodes.BAD_INPUT, `the stream of sensor "${f.sensorId}" had a gap at ${new Date(f.t0).toISOString()} (lost samples, a time jump or a reconnect): nothing recorded; record again`));
      return;
    }
    p.t0 ??= f.t0;
    const n = Math.min(f.channels[0]?.length ?? 0, p.wanted - p.got);
    p.channels.forEach((out, c) => out.set(f.channels[c].subarray(0, n), p.got));
    p.got += n;
    if (p.got >= p.wanted) {
      const { sensor } = p;
      this.settle(p, { sensorId: sensor.id, rateHz: sensor.rateHz, unit: sensor.unit, axes: [...sensor.axes], t0: p.t0, channels: p.channels });
    }
  }

  /** Refuses what is still recording (the daemon is stopping). */
  stop(): void {
    for (const p of [...this.pending.values()]) this.settle(p, new DrsndError(ErrorCodes.UNAVAILABLE, 'the daemon is stopping'));
  }

  private settle(p: Pending, outcome: Recording | Error): void {
    clearTimeout(p.timer);
    this.pending.delete(p.sensor.id);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}

/**
 * A recording as reply parts small enough for one MQTT message each (`maxPartBytes` of JSON):
 * interleaved float32 LE (x0 y0 z0 x1 …, the recordings f32 format) in base64, split at sample boundaries.
 */
export function recordingParts(r: Recording, maxPartBytes: number): Array<Record<string, unknown>> {
  const axes = r.axes.length;
  const n = r.channels[0]?.length ?? 0;
  // base64 is 4/3 of the bytes; 1 KiB for the JSON around it.
  const perPart = Math.max(1, Math.floor(((maxPartBytes - 1024) * 3) / 4 / (4 * axes)));
  const parts = Math.max(1, Math.ceil(n / perPart));
  const out: Array<Record<string, unknown>> = [];
  for (let k = 0; k < parts; k++) {
    const from = k * perPart;
    const to = Math.min(n, from + perPart);
    const buf = interleaveF32(r.channels, from, to);
    out.push({ part: k + 1, parts, sensorId: r.sensorId, rateHz: r.rateHz, unit: r.unit, axes: r.axes, t0: r.t0, samples: n, data: buf.toString('base64') });
  }
  return out;
}

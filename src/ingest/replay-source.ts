// Replays a recording (raw float32, CSV or MAT v5) as if it were a live sensor: the sensor's rateHz
// × speed, frames of frameSamples, timestamps in sample time from the moment of subscription.
// Useful for demos, soak tests and checking a model on a known recording end to end.
import type { Observable } from 'rxjs';
import type { SensorSettings, ReplaySourceSettings } from '../config/schema.js';
import { readSignalFile, signalFormatOf, type SignalData } from '../data/recording.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Frame } from '../types.js';
import { pacedFrames, type FrameProducer } from './paced-frames.js';
import type { SourceContext } from './source.js';

/** Loads the file and picks one channel per sensor axis. */
export function loadReplaySignal(sensor: SensorSettings, cfg: ReplaySourceSettings): Float32Array[] {
  const axes = sensor.axes;
  const format = signalFormatOf(cfg.file, cfg.format);
  let signal: SignalData;
  if (format === 'f32') {
    signal = readSignalFile(cfg.file, { format, channels: axes.length });
  } else {
    signal = readSignalFile(cfg.file, { format, variable: cfg.variable });
    // CSV columns named like the axes are matched by name, in axis order; otherwise the first
    // signal columns are taken in file order.
    const lower = signal.names.map((n) => n.toLowerCase());
    const byName = axes.map((a) => lower.indexOf(a.toLowerCase()));
    if (byName.every((i) => i >= 0)) {
      signal = { channels: byName.map((i) => signal.channels[i]), names: byName.map((i) => signal.names[i]) };
    } else if (signal.channels.length >= axes.length) {
      signal = { channels: signal.channels.slice(0, axes.length), names: signal.names.slice(0, axes.length) };
    } else {
      throw new DrsndError(ErrorCodes.DATA_FILE_INVALID,
        `${cfg.file}: has ${signal.channels.length} channel(s) (${signal.names.join(', ')}) but sensor "${sensor.id}" has ${axes.length} axes (${axes.join(', ')})`);
    }
  }
  // Recordings in volts or counts become the sensor's unit here, once, not per frame.
  if (cfg.scale !== 1) return signal.channels.map((c) => c.map((v) => v * cfg.scale));
  return signal.channels;
}

export function createReplaySource(sensor: SensorSettings, ctx: SourceContext): Observable<Frame> {
  const cfg = sensor.source;
  if (cfg.type !== 'replay') throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" is not a replay sensor`);
  const now = ctx.now ?? Date.now;

  const open = (): FrameProducer => {
    const log = ctx.log.child({ component: 'replay-source', sensor: sensor.id, file: cfg.file });
    const channels = loadReplaySignal(sensor, cfg);
    const total = channels[0].length;
    log.info({ samples: total, seconds: total / sensor.rateHz, speed: cfg.speed, loop: cfg.loop }, 'replay started');
    const startMs = now();
    let pos = 0;
    let emitted = 0;
    let seq = 0;
    let wrapped = false;
    return {
      next(): Frame | null {
        if (pos >= total) {
          if (!cfg.loop) {
            log.info({ frames: seq }, 'replay finished');
            return null;
          }
          pos = 0;
          wrapped = true;
        }
        const end = Math.min(pos + cfg.frameSamples, total);
        const frame: Frame = {
          sensorId: sensor.id,
          // Sample time, not arrival time: at speed > 1 the stream runs ahead of the wall clock, as
          // if the recording had been made starting now.
          t0: startMs + (emitted / sensor.rateHz) * 1000,
          rateHz: sensor.rateHz,
          unit: sensor.unit,
          axes: [...sensor.axes],
          channels: channels.map((c) => c.slice(pos, end)),
          seq: seq++,
        };
        // The loop's end does not continue into its start: stateful stages must not stitch them.
        if (wrapped) frame.discontinuity = true;
        wrapped = false;
        emitted += end - pos;
        pos = end;
        return frame;
      },
    };
  };
  return pacedFrames(open, { rateHz: sensor.rateHz, speed: cfg.speed });
}

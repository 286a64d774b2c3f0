// Simulated bearing sensor (src/data/bearing.ts): a CWRU-like drive-end signal in the chosen
// condition, generated frame by frame and delivered at the sensor's rate × speed. For demos,
// dashboards and end-to-end tests without hardware; the seed makes a run reproducible.
import type { Observable } from 'rxjs';
import type { SensorSettings } from '../config/schema.js';
import { BearingSimulator } from '../data/bearing.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Frame, Unit } from '../types.js';
import { pacedFrames, type FrameProducer } from './paced-frames.js';
import type { SourceContext } from './source.js';

/** The model generates g; the sensor may be configured in another unit. */
const FROM_G: Record<Unit, number> = { g: 1, 'm/s2': 9.80665, mg: 1000 };

/**
 * Axes after the first see the same bearing at a lower level (a triaxial sensor's axial and
 * tangential axes pick up less of a radial-load defect) with independent noise.
 */
function axisGain(axis: number): number {
  return axis === 0 ? 1 : 0.6 / axis;
}

/** One BearingSimulator per axis for a simulator sensor; exported so tests can reproduce a stream. */
export function createAxisSimulators(sensor: SensorSettings): BearingSimulator[] {
  const cfg = sensor.source;
  if (cfg.type !== 'simulator') throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" is not a simulator sensor`);
  return sensor.axes.map((_, k) => new BearingSimulator({
    rateHz: sensor.rateHz,
    condition: cfg.condition,
    severity: cfg.severity,
    rpm: cfg.rpm,
    noiseRms: cfg.noiseRms,
    seed: cfg.seed + 7919 * k,
    gain: axisGain(k) * FROM_G[sensor.unit],
  }));
}

export function createSimulatorSource(sensor: SensorSettings, ctx: SourceContext): Observable<Frame> {
  const cfg = sensor.source;
  if (cfg.type !== 'simulator') throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" is not a simulator sensor`);
  const now = ctx.now ?? Date.now;
  const open = (): FrameProducer => {
    ctx.log.child({ component: 'simulator-source', sensor: sensor.id })
      .info({ condition: cfg.condition, severity: cfg.severity, rpm: cfg.rpm, seed: cfg.seed, speed: cfg.speed }, 'simulator started');
    const sims = createAxisSimulators(sensor);
    const startMs = now();
    let seq = 0;
    return {
      next(): Frame {
        const emitted = sims[0].position;
        return {
          sensorId: sensor.id,
          t0: startMs + (emitted / sensor.rateHz) * 1000,
          rateHz: sensor.rateHz,
          unit: sensor.unit,
          axes: [...sensor.axes],
          channels: sims.map((s) => s.next(cfg.frameSamples)),
          seq: seq++,
        };
      },
    };
  };
  return pacedFrames(open, { rateHz: sensor.rateHz, speed: cfg.speed });
}

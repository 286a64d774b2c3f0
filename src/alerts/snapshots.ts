// Alert snapshots (issue 20): when an alert is raised or changes class, the window whose diagnosis did
// it is fetched from the inference thread that made it (its small ring of recent windows, dsp-worker.ts)
// and stored with the alert, so an engineer can look at the waveform and spectrum the model judged.
// Windows cross threads only here, one per alert transition.
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Diagnosis, ModelMetadata } from '../types.js';
import type { SnapshotTaker } from './alerts.js';

/** Where recent windows are (the DSP/fused pool). */
export interface WindowSource {
  window(sensorId: string, channel: string, start: number): Promise<{ data: Float32Array; end: number } | undefined>;
}

export interface SnapshotRecorderOptions {
  source: WindowSource;
  store: Pick<Store, 'saveSnapshot'>;
  model: Pick<ModelMetadata, 'input'>;
  settings: Settings['alerts']['snapshots'];
  log: Logger;
  now?: () => number;
}

export class SnapshotRecorder implements SnapshotTaker {
  readonly stats = { saved: 0, missed: 0, dropped: 0 };
  private readonly log: Logger;

  constructor(private readonly opts: SnapshotRecorderOptions) {
    this.log = opts.log.child({ component: 'snapshots' });
  }

  capture(alertId: number, eventId: number, d: Diagnosis): void {
    const { source, store, model, settings } = this.opts;
    source.window(d.sensorId, d.channel, d.windowStart).then((w) => {
      if (!w) {
        this.stats.missed++;
        this.log.warn({ alertId, sensor: d.sensorId }, 'the window that raised the alert had already left its thread\'s ring (alerts.snapshots.ringWindows); no snapshot');
        return;
      }
      const { id, dropped } = store.saveSnapshot({
        alertId, eventId, sensorId: d.sensorId, channel: d.channel, windowStart: d.windowStart, windowEnd: w.end,
        rateHz: model.input.sampleRateHz, unit: model.input.unit, className: d.className, confidence: d.confidence,
        samples: w.data, createdAt: (this.opts.now ?? Date.now)(),
      }, settings);
      this.stats.saved++;
      this.stats.dropped += dropped;
      this.log.debug({ alertId, snapshotId: id, dropped }, 'alert snapshot saved');
    }).catch((err: unknown) => this.log.error({ err, alertId }, 'cannot save the alert snapshot'));
  }
}

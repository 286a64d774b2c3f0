// drsnd's Prometheus metrics (README, "Prometheus metrics"): what the pipeline did per sensor and class,
// what it rejected and dropped, the outbox, the latencies from a window's last sample to its commit and
// to its publication, the store's commit time, the engine and the process. Counters the components
// keep anyway (app stats, bad input, outbox) are read at scrape time; only what nobody counts yet is
// counted here, from the store's commits and the alerts component's events.
import type { AlertsComponent } from '../alerts/alerts.js';
import type { BadInputCounter } from '../bad-input.js';
import type { OutboxRelay } from '../publish/outbox-relay.js';
import type { Publisher } from '../publish/publisher.js';
import type { Store } from '../store/store.js';
import type { Diagnosis } from '../types.js';
import { registerProcessMetrics } from './process.js';
import { Registry } from './registry.js';

/** Seconds; the native engine's p99 at 300 channels is ~0.13 s, a backlog's rows are not live. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5];
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface MetricsSources {
  store: Store;
  relay: OutboxRelay;
  publisher: Publisher;
  alerts: AlertsComponent;
  badInput: BadInputCounter;
  /** The app's counters (frames in, windows, drops). */
  counters: () => { framesIn: number; windows: number; droppedFrames: number; droppedWindows: number };
  engine: () => { name: string; liveWorkers: number };
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly diagnoses = this.registry.labeled('drsnd_diagnoses_total', 'Diagnoses committed to SQLite, per sensor and class.', 'counter', ['sensor', 'class']);
  private readonly alertEvents = this.registry.labeled('drsnd_alert_events_total', 'Alert events (raised, changed, cleared, acknowledged), per sensor and class.', 'counter', ['sensor', 'class', 'transition']);
  private readonly toCommit = this.registry.histogram('drsnd_window_to_commit_seconds', 'From the last sample of a window to its diagnosis committed in SQLite.', LATENCY_BUCKETS);
  private readonly toPublish = this.registry.histogram('drsnd_window_to_publish_seconds', 'From the last sample of a window to its diagnosis handed to the MQTT connection (live path).', LATENCY_BUCKETS);
  private readonly commit = this.registry.histogram('drsnd_store_commit_seconds', 'Duration of one SQLite batch transaction.', COMMIT_BUCKETS);
  private readonly stops: Array<() => void> = [];

  /** For the outbox relay's onLivePublished. */
  readonly livePublished = (d: Diagnosis): void => {
    if (d.completedAt !== undefined) this.toPublish.observe((performance.now() - d.completedAt) / 1000);
  };

  attach(src: MetricsSources): void {
    const r = this.registry;
    this.stops.push(src.store.onCommitted((batch, _firstId, commitMs) => {
      const t = performance.now();
      this.commit.observe(commitMs / 1000);
      for (const d of batch) {
        this.diagnoses.inc([d.sensorId, d.className]);
        if (d.completedAt !== undefined) this.toCommit.observe((t - d.completedAt) / 1000);
      }
    }));
    this.stops.push(src.alerts.onUpdate((u) => {
      if (u.type === 'alert') this.alertEvents.inc([u.sensorId, u.className, u.transition]);
    }));
    const one = (v: number): Array<[string[], number]> => [[[], v]];
    r.collected('drsnd_frames_total', 'Frames received from every source.', 'counter', [], () => one(src.counters().framesIn));
    r.collected('drsnd_windows_total', 'Windows cut from the signal (every channel).', 'counter', [], () => one(src.counters().windows));
    r.collected('drsnd_dropped_frames_total', 'Frames dropped because an inference or DSP thread fell behind or died.', 'counter', [], () => one(src.counters().droppedFrames));
    r.collected('drsnd_dropped_windows_total', 'Windows without a diagnosis (queue bound, failed engine call).', 'counter', [], () => one(src.counters().droppedWindows));
    r.collected('drsnd_bad_input_total', 'Rejected input per sensor and reason.', 'counter', ['sensor', 'reason'],
      () => [...src.badInput.counts].map(([k, v]) => [k.split('\u0000'), v] as [string[], number]));
    r.collected('drsnd_store_failed_rows_total', 'Diagnoses the store could not write (disk full, I/O error).', 'counter', [], () => one(src.store.stats.failedRows));
    r.collected('drsnd_store_healthy', '1 while commits succeed.', 'gauge', [], () => one(src.store.healthy ? 1 : 0));
    r.collected('drsnd_outbox_pending', 'Committed diagnoses the broker has not acknowledged yet (outbox depth).', 'gauge', [], () => one(src.relay.stats.pending));
    r.collected('drsnd_outbox_lost_total', 'Diagnoses retention deleted before the broker acknowledged them.', 'counter', [], () => {
      try {
        return one(src.store.outbox.cursor('diagnoses').lost);
      } catch {
        return [];
      }
    });
    r.collected('drsnd_outbox_refused_total', 'Messages the broker or client refused for good (skipped).', 'counter', [], () => one(src.relay.stats.refused));
    r.collected('drsnd_mqtt_connected', '1 while connected to the MQTT broker.', 'gauge', [], () => one(src.publisher.connected ? 1 : 0));
    r.collected('drsnd_inference_threads', 'Inference threads alive.', 'gauge', [], () => one(src.engine().liveWorkers));
    r.collected('drsnd_engine_info', 'The inference engine in use (engine/backend).', 'gauge', ['engine'], () => [[[src.engine().name], 1]]);
    this.stops.push(registerProcessMetrics(r));
  }

  exposition(): string {
    return this.registry.exposition();
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}

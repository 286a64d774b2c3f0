// The daemon's SQLite store: batched diagnosis writes, alert lifecycle, history queries, retention.
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { AlertEvent, Diagnosis, SensorMeta } from '../types.js';
import { AlertWriter } from './alert-writer.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openDatabase, storeError } from './db.js';
import { PartitionRing } from './partitions.js';
import { physicsParams } from './physics-columns.js';
import { Queries } from './queries.js';
import { Retention, type PruneResult } from './retention.js';
import {
  encodeProbabilities, type AlertEventRecord, type AlertFilter, type AlertRecord,
  type DiagnosisRecord, type HistoryFilter, type SensorRecord,
} from './rows.js';

export type StoreSettings = Settings['store'];
export type CommitListener = (committed: Diagnosis[]) => void;

export interface StoreOptions {
  settings: StoreSettings;
  log: Logger;
  /** Directory that a relative settings.path resolves against (default: process working directory). */
  cwd?: string;
  now?: () => number;
}

export interface StoreStats {
  committedRows: number;
  batches: number;
  /** Rows lost because their transaction failed (disk full, I/O error) or they arrived after stop(). */
  failedRows: number;
  pruned: PruneResult;
}

/** `PRAGMA optimize` on every Nth retention pass (about hourly with the default 60 s interval; the passes that start when the ring moves on come on top, one per table filled), per the SQLite docs' advice for long-lived connections. */
const OPTIMIZE_EVERY_PASSES = 60;
/** How often the checkpoint worker folds the WAL back (SQLite's own trigger, 1,000 pages, came several times a second at 300 channels). */
const CHECKPOINT_INTERVAL_MS = 250;

export class Store {
  readonly path: string;
  readonly stats: StoreStats = { committedRows: 0, batches: 0, failedRows: 0, pruned: { byAge: 0, byCount: 0, alerts: 0 } };
  private readonly settings: StoreSettings;
  private readonly log: Logger;
  private readonly now: () => number;
  private db: Database | undefined;
  private checkpointer: Checkpointer | undefined;
  private parts: {
    commitBatch: (ds: Diagnosis[], at: number) => void; upsertMany: (ms: SensorMeta[], at: number) => void;
    alerts: AlertWriter; queries: Queries; retention: Retention; ring: PartitionRing;
  } | undefined;
  private buffer: Diagnosis[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<PruneResult> | undefined;
  private passes = 0;
  private readonly listeners = new Set<CommitListener>();

  constructor(opts: StoreOptions) {
    this.settings = opts.settings;
    this.log = opts.log.child({ component: 'store' });
    this.now = opts.now ?? Date.now;
    this.path = path.resolve(opts.cwd ?? process.cwd(), opts.settings.path);
  }

  async start(): Promise<void> {
    const db = openDatabase(this.path, { synchronous: this.settings.synchronous });
    try {
      this.db = db;
      this.parts = this.prepare(db);
      db.pragma('optimize = 0x10002');
    } catch (e) {
      db.close();
      this.db = undefined;
      throw storeError(this.path, 'cannot prepare statements', e);
    }
    if (this.settings.checkpoint === 'worker') {
      this.checkpointer = await startCheckpointer(db, { path: this.path, synchronous: this.settings.synchronous, intervalMs: CHECKPOINT_INTERVAL_MS }, this.log);
    }
    const { intervalSec } = this.settings.retention;
    this.retentionTimer = setInterval(() => void this.maintain(), intervalSec * 1000);
    this.retentionTimer.unref();
    this.log.info({ path: this.path, checkpoint: this.checkpointing }, 'store open');
  }

  async stop(): Promise<void> {
    clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    this.flush();
    this.parts?.retention.stop();
    await this.pruning?.catch(() => undefined);
    // Before close: the last connection to close checkpoints the WAL and removes it.
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    const db = this.db;
    this.db = undefined;
    this.parts = undefined;
    if (!db) return;
    try {
      db.pragma('optimize');
    } finally {
      db.close();
    }
    this.listeners.clear();
  }

  /** Who folds the WAL into the database now: the checkpoint worker, or SQLite inside commits. */
  get checkpointing(): 'worker' | 'inline' {
    return this.checkpointer?.active ? 'worker' : 'inline';
  }

  /** Called after each committed batch, with the committed diagnoses. Returns the unsubscribe function. */
  onCommitted(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  upsertSensors(meta: readonly SensorMeta[]): void {
    this.ready().upsertMany([...meta], this.now());
  }

  /** Buffers one diagnosis; the batch commits at batchMaxRows rows or batchMaxMs after its first row. */
  enqueue(d: Diagnosis): void {
    if (!this.parts) {
      this.stats.failedRows++;
      return;
    }
    this.buffer.push(d);
    if (this.buffer.length >= this.settings.batchMaxRows) {
      this.flush();
    } else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => this.flush(), this.settings.batchMaxMs);
    }
  }

  /** Commits the buffered diagnoses now; returns how many were committed. */
  flush(): number {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = this.buffer;
    if (batch.length === 0 || !this.parts) return 0;
    this.buffer = [];
    const ring = this.parts.ring;
    const droppedBefore = ring.droppedInline;
    const rotationsBefore = ring.rotations;
    try {
      this.parts.commitBatch(batch, this.now());
    } catch (e) {
      ring.load(); // the rollback undid the rows and the rotation the ring had counted
      // The batch is dropped, not retried: retrying a full disk would grow memory without bound.
      this.stats.failedRows += batch.length;
      this.log.error({ err: storeError(this.path, 'batch commit failed', e), rows: batch.length }, 'diagnoses lost');
      return 0;
    }
    this.stats.committedRows += batch.length;
    this.stats.batches++;
    // The ring took its empty table: empty the next-oldest now rather than at the next timer tick, so
    // the ring finds an empty table again however short a table lasts against intervalSec.
    if (ring.rotations !== rotationsBefore) setImmediate(() => void this.maintain());
    const dropped = ring.droppedInline - droppedBefore;
    if (dropped > 0) {
      this.stats.pruned.byCount += dropped;
      this.log.warn({ rows: dropped, tableRows: ring.partRows }, 'row cap: the oldest table was emptied during a commit, before a retention pass reached it');
    }
    for (const fn of this.listeners) {
      try {
        fn(batch);
      } catch (err) {
        this.log.error({ err }, 'onCommitted listener failed');
      }
    }
    return batch.length;
  }

  /** Records an alert transition in its own transaction (alerts are rare and must not wait for a batch). */
  recordAlertEvent(e: AlertEvent): { alertId: number } {
    try {
      return this.ready().alerts.record(e);
    } catch (err) {
      throw storeError(this.path, `cannot record alert ${e.transition} for sensor ${e.sensorId}`, err);
    }
  }

  ackAlert(id: number, by?: string): AlertRecord {
    return this.ready().alerts.acknowledge(id, by ?? null, this.now());
  }

  history(filter: HistoryFilter = {}): DiagnosisRecord[] {
    return this.ready().queries.history(filter);
  }

  alerts(filter: AlertFilter = {}): AlertRecord[] {
    return this.ready().queries.alerts(filter);
  }

  alertEvents(alertId: number): AlertEventRecord[] {
    return this.ready().queries.alertEvents(alertId);
  }

  sensors(): SensorRecord[] {
    return this.ready().queries.sensors();
  }

  /** Runs one retention pass now (the timer does this every intervalSec). */
  prune(): Promise<PruneResult> {
    const parts = this.ready();
    this.pruning ??= parts.retention.prune(this.now()).then((r) => {
      this.stats.pruned.byAge += r.byAge;
      this.stats.pruned.byCount += r.byCount;
      this.stats.pruned.alerts += r.alerts;
      return r;
    }).finally(() => { this.pruning = undefined; });
    return this.pruning;
  }

  /** Folds the WAL into the database file and truncates it; `busy` when a reader kept it from finishing. */
  checkpoint(): { busy: boolean } {
    return this.ready().retention.checkpoint();
  }

  private async maintain(): Promise<void> {
    if (!this.parts || this.pruning) return;
    try {
      const r = await this.prune();
      if (!this.parts) return;
      if (r.byAge + r.byCount > 0) this.log.info(r, 'retention pruned diagnoses');
      // In worker mode the worker truncates: here it would block the event loop on a checkpoint's fsync.
      if (this.checkpointer?.active) this.checkpointer.truncate();
      else this.checkpoint();
      if (++this.passes % OPTIMIZE_EVERY_PASSES === 0) this.db?.pragma('optimize');
    } catch (err) {
      this.log.error({ err: storeError(this.path, 'retention pass failed', err) }, 'retention failed');
    }
  }

  private ready(): NonNullable<Store['parts']> {
    if (!this.parts) throw storeError(this.path, 'not open', new Error('call start() first'));
    return this.parts;
  }

  private prepare(db: Database): NonNullable<Store['parts']> {
    const ring = new PartitionRing(db, this.settings.retention.maxRows);
    const touchSensor = db.prepare(`
      INSERT INTO sensors (id, asset, first_seen, last_seen) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`);
    const upsertSensor = db.prepare(`
      INSERT INTO sensors (id, asset, rate_hz, unit, axes, first_seen) VALUES (@id, @asset, @rateHz, @unit, @axes, @at)
      ON CONFLICT (id) DO UPDATE SET asset = excluded.asset, rate_hz = excluded.rate_hz,
        unit = excluded.unit, axes = excluded.axes`);
    // No await inside: better-sqlite3 transactions are synchronous, so the batch is atomic.
    const commitBatch = db.transaction((ds: Diagnosis[], at: number) => {
      const seen = new Map<string, string>();
      for (const d of ds) {
        ring.insert({
          sensorId: d.sensorId, asset: d.asset, channel: d.channel,
          windowStart: Math.round(d.windowStart), windowEnd: Math.round(d.windowEnd),
          classIndex: d.classIndex, className: d.className, kind: d.kind, confidence: d.confidence,
          probabilities: encodeProbabilities(d.probabilities), modelId: d.modelId, modelVersion: d.modelVersion,
          latencyMs: d.latencyMs, createdAt: at, ...physicsParams(d),
        });
        seen.set(d.sensorId, d.asset);
      }
      for (const [id, asset] of seen) touchSensor.run(id, asset, at, at);
      ring.saveCounts();
    });
    const upsertMany = db.transaction((ms: SensorMeta[], at: number) => {
      for (const m of ms) {
        upsertSensor.run({ id: m.id, asset: m.asset, rateHz: m.rateHz, unit: m.unit, axes: JSON.stringify(m.axes), at });
      }
    });
    return {
      commitBatch, upsertMany, ring,
      alerts: new AlertWriter(db), queries: new Queries(db), retention: new Retention(db, ring, this.settings.retention),
    };
  }
}

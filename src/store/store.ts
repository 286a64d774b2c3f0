// The daemon's SQLite store: batched diagnosis writes, alert lifecycle, history queries, retention, the
// outbox tables MQTT is published from, the lock that makes this process the database's one owner, and
// what happens when the disk fails under it (issue 19).
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import type { AlertEvent, Diagnosis, SensorMeta } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { AlertWriter } from './alert-writer.js';
import { BaselineTable } from './baselines.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openDatabase, storeError } from './db.js';
import { lockStore, type StoreLock } from './lock.js';
import { OutboxTables } from './outbox.js';
import { PartitionRing } from './partitions.js';
import { physicsValues } from './physics-columns.js';
import { Queries } from './queries.js';
import { Retention, type PruneResult } from './retention.js';
import { SnapshotWriter, type NewSnapshot } from './snapshots.js';
import {
  encodeProbabilities, type AlertEventRecord, type AlertFilter, type AlertRecord,
  type DiagnosisRecord, type HistoryFilter, type SensorRecord,
} from './rows.js';

export type StoreSettings = Settings['store'];
/** `firstId`: the row id of committed[0]; the batch's ids follow one by one. `commitMs`: how long the transaction took. */
export type CommitListener = (committed: readonly Diagnosis[], firstId: number, commitMs: number) => void;
/** ok: commits succeed; failing: they do not (disk full, I/O error), `reason` says why. */
export type StoreHealth = { ok: true } | { ok: false; reason: string };

export interface StoreOptions {
  settings: StoreSettings;
  log: Logger;
  /** Directory that a relative settings.path resolves against (default: process working directory). */
  cwd?: string;
  /** Wall clock (epoch ms) for the times written to rows. */
  now?: () => number;
  /** Timers (batch, retention, file check); tests pass a virtual clock. */
  clock?: Clock;
}

export interface StoreStats {
  committedRows: number;
  batches: number;
  /** Rows lost because their transaction failed (disk full, I/O error) or they arrived after stop(). */
  failedRows: number;
  /** Commits that failed. */
  failedBatches: number;
  pruned: PruneResult;
}

/** `PRAGMA optimize` on every Nth retention pass (about hourly with the default 60 s interval; the passes that start when the ring moves on come on top, one per table filled), per the SQLite docs' advice for long-lived connections. */
const OPTIMIZE_EVERY_PASSES = 60;
/** How often the checkpoint worker folds the WAL back (SQLite's own trigger, 1,000 pages, came several times a second at 300 channels). */
const CHECKPOINT_INTERVAL_MS = 250;
/** While commits fail, one error line at the start and then at most one per this interval. */
const FAILING_LOG_INTERVAL_MS = 30_000;
/** How often the file at store.path is compared with the one open (deleted or replaced underneath). */
const FILE_CHECK_INTERVAL_MS = 2_000;

export class Store {
  readonly path: string;
  readonly stats: StoreStats = { committedRows: 0, batches: 0, failedRows: 0, failedBatches: 0, pruned: { byAge: 0, byCount: 0, alerts: 0 } };
  private readonly settings: StoreSettings;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly clock: Clock;
  private db: Database | undefined;
  private lock: StoreLock | undefined;
  private checkpointer: Checkpointer | undefined;
  private parts: {
    commitBatch: (ds: Diagnosis[], at: number) => void; upsertMany: (ms: SensorMeta[], at: number) => void;
    alerts: AlertWriter; queries: Queries; retention: Retention; ring: PartitionRing; outbox: OutboxTables; snapshots: SnapshotWriter;
    baselines: BaselineTable;
  } | undefined;
  private buffer: Diagnosis[] = [];
  private batchTimer: TimerHandle | undefined;
  private retentionTimer: TimerHandle | undefined;
  private fileTimer: TimerHandle | undefined;
  /** The open file's identity, to notice it deleted or replaced (another inode at the path). */
  private file: { dev: number; ino: number } | undefined;
  private pruning: Promise<PruneResult> | undefined;
  private passes = 0;
  private readonly listeners = new Set<CommitListener>();
  private readonly healthListeners = new Set<(h: StoreHealth) => void>();
  private readonly fatalListeners = new Set<(err: DrsndError) => void>();
  /** While commits fail: since when, rows lost in this episode, when the last line was logged. */
  private failing: { since: number; rows: number; loggedAt: number; reason: string } | undefined;

  constructor(opts: StoreOptions) {
    this.settings = opts.settings;
    this.log = opts.log.child({ component: 'store' });
    this.now = opts.now ?? Date.now;
    this.clock = opts.clock ?? systemClock;
    this.path = path.resolve(opts.cwd ?? process.cwd(), opts.settings.path);
  }

  async start(): Promise<void> {
    // The lock first: a second daemon must not even migrate the file the first one writes.
    const lock = lockStore(this.path);
    let db: Database;
    try {
      db = openDatabase(this.path, { synchronous: this.settings.synchronous });
    } catch (e) {
      lock.release();
      throw e;
    }
    try {
      this.db = db;
      this.lock = lock;
      this.parts = this.prepare(db);
      db.pragma('optimize = 0x10002');
      this.file = fileIdentity(this.path);
    } catch (e) {
      db.close();
      lock.release();
      this.db = undefined;
      this.lock = undefined;
      throw storeError(this.path, 'cannot prepare statements', e);
    }
    if (this.settings.checkpoint === 'worker') {
      this.checkpointer = await startCheckpointer(db, { path: this.path, synchronous: this.settings.synchronous, intervalMs: CHECKPOINT_INTERVAL_MS }, this.log);
    }
    this.armRetention();
    this.armFileCheck();
    this.log.info({ path: this.path, checkpoint: this.checkpointing, storeId: this.parts.outbox.storeId }, 'store open');
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.retentionTimer);
    this.clock.clearTimeout(this.fileTimer);
    this.retentionTimer = undefined;
    this.fileTimer = undefined;
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
      if (!this.failing) db.pragma('optimize');
    } finally {
      db.close();
      this.lock?.release();
      this.lock = undefined;
    }
    this.listeners.clear();
    this.healthListeners.clear();
    this.fatalListeners.clear();
  }

  /** The open connection (diagnostics and tests, e.g. a max_page_count standing in for a full disk). */
  get database(): Database | undefined {
    return this.db;
  }

  /** The outbox tables (src/publish/outbox-relay.ts publishes from them). */
  get outbox(): OutboxTables {
    return this.ready().outbox;
  }

  /** On-site baselines (src/baseline/): few rows, written when learning starts, is saved and ends. */
  get baselines(): BaselineTable {
    return this.ready().baselines;
  }

  /** The id of the newest committed diagnosis (0 before the first). */
  get lastDiagnosisId(): number {
    return this.ready().ring.lastId;
  }

  /** Called when commits start failing and when they succeed again. Returns the unsubscribe function. */
  onHealth(fn: (h: StoreHealth) => void): () => void {
    this.healthListeners.add(fn);
    return () => this.healthListeners.delete(fn);
  }

  /**
   * Called once if the database file is deleted or replaced under the daemon. Every later row would go
   * to a file nobody can open, so the owner must stop (the app exits non-zero; systemd restarts it on
   * whatever file is at store.path then) rather than reopen in place: a start re-derives everything held
   * from the file (ring, outbox cursors, open alerts, the lock) and is tested; an in-place reopen would
   * be a second, rarely run path doing the same.
   */
  onFatal(fn: (err: DrsndError) => void): () => void {
    this.fatalListeners.add(fn);
    return () => this.fatalListeners.delete(fn);
  }

  /** false while commits fail. */
  get healthy(): boolean {
    return this.failing === undefined;
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
    } else if (this.batchTimer === undefined) {
      this.batchTimer = this.clock.setTimeout(() => { this.batchTimer = undefined; this.flush(); }, this.settings.batchMaxMs);
    }
  }

  /** Commits the buffered diagnoses now; returns how many were committed. */
  flush(): number {
    this.clock.clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = this.buffer;
    if (batch.length === 0 || !this.parts) return 0;
    this.buffer = [];
    const ring = this.parts.ring;
    const droppedBefore = ring.droppedInline;
    const rotationsBefore = ring.rotations;
    const firstId = ring.lastId + 1;
    const t0 = performance.now();
    try {
      this.parts.commitBatch(batch, this.now());
    } catch (e) {
      // The batch is dropped, not retried: retrying a full disk would grow memory without bound.
      this.commitFailed(batch.length, e);
      return 0;
    }
    const commitMs = performance.now() - t0;
    if (this.failing) this.recovered();
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
        fn(batch, firstId, commitMs);
      } catch (err) {
        this.log.error({ err }, 'onCommitted listener failed');
      }
    }
    return batch.length;
  }

  /** Records an alert transition in its own transaction (alerts are rare and must not wait for a batch). */
  recordAlertEvent(e: AlertEvent): { alertId: number; eventId: number } {
    try {
      return this.ready().alerts.record(e);
    } catch (err) {
      throw storeError(this.path, `cannot record alert ${e.transition} for sensor ${e.sensorId}`, err);
    }
  }

  ackAlert(id: number, by?: string): AlertRecord {
    return this.acknowledgeAlert(id, by ?? null).alert;
  }

  /** Acknowledges an alert and records the 'acknowledged' event (its id is returned) for the outbox. */
  acknowledgeAlert(id: number, by: string | null): { alert: AlertRecord; eventId: number } {
    return this.ready().alerts.acknowledge(id, by, this.now());
  }

  /** Keeps an alert's raw window; the oldest snapshots go beyond maxCount rows or maxBytes of samples. */
  saveSnapshot(s: NewSnapshot, bounds: { maxCount: number; maxBytes: number }): { id: number; dropped: number } {
    try {
      return this.ready().snapshots.save(s, bounds.maxCount, bounds.maxBytes);
    } catch (err) {
      throw storeError(this.path, `cannot save the snapshot of alert ${s.alertId}`, err);
    }
  }

  alert(id: number): AlertRecord | undefined {
    return this.ready().queries.alert(id);
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

  /** A failed commit: counted, one error line per episode (then one per FAILING_LOG_INTERVAL_MS), listeners told once. */
  private commitFailed(rows: number, e: unknown): void {
    try {
      this.parts?.ring.load(); // the rollback undid the rows and the rotation the ring had counted
    } catch {
      // The file may be unreadable too; the next commit reloads nothing it has not written.
    }
    this.stats.failedRows += rows;
    this.stats.failedBatches++;
    const code = (e as { code?: string }).code;
    const reason = `${code ?? 'error'}: ${e instanceof Error ? e.message : String(e)}`;
    const now = this.clock.now();
    if (!this.failing) {
      this.failing = { since: now, rows, loggedAt: now, reason };
      // The message and code, not the stack: it is the same at every batch and says nothing to act on.
      this.log.error({ path: this.path, reason, rows }, 'storage failing: diagnoses are not being stored (disk full or I/O error?); retrying with every batch');
      for (const fn of this.healthListeners) fn({ ok: false, reason });
      this.checkFile();
      return;
    }
    this.failing.rows += rows;
    if (now - this.failing.loggedAt >= FAILING_LOG_INTERVAL_MS) {
      this.failing.loggedAt = now;
      this.log.error({ path: this.path, reason, lost: this.failing.rows, forMs: Math.round(now - this.failing.since) }, 'storage still failing');
    }
  }

  private recovered(): void {
    const f = this.failing!;
    this.failing = undefined;
    this.log.warn({ path: this.path, lost: f.rows, forMs: Math.round(this.clock.now() - f.since) }, 'storage recovered');
    for (const fn of this.healthListeners) fn({ ok: true });
  }

  private armRetention(): void {
    this.retentionTimer = this.clock.setTimeout(() => {
      void this.maintain();
      if (this.retentionTimer !== undefined) this.armRetention();
    }, this.settings.retention.intervalSec * 1000);
    (this.retentionTimer as { unref?: () => void }).unref?.();
  }

  private armFileCheck(): void {
    this.fileTimer = this.clock.setTimeout(() => {
      this.checkFile();
      if (this.fileTimer !== undefined) this.armFileCheck();
    }, FILE_CHECK_INTERVAL_MS);
    (this.fileTimer as { unref?: () => void }).unref?.();
  }

  /** The file at store.path must still be the one open: same device and inode. */
  private checkFile(): void {
    if (!this.file || !this.db) return;
    const now = fileIdentity(this.path);
    if (now && now.dev === this.file.dev && now.ino === this.file.ino) return;
    this.file = undefined;
    this.clock.clearTimeout(this.fileTimer);
    this.fileTimer = undefined;
    const err = new DrsndError(ErrorCodes.STORE_REPLACED, now
      ? `store ${this.path}: the database file was replaced while drsnd had it open; stopping so a restart opens the new one`
      : `store ${this.path}: the database file was deleted while drsnd had it open; stopping so a restart creates a new one`);
    this.log.fatal({ path: this.path, code: err.code }, err.message);
    for (const fn of this.fatalListeners) fn(err);
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
        // INSERT_COLUMNS' order, then PHYSICS_COLUMNS'.
        ring.insert([
          d.sensorId, d.asset, d.channel, Math.round(d.windowStart), Math.round(d.windowEnd),
          d.classIndex, d.className, d.kind, d.confidence, encodeProbabilities(d.probabilities), d.modelId, d.modelVersion,
          d.latencyMs, at, ...physicsValues(d),
        ]);
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
      commitBatch, upsertMany, ring, outbox: new OutboxTables(db),
      alerts: new AlertWriter(db), queries: new Queries(db), retention: new Retention(db, ring, this.settings.retention),
      snapshots: new SnapshotWriter(db), baselines: new BaselineTable(db),
    };
  }
}

function fileIdentity(p: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(p);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

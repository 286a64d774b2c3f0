// Keeps the database bounded on small disks: drop diagnoses older than maxAgeDays and beyond maxRows,
// whole tables of the ring where they fit (partitions.ts), otherwise in short steps so the daemon's
// writer is never locked out for long.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';
import { PARTITIONS, type PartitionRing } from './partitions.js';

export interface RetentionSettings {
  maxAgeDays: number;
  maxRows: number;
  stepRows: number;
}

export interface PruneResult {
  byAge: number;
  byCount: number;
  alerts: number;
}

const DAY_MS = 86_400_000;

export class Retention {
  private readonly deleteOldAlerts: Statement;
  private stopped = false;

  constructor(private readonly db: Database, private readonly ring: PartitionRing, private readonly settings: RetentionSettings) {
    // Active alerts are kept whatever their age; their events go with them (ON DELETE CASCADE). An alert
    // whose events or cleared retained message the broker has not acknowledged yet stays until it has:
    // alerts are few, and an outage longer than maxAgeDays must not lose them.
    this.deleteOldAlerts = db.prepare(`
      DELETE FROM alerts WHERE id IN (
        SELECT id FROM alerts a WHERE state = 'cleared' AND cleared_at < ? AND retained_acked IS 'cleared'
          AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id
                          AND e.id > (SELECT acked FROM outbox WHERE stream = 'alert_events'))
        LIMIT ?)`);
  }

  /**
   * One pruning pass. Each step is its own short transaction; between steps we yield to the event
   * loop so frames keep flowing and the batch writer can commit.
   */
  async prune(now: number): Promise<PruneResult> {
    const { maxAgeDays, maxRows, stepRows } = this.settings;
    const ring = this.ring;
    const cutoff = now - maxAgeDays * DAY_MS;
    // Commits go on between the steps and may move the ring on, so which table is current is read
    // again right before each step, never carried across an await.
    let byAge = 0;
    // A table wholly older than the cutoff goes in one statement; rows past it elsewhere one by one
    // (at low rates, where age is the limit that binds, those are few).
    for (const k of ring.olderTables()) {
      if (this.stopped) break;
      if (k === ring.current || ring.rowsIn(k) === 0) continue;
      const newest = ring.newestEnd(k);
      if (newest !== null && newest < cutoff) byAge += await this.step(() => ring.clear(k));
    }
    for (let i = 0; i < PARTITIONS; i++) byAge += await this.steps(() => ring.deleteOlderThan(i, cutoff, stepRows));
    // The row cap: the rows kept plus the room left in the current table fit in maxRows, so the disk
    // stays bounded until the next pass. The oldest table goes whole where it fits in the excess; only
    // a remainder is deleted row by row (a few batches' worth, or more once after an upgrade or a
    // lowered maxRows, when a table is larger than the excess).
    let byCount = 0;
    while (!this.stopped) {
      const excess = ring.totalRows + ring.headroom - maxRows;
      const k = [...ring.olderTables(), ring.current].find((t) => ring.rowsIn(t) > 0);
      if (excess <= 0 || k === undefined) break;
      const gone = ring.rowsIn(k) <= excess && k !== ring.current
        ? await this.step(() => ring.clear(k))
        : await this.step(() => ring.deleteOldestRows(k, Math.min(stepRows, excess)));
      if (gone === 0) break;
      byCount += gone;
    }
    const alerts = await this.steps(() => this.deleteOldAlerts.run(cutoff, stepRows).changes);
    return { byAge, byCount, alerts };
  }

  /** Ends a running pass after its current step (the rest waits for the next start): stop must not
   *  wait for a pass, which at the row cap deletes a minute's worth of rows. */
  stop(): void {
    this.stopped = true;
  }

  /** One step in its own transaction, with the ring's row counts saved in it. */
  private async step(fn: () => number): Promise<number> {
    if (!this.db.open || this.stopped) return 0;
    let n: number;
    try {
      n = this.db.transaction(() => {
        const changes = fn();
        this.ring.saveCounts();
        return changes;
      })();
    } catch (e) {
      this.ring.load(); // the rollback undid what the ring had counted
      throw e;
    }
    await yieldToEventLoop();
    return n;
  }

  private async steps(step: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      if (!this.db.open || this.stopped) return total;
      const n = await this.step(step);
      total += n;
      if (n < this.settings.stepRows) return total;
    }
  }

  /**
   * Folds the WAL back into the database and truncates it to zero bytes. busy_timeout is dropped to
   * 0 for the call: a CLI reader holding a snapshot must not make the daemon wait; the next pass retries.
   */
  checkpoint(): { busy: boolean } {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.db.pragma('busy_timeout = 0');
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return { busy: r?.busy === 1 };
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }
}

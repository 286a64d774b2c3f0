// Keeps the database bounded on small disks: drop diagnoses older than maxAgeDays and beyond maxRows,
// in short steps so the daemon's writer is never locked out for long.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';

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
  private readonly deleteOlder: Statement;
  private readonly deleteBelowId: Statement;
  private readonly maxId: Statement;
  private readonly deleteOldAlerts: Statement;
  private stopped = false;

  constructor(private readonly db: Database, private readonly settings: RetentionSettings) {
    // LIMIT on a subquery rather than DELETE ... LIMIT, which needs a compile-time SQLite option.
    this.deleteOlder = db.prepare(
      'DELETE FROM diagnoses WHERE id IN (SELECT id FROM diagnoses WHERE window_end < ? LIMIT ?)');
    this.deleteBelowId = db.prepare(
      'DELETE FROM diagnoses WHERE id IN (SELECT id FROM diagnoses WHERE id < ? ORDER BY id LIMIT ?)');
    this.maxId = db.prepare('SELECT max(id) AS id FROM diagnoses');
    // Active alerts are kept whatever their age; their events go with them (ON DELETE CASCADE).
    this.deleteOldAlerts = db.prepare(
      `DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE state = 'cleared' AND cleared_at < ? LIMIT ?)`);
  }

  /**
   * One pruning pass. Each step is its own short transaction; between steps we yield to the event
   * loop so frames keep flowing and the batch writer can commit.
   */
  async prune(now: number): Promise<PruneResult> {
    const { maxAgeDays, maxRows, stepRows } = this.settings;
    const cutoff = now - maxAgeDays * DAY_MS;
    const byAge = await this.steps(() => this.deleteOlder.run(cutoff, stepRows).changes);
    // Row ids only grow, so "the newest maxRows" are the ids above max(id) - maxRows. This avoids
    // count(*), which scans the whole table (seconds on an SD card with millions of rows).
    const top = (this.maxId.get() as { id: number | null }).id;
    const byCount = top === null ? 0
      : await this.steps(() => this.deleteBelowId.run(top - maxRows + 1, stepRows).changes);
    const alerts = await this.steps(() => this.deleteOldAlerts.run(cutoff, stepRows).changes);
    return { byAge, byCount, alerts };
  }

  /** Ends a running pass after its current step (the rest waits for the next start): stop must not
   *  wait for a pass, which at the row cap deletes a minute's worth of rows. */
  stop(): void {
    this.stopped = true;
  }

  private async steps(step: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      if (!this.db.open || this.stopped) return total;
      const n = step();
      total += n;
      if (n < this.settings.stepRows) return total;
      await yieldToEventLoop();
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

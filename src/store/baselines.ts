// On-site baselines in SQL (schema step 6): one row per learning period of a sensor channel. At most
// one learning and one active row per channel (unique partial indexes); finishing a baseline retires
// the previous one in the same transaction.
import type { Database, Statement } from 'better-sqlite3';
import type { BaselineStats } from '../baseline/stats.js';

export type BaselineState = 'learning' | 'active' | 'retired';

export interface BaselineRecord {
  id: number;
  sensorId: string;
  channel: string;
  state: BaselineState;
  startedAt: number;
  endsAt: number | null;
  endedAt: number | null;
  windows: number;
  stats: BaselineStats | null;
}

interface BaselineRow {
  id: number; sensor: string; channel: string; state: BaselineState; started_at: number; ends_at: number | null;
  ended_at: number | null; windows: number; stats: string | null;
}

function toRecord(r: BaselineRow): BaselineRecord {
  let stats: BaselineStats | null = null;
  try {
    stats = r.stats === null ? null : (JSON.parse(r.stats) as BaselineStats);
  } catch {
    // A row no drsnd wrote: treated as having no statistics (learn again).
  }
  return {
    id: r.id, sensorId: r.sensor, channel: r.channel, state: r.state, startedAt: r.started_at, endsAt: r.ends_at,
    endedAt: r.ended_at, windows: r.windows, stats,
  };
}

export class BaselineTable {
  private readonly current: Statement;
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly progress: Statement;
  private readonly retire: Statement;
  private readonly finish: Statement;
  private readonly remove: Statement;
  private readonly activateTx: (id: number, at: number, windows: number, stats: string) => void;

  constructor(db: Database) {
    this.current = db.prepare(`SELECT * FROM baselines WHERE state IN ('learning', 'active') ORDER BY sensor, channel, id`);
    this.insert = db.prepare(`INSERT INTO baselines (sensor, channel, state, started_at, ends_at) VALUES (?, ?, 'learning', ?, ?)`);
    this.byId = db.prepare('SELECT * FROM baselines WHERE id = ?');
    this.progress = db.prepare(`UPDATE baselines SET windows = ?, stats = ? WHERE id = ? AND state = 'learning'`);
    this.retire = db.prepare(`
      UPDATE baselines SET state = 'retired', retired_at = @at
      WHERE state = 'active' AND (sensor, channel) = (SELECT sensor, channel FROM baselines WHERE id = @id)`);
    this.finish = db.prepare(`UPDATE baselines SET state = 'active', ended_at = @at, windows = @windows, stats = @stats WHERE id = @id AND state = 'learning'`);
    this.remove = db.prepare(`DELETE FROM baselines WHERE id = ? AND state = 'learning'`);
    this.activateTx = db.transaction((id: number, at: number, windows: number, stats: string) => {
      this.retire.run({ id, at });
      this.finish.run({ id, at, windows, stats });
    });
  }

  /** Every channel's learning and active baselines. */
  learningAndActive(): BaselineRecord[] {
    return (this.current.all() as BaselineRow[]).map(toRecord);
  }

  begin(sensorId: string, channel: string, at: number, endsAt: number | null): BaselineRecord {
    const id = Number(this.insert.run(sensorId, channel, Math.round(at), endsAt === null ? null : Math.round(endsAt)).lastInsertRowid);
    return toRecord(this.byId.get(id) as BaselineRow);
  }

  /** Saves a learning baseline's statistics so far (a restart resumes from them). */
  save(id: number, stats: BaselineStats): void {
    this.progress.run(stats.n, JSON.stringify(stats), id);
  }

  /** The learning baseline becomes the channel's active one; the active one before it is retired. */
  activate(id: number, at: number, stats: BaselineStats): void {
    this.activateTx(id, Math.round(at), stats.n, JSON.stringify(stats));
  }

  /** Drops a learning baseline (learning cancelled); the active one stays. */
  discard(id: number): void {
    this.remove.run(id);
  }
}

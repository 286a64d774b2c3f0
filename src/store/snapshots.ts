// Alert snapshots in SQL (schema step 4): the raw window that raised or changed an alert, kept within
// alerts.snapshots.maxCount rows and maxBytes of samples, oldest dropped first. Alerts are rare, so
// the bound is enforced at each insert with one aggregate over this small table.
import type { Database, Statement } from 'better-sqlite3';

export interface SnapshotMeta {
  id: number;
  alertId: number;
  eventId: number;
  sensorId: string;
  channel: string;
  windowStart: number;
  windowEnd: number;
  rateHz: number;
  unit: string;
  className: string;
  confidence: number;
  /** Number of samples. */
  length: number;
  createdAt: number;
}

export interface Snapshot extends SnapshotMeta {
  samples: Float32Array;
}

export type NewSnapshot = Omit<Snapshot, 'id' | 'length'>;

interface SnapshotRow {
  id: number; alert_id: number; event_id: number; sensor: string; channel: string; window_start: number; window_end: number;
  rate_hz: number; unit: string; class_name: string; confidence: number; n: number; created_at: number; samples?: Buffer;
}

const META = `id, alert_id, event_id, sensor, channel, window_start, window_end, rate_hz, unit, class_name, confidence,
  length(samples) / 4 AS n, created_at`;

function toMeta(r: SnapshotRow): SnapshotMeta {
  return {
    id: r.id, alertId: r.alert_id, eventId: r.event_id, sensorId: r.sensor, channel: r.channel, windowStart: r.window_start,
    windowEnd: r.window_end, rateHz: r.rate_hz, unit: r.unit, className: r.class_name, confidence: r.confidence, length: r.n, createdAt: r.created_at,
  };
}

/** Reads, shared by the daemon's store and the read-only handles (CLI, read thread). */
export class SnapshotQueries {
  private readonly byAlert: Statement;
  private readonly byId: Statement;

  constructor(db: Database) {
    this.byAlert = db.prepare(`SELECT ${META} FROM alert_snapshots WHERE alert_id = ? ORDER BY id`);
    this.byId = db.prepare(`SELECT ${META}, samples FROM alert_snapshots WHERE id = ?`);
  }

  ofAlert(alertId: number): SnapshotMeta[] {
    return (this.byAlert.all(alertId) as SnapshotRow[]).map(toMeta);
  }

  get(id: number): Snapshot | undefined {
    const r = this.byId.get(id) as SnapshotRow | undefined;
    if (!r) return undefined;
    const b = r.samples!;
    // A copy: the Buffer's memory may be a slice of a larger pool, not aligned for a Float32Array view.
    const samples = new Float32Array(b.length / 4);
    for (let i = 0; i < samples.length; i++) samples[i] = b.readFloatLE(i * 4);
    return { ...toMeta(r), samples };
  }
}

export class SnapshotWriter {
  private readonly insert: Statement;
  private readonly totals: Statement;
  private readonly oldest: Statement;
  private readonly remove: Statement;
  private readonly saveTx: (s: NewSnapshot, maxCount: number, maxBytes: number) => { id: number; dropped: number };

  constructor(db: Database) {
    this.insert = db.prepare(`
      INSERT INTO alert_snapshots (alert_id, event_id, sensor, channel, window_start, window_end, rate_hz, unit, class_name, confidence, samples, created_at)
      VALUES (@alertId, @eventId, @sensorId, @channel, @windowStart, @windowEnd, @rateHz, @unit, @className, @confidence, @samples, @createdAt)`);
    this.totals = db.prepare('SELECT count(*) AS n, coalesce(sum(length(samples)), 0) AS bytes FROM alert_snapshots');
    this.oldest = db.prepare('SELECT id, length(samples) AS bytes FROM alert_snapshots ORDER BY id LIMIT 64');
    this.remove = db.prepare('DELETE FROM alert_snapshots WHERE id = ?');
    this.saveTx = db.transaction((s: NewSnapshot, maxCount: number, maxBytes: number) => {
      const bytes = Buffer.from(s.samples.buffer, s.samples.byteOffset, s.samples.byteLength);
      const id = Number(this.insert.run({
        ...s, samples: bytes, windowStart: Math.round(s.windowStart), windowEnd: Math.round(s.windowEnd), createdAt: Math.round(s.createdAt),
      }).lastInsertRowid);
      let { n, bytes: total } = this.totals.get() as { n: number; bytes: number };
      let dropped = 0;
      while (n > maxCount || total > maxBytes) {
        const rows = this.oldest.all() as Array<{ id: number; bytes: number }>;
        if (rows.length === 0) break;
        for (const r of rows) {
          if (!(n > maxCount || total > maxBytes)) break;
          this.remove.run(r.id);
          n--;
          total -= r.bytes;
          dropped++;
        }
      }
      return { id, dropped };
    });
  }

  /** Inserts one snapshot and drops the oldest while over either bound (possibly the new one, if it alone is too big). */
  save(s: NewSnapshot, maxCount: number, maxBytes: number): { id: number; dropped: number } {
    return this.saveTx(s, maxCount, maxBytes);
  }
}

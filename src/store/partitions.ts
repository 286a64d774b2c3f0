// Diagnoses live in a ring of tables (schema step 2): new rows go to the current table until it holds
// partRows = ceil(maxRows / 7) rows, then to the next one, which retention has emptied by then. Emptying
// a whole table is one DELETE without WHERE, which SQLite does by freeing its pages without visiting rows
// or indexes: ~0.1 s and a few dozen WAL pages for 600,000 rows, where deleting rows one by one cost
// 7 µs and 0.23 WAL pages per row, all of it written again by the next checkpoint (BENCHMARKS.md item 13).
// Row ids stay one sequence across the ring, so "newer" is still "larger id", and the outbox's cursor
// (outbox.ts) is an id that survives the ring moving on. Ids are never reused (outbox.last_id), and rows
// deleted before the broker acknowledged them are counted there as lost.
import type { Database, Statement } from 'better-sqlite3';
import { PHYSICS_COLUMNS } from './physics-columns.js';

export const PARTITIONS = 8;
/** The diagnosis columns insert() takes values for, in order, before PHYSICS_COLUMNS (the id comes first, from the ring). */
export const INSERT_COLUMNS = [
  'sensor', 'asset', 'channel', 'window_start', 'window_end', 'class_index', 'class_name', 'kind',
  'confidence', 'probabilities', 'model_id', 'model_version', 'latency_ms', 'created_at',
] as const;
export const partitionTable = (k: number): string => `diagnoses_p${k}`;

export class PartitionRing {
  /** Rows per table before the ring moves on: seven full tables hold maxRows. */
  readonly partRows: number;
  /** Rows dropped inside a commit because the ring came round to a table retention had not emptied yet. */
  droppedInline = 0;
  /** Times the ring moved on to the next table; the store starts a retention pass after each. */
  rotations = 0;
  private rows: number[] = [];
  private cur = 0;
  private nextId = 1;
  private readonly dirty = new Set<number>();
  private readonly inserts: Statement[];
  private readonly clears: Statement[];
  private readonly maxIds: Statement[];
  private readonly maxEnds: Statement[];
  private readonly deleteOldest: Statement[];
  private readonly deleteOlder: Statement[];
  private readonly unpublishedAll: Statement[];
  private readonly unpublishedOldest: Statement[];
  private readonly unpublishedOlder: Statement[];
  private readonly setRows: Statement;
  private readonly setCurrent: Statement;
  private readonly setLastId: Statement;
  private readonly addLost: Statement;
  private readonly lastIdFloor: Statement;

  constructor(private readonly db: Database, maxRows: number) {
    this.partRows = Math.max(1, Math.ceil(maxRows / (PARTITIONS - 1)));
    const each = (sql: (t: string) => string) => Array.from({ length: PARTITIONS }, (_, k) => db.prepare(sql(partitionTable(k))));
    // Positional parameters: better-sqlite3 binds named ones by looking each name up on the object in
    // C++, slower than an argument list, and this runs for every window (thousands a second).
    this.inserts = each((t) => `
      INSERT INTO ${t} (id, ${INSERT_COLUMNS.join(', ')}, ${PHYSICS_COLUMNS.join(', ')})
      VALUES (?, ${[...INSERT_COLUMNS, ...PHYSICS_COLUMNS].map(() => '?').join(', ')})`);
    this.clears = each((t) => `DELETE FROM ${t}`);
    this.maxIds = each((t) => `SELECT max(id) AS v FROM ${t}`);
    this.maxEnds = each((t) => `SELECT max(window_end) AS v FROM ${t}`);
    // LIMIT on a subquery rather than DELETE ... LIMIT, which needs a compile-time SQLite option.
    // Each deletion's rows are chosen in a fixed order, so the count of unpublished rows among them
    // (taken just before, in the same transaction) is of exactly the rows that go.
    const oldest = (t: string) => `SELECT id FROM ${t} ORDER BY id LIMIT @n`;
    const older = (t: string) => `SELECT id FROM ${t} WHERE window_end < @cutoff ORDER BY window_end LIMIT @n`;
    this.deleteOldest = each((t) => `DELETE FROM ${t} WHERE id IN (${oldest(t)})`);
    this.deleteOlder = each((t) => `DELETE FROM ${t} WHERE id IN (${older(t)})`);
    const acked = `(SELECT acked FROM outbox WHERE stream = 'diagnoses')`;
    this.unpublishedAll = each((t) => `SELECT count(*) AS n FROM ${t} WHERE id > ${acked}`);
    this.unpublishedOldest = each((t) => `SELECT count(*) AS n FROM (${oldest(t)}) WHERE id > ${acked}`);
    this.unpublishedOlder = each((t) => `SELECT count(*) AS n FROM (${older(t)}) WHERE id > ${acked}`);
    this.setRows = db.prepare('UPDATE diagnosis_partitions SET rows = ? WHERE part = ?');
    this.setCurrent = db.prepare('UPDATE diagnosis_partitions SET current = (part = ?)');
    this.setLastId = db.prepare(`UPDATE outbox SET last_id = ? WHERE stream = 'diagnoses'`);
    this.addLost = db.prepare(`UPDATE outbox SET lost = lost + ? WHERE stream = 'diagnoses'`);
    this.lastIdFloor = db.prepare(`SELECT last_id AS v FROM outbox WHERE stream = 'diagnoses'`);
    this.load();
  }

  /** Reads counts, the current table and the next id from the file: at open, and after a rolled-back transaction. */
  load(): void {
    const parts = this.db.prepare('SELECT part, rows, current FROM diagnosis_partitions ORDER BY part').all() as
      { part: number; rows: number; current: number }[];
    this.rows = Array.from({ length: PARTITIONS }, (_, k) => parts.find((p) => p.part === k)?.rows ?? 0);
    this.cur = parts.find((p) => p.current === 1)?.part ?? 0;
    const floor = (this.lastIdFloor.get() as { v: number } | undefined)?.v ?? 0;
    this.nextId = 1 + Math.max(floor, ...this.maxIds.map((s) => (s.get() as { v: number | null }).v ?? 0));
    this.dirty.clear();
  }

  /** The id of the newest row (0 before the first). */
  get lastId(): number {
    return this.nextId - 1;
  }

  get totalRows(): number {
    return this.rows.reduce((a, b) => a + b, 0);
  }

  /** Room left in the current table before the ring moves on. */
  get headroom(): number {
    return Math.max(0, this.partRows - this.rows[this.cur]);
  }

  /** The table new rows go to. */
  get current(): number {
    return this.cur;
  }

  rowsIn(k: number): number {
    return this.rows[k];
  }

  /** The tables other than the current one, oldest first (the ring's order after the current one). */
  olderTables(): number[] {
    return Array.from({ length: PARTITIONS - 1 }, (_, i) => (this.cur + 1 + i) % PARTITIONS);
  }

  /**
   * Inserts one diagnosis into the current table: `values` in the order of INSERT_COLUMNS, then
   * PHYSICS_COLUMNS (the id is the ring's). Inside the caller's transaction; call saveCounts() before it ends.
   */
  insert(values: unknown[]): void {
    if (this.rows[this.cur] >= this.partRows) this.rotate();
    this.inserts[this.cur].run(this.nextId, ...values);
    this.nextId++;
    this.rows[this.cur]++;
    this.dirty.add(this.cur);
  }

  saveCounts(): void {
    for (const k of this.dirty) this.setRows.run(this.rows[k], k);
    if (this.dirty.has(this.cur)) this.setLastId.run(this.lastId);
    this.dirty.clear();
  }

  /** Empties table k (one statement, in the caller's transaction or its own); returns the rows it held. */
  clear(k: number): number {
    const n = this.rows[k];
    this.countLost(this.unpublishedAll[k].get());
    this.clears[k].run();
    this.rows[k] = 0;
    this.dirty.add(k);
    return n;
  }

  /** Deletes up to n of table k's oldest rows; returns how many went. */
  deleteOldestRows(k: number, n: number): number {
    this.countLost(this.unpublishedOldest[k].get({ n }));
    const changes = this.deleteOldest[k].run({ n }).changes;
    this.rows[k] -= changes;
    this.dirty.add(k);
    return changes;
  }

  /** Deletes up to `limit` rows of table k whose window ended before `cutoff`; returns how many went. */
  deleteOlderThan(k: number, cutoff: number, limit: number): number {
    this.countLost(this.unpublishedOlder[k].get({ cutoff, n: limit }));
    const changes = this.deleteOlder[k].run({ cutoff, n: limit }).changes;
    this.rows[k] -= changes;
    this.dirty.add(k);
    return changes;
  }

  /** The newest window end in table k, or null when it is empty. */
  newestEnd(k: number): number | null {
    return (this.maxEnds[k].get() as { v: number | null }).v;
  }

  /** Rows about to be deleted that the broker never acknowledged: lost to MQTT, counted in the outbox. */
  private countLost(r: unknown): void {
    const n = (r as { n: number }).n;
    if (n > 0) this.addLost.run(n);
  }

  private rotate(): void {
    const next = (this.cur + 1) % PARTITIONS;
    // Retention normally emptied it long ago; if not (a burst larger than a table between two passes),
    // the ring must still move on: keeping the disk bounded beats keeping the oldest rows.
    if (this.rows[next] > 0) this.droppedInline += this.clear(next);
    this.setCurrent.run(next);
    this.cur = next;
    this.rotations++;
  }
}

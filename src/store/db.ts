// Opening the SQLite file: once per process, pragmas chosen on purpose, schema migrated by user_version.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { DrsndError, ErrorCodes } from '../errors.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';
import { sqlite } from './sqlite.js';

export type { Database };
export type Synchronous = 'OFF' | 'NORMAL' | 'FULL';

export interface OpenOptions {
  /**
   * NORMAL is the documented sweet spot for WAL: commits do not fsync, checkpoints do. A power cut
   * can lose the last few transactions but never corrupts the file, and the SD card sees far fewer
   * flushes than with FULL (https://www.sqlite.org/pragma.html#pragma_synchronous).
   */
  synchronous?: Synchronous;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY ("database is locked"). */
  busyTimeoutMs?: number;
}

/** Keeps the WAL file from staying at its high-water mark after a checkpoint (SD cards, small disks). */
const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

export function storeError(dbPath: string, what: string, cause: unknown): DrsndError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DrsndError(ErrorCodes.STORE, `store ${dbPath}: ${what}: ${reason}`, { cause });
}

/** Opens (creating if needed) the database for writing and brings its schema up to date. */
export function openDatabase(dbPath: string, opts: OpenOptions = {}): Database {
  let db: Database | undefined;
  try {
    mkdirSync(path.dirname(dbPath), { recursive: true });
    db = new (sqlite())(dbPath, { timeout: opts.busyTimeoutMs ?? 5_000 });
    // WAL: readers (the CLI) never block the daemon's writer and vice versa.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    // Off by default in SQLite; alert_events depends on it for ON DELETE CASCADE during retention.
    db.pragma('foreign_keys = ON');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    // Bounds the ANALYZE that `PRAGMA optimize` may run (hourly and at stop) to a sample of each index,
    // as the SQLite docs advise: unbounded, it scans millions of rows and can hold up a stop for seconds.
    db.pragma('analysis_limit = 400');
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof DrsndError) throw e;
    throw storeError(dbPath, 'cannot open database', e);
  }
}

/**
 * Opens an existing database read-only. Works while the daemon writes (WAL readers see the last
 * committed state). Refuses a file whose schema this build does not know.
 */
export function openDatabaseReadOnly(dbPath: string): Database {
  let db: Database | undefined;
  try {
    db = new (sqlite())(dbPath, { readonly: true, fileMustExist: true, timeout: 5_000 });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) throw new Error('not a drsnd database (no schema); is store.path right?');
    if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} is newer than this drsnd (${SCHEMA_VERSION}); upgrade drsnd`);
    if (version < SCHEMA_VERSION) throw new Error(`schema version ${version} is older than this drsnd (${SCHEMA_VERSION}); start the daemon once to migrate it`);
    return db;
  } catch (e) {
    db?.close();
    throw storeError(dbPath, 'cannot open database read-only', e);
  }
}

/** Applies the missing migration steps, each in an IMMEDIATE transaction so two processes cannot race. */
export function migrate(db: Database): number {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  const start = current();
  if (start > SCHEMA_VERSION) {
    throw new Error(`schema version ${start} is newer than this drsnd (${SCHEMA_VERSION}); upgrade drsnd`);
  }
  for (let v = start; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      // Another process may have migrated between our read and our lock.
      if (current() !== v) return;
      migrations[v](db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return current();
}

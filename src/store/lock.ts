// One owner per database (issue 19): two daemons writing one file both ran and lost 41 % of the
// diagnoses to UNIQUE constraint errors. The lock is a separate file, `<store.path>.lock`, opened by
// SQLite with locking_mode=EXCLUSIVE and a write transaction left open: SQLite holds a POSIX lock on
// it for as long as this connection lives, and the kernel drops that lock when the process ends, however
// it ends, so a SIGKILLed daemon leaves no stale lock (a PID file would). A separate file, because
// an exclusive lock on the database itself would shut out the CLI's readers (`drsnd history` and
// `alerts` open the database, never this file). Node has no flock(); SQLite's lock needs no addon beyond
// the one the store already loads, and works between connections of one process too (tests).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { DrsndError, ErrorCodes } from '../errors.js';
import { storeError } from './db.js';
import { sqlite } from './sqlite.js';

export interface StoreLock {
  readonly path: string;
  release(): void;
}

export function lockStore(dbPath: string): StoreLock {
  const lockPath = `${dbPath}.lock`;
  let db: Database | undefined;
  try {
    mkdirSync(path.dirname(dbPath), { recursive: true });
    db = new (sqlite())(lockPath, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db?.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DrsndError(ErrorCodes.STORE_LOCKED,
        `store ${dbPath}: another drsnd is using this database (it holds ${lockPath}); stop that one first, or give this one its own store.path`);
    }
    throw storeError(dbPath, `cannot take the lock ${lockPath}`, e);
  }
  const held = db;
  return {
    path: lockPath,
    release() {
      if (held.open) held.close();
    },
  };
}

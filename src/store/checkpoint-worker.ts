// Checkpoint worker thread (see checkpointer.ts): its own connection folds the WAL into the database
// file every intervalMs. PASSIVE never waits for, or blocks, the daemon's writer or a CLI reader.
import type { Database } from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointInit, FromCheckpointer, ToCheckpointer } from './checkpointer.js';
import { sqlite } from './sqlite.js';

const init = workerData as CheckpointInit;
const port = parentPort!;
const post = (m: FromCheckpointer) => port.postMessage(m);

let db: Database;
try {
  db = new (sqlite())(init.path, { fileMustExist: true, timeout: 0 });
  // The checkpoint's fsync follows this connection's setting: the same durability as the writer's.
  db.pragma(`synchronous = ${init.synchronous}`);
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
  process.exit(1);
}

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
  try {
    // TRUNCATE waits for no one (timeout 0): a busy result just leaves the WAL for the next pass.
    db.pragma(`wal_checkpoint(${mode})`);
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return;
    // An I/O error here would repeat every interval: report it once and exit; the main thread then
    // turns SQLite's own checkpointing back on, so the WAL cannot grow without bound.
    post({ type: 'error', message: (e as Error).message });
    process.exit(1);
  }
}

const timer = setInterval(() => checkpoint('PASSIVE'), init.intervalMs);

port.on('message', (m: ToCheckpointer) => {
  if (m.type === 'truncate') {
    checkpoint('TRUNCATE');
    return;
  }
  clearInterval(timer);
  db.close();
  port.close();
});

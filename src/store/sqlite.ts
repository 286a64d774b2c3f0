// The better-sqlite3 line this Node can run (issue 21). Two lines are installed side by side:
// - better-sqlite3 12.x (package `better-sqlite3`): a node::ObjectWrap addon compiled for the running
//   Node's ABI. On Node 24.19+ ObjectWrap's destructor asserts an Environment exists, so a Statement
//   collected by an idle GC aborts the process (SIGABRT in Statement::~Statement, WiseLibs/better-sqlite3
//   #1515, closed without a fix for 12.x).
// - better-sqlite3 13.x (alias `better-sqlite3-napi`): a Node-API 10 addon, prebuilt inside the npm
//   package, one binary for every Node that has Node-API 10 (Node 22.14+). On Node 20 (Node-API 9) it
//   loads and then segfaults at the first `new Database()`.
// So the choice follows the Node-API version the running Node offers, not its major number. Both lines
// have the same JavaScript API; the types come from @types/better-sqlite3.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { DrsndError, ErrorCodes } from '../errors.js';

/** The Node-API version better-sqlite3 13 is compiled against (its binding.gyp: NAPI_VERSION=10). */
const NAPI_OF_LINE_13 = 10;

/** The package name to load under a Node offering `napi` (process.versions.napi). */
export function sqlitePackageFor(napi: number): 'better-sqlite3' | 'better-sqlite3-napi' {
  return napi >= NAPI_OF_LINE_13 ? 'better-sqlite3-napi' : 'better-sqlite3';
}

export const SQLITE_PACKAGE = sqlitePackageFor(Number(process.versions.napi));

let loaded: typeof BetterSqlite3 | undefined;

/**
 * The better-sqlite3 Database class of the line chosen above, loaded on first use so that a binding
 * that does not load is a DRSND_STORE error where the store opens, not a crash at import.
 */
export function sqlite(): typeof BetterSqlite3 {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require(SQLITE_PACKAGE) as typeof BetterSqlite3;
    return loaded;
  } catch (e) {
    throw new DrsndError(
      ErrorCodes.STORE,
      `store: ${SQLITE_PACKAGE} does not load on Node ${process.version} (Node-API ${process.versions.napi}): ${(e as Error).message.split('\n')[0]}. ` +
        'Install drsnd with the Node that runs it (npm ci, or npm rebuild after a Node upgrade), or build the bundle with that Node.',
      { cause: e },
    );
  }
}

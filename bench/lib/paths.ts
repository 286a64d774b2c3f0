// Where the repository is, whether this runs compiled (dist/bench) or from source under tsx.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    // dist/ has no package.json, so the first one walking up is the repository's.
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the repository root (package.json)');
    dir = up;
  }
}

export const ROOT = findRoot();
/** DRSND_PYTHON, as the daemon's train/eval and the tests read it (DRSN_PYTHON: the deprecated old name). */
export const PYTHON = process.env.DRSND_PYTHON ?? process.env.DRSN_PYTHON ?? '/usr/bin/python3';
/** The CWRU data beside the project (never inside it), as tests and CI locate it. */
export const CWRU_DIR = process.env.DRSND_CWRU_DIR ?? path.resolve(ROOT, '..', 'shared', 'data', 'cwru');
/** The compiled bench scripts (children are started from here, so they run without tsx). */
export const DIST_BENCH = path.join(ROOT, 'dist', 'bench');

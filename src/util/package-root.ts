// The drsnd package folder (the one holding package.json), found from this file so it works from src/
// (tsx) and from dist/ alike.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DrsndError, ErrorCodes } from '../errors.js';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new DrsndError(ErrorCodes.NOT_FOUND, 'cannot find the drsnd package root (package.json)');
    dir = up;
  }
  return dir;
}

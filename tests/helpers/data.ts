// Locates the CWRU data shared with the project (never copied into it). Tests that need it call
// `cwruDir(t)`: on a user's fresh clone it is absent and the test skips with a visible message;
// .ci/run makes sure it is present, so in CI these tests always run.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', ...(fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

export function cwruDirPath(): string {
  return process.env.DRSND_CWRU_DIR ?? path.resolve(projectRoot, '..', 'shared', 'data', 'cwru');
}

/** Returns the CWRU folder, or skips the test (visibly) and returns undefined. */
export function cwruDir(t: TestContext): string | undefined {
  const dir = cwruDirPath();
  if (existsSync(path.join(dir, 'manifest.json'))) return dir;
  t.skip(`CWRU data not found at ${dir} (set DRSND_CWRU_DIR); skipping`);
  return undefined;
}

/** The model folders shipped in models/ (those with a drsn.json), by name: every shipped-model test covers each. */
export const modelsDir = path.join(projectRoot, 'models');
export function shippedModels(): string[] {
  return readdirSync(modelsDir).filter((d) => existsSync(path.join(modelsDir, d, 'drsn.json'))).sort();
}

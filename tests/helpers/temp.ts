// A temp folder per test, removed when the test ends (tests run concurrently: never a fixed path).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(t: { after(fn: () => void): void }, prefix = 'drsnd-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

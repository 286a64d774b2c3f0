// `npm test`: runs the compiled suite (dist/tests/**/*.test.js) with Node's own runner.
//
// The files are listed here and passed to `node --test` by name because the runner's own discovery
// differs by Node version: Node 20 expands a folder argument but knows no globs, Node 22+ takes globs
// and no longer expands a folder (`node --test dist/tests/` finds nothing there). Node's output,
// including its closing `# tests / # pass / # fail` lines, goes straight through.
//
// Only compiled tests whose TypeScript source still exists are run: dist/ is never cleaned by tsc, so a
// test deleted or renamed under tests/ would otherwise keep running from its stale .js.
//
// Usage: node scripts/test.mjs [--node-test-flag ...] [filter ...]
//   flags starting with "--" go to `node --test` (after the defaults below, so they can override them);
//   other arguments keep only the files whose path contains one of them (e.g. `store-` `e2e/`).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const compiled = path.join(root, 'dist', 'tests');
// Two files at a time on CI's 2 cores; a test may take minutes (training smoke runs, spawned daemons).
const defaults = ['--test-concurrency=2', '--test-timeout=300000'];
// Node 20 prints TAP when its output is not a terminal, Node 22+ prints the spec reporter everywhere.
// Logs (CI) get TAP on every Node so that their closing `# pass N` / `# fail N` lines read the same.
if (!process.stdout.isTTY) defaults.push('--test-reporter=tap');

function listTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTests(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

if (!existsSync(compiled)) {
  console.error(`test: ${path.relative(root, compiled)} does not exist; run npm run build first`);
  process.exit(1);
}
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const filters = args.filter((a) => !a.startsWith('--'));
const sourceOf = (js) => path.join(root, path.relative(path.join(root, 'dist'), js)).replace(/\.js$/, '.ts');
const all = listTests(compiled).sort();
const stale = all.filter((f) => !existsSync(sourceOf(f)));
for (const f of stale) console.log(`# test: skipping ${path.relative(root, f)} (no ${path.relative(root, sourceOf(f))}: stale build output)`);
const files = all.filter((f) => !stale.includes(f) && (filters.length === 0 || filters.some((s) => path.relative(root, f).includes(s))));
if (files.length === 0) {
  console.error(`test: no test files under ${path.relative(root, compiled)}${filters.length ? ` matching ${filters.join(' ')}` : ''}`);
  process.exit(1);
}

const child = spawn(process.execPath, ['--test', ...defaults, ...flags, ...files.map((f) => path.relative(root, f))], { cwd: root, stdio: 'inherit' });
// Ctrl-C and CI timeouts reach the runner through the shared process group; the child's fate is ours.
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});

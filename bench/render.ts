// Re-renders the Markdown of a saved result: node dist/bench/render.js bench/results/<date>.json
import { readFileSync, writeFileSync } from 'node:fs';
import { markdown, type BenchResults } from './report.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/render.js RESULTS.json   (writes RESULTS.md next to it)');
  process.exit(2);
}
const md = markdown(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
writeFileSync(file.replace(/\.json$/, '') + '.md', md);
console.log(md);

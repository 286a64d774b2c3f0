// node profsum.mjs FILE.cpuprofile [top]: self time by function (and by url) of a V8 CPU profile.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 30);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const self = new Map(), byUrl = new Map();
for (const [id, us] of dt) {
  const cf = byId.get(id).callFrame;
  const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const u = cf.url.includes('node_modules') ? cf.url.split('node_modules/')[1].split('/')[0] : (cf.url.split('/').slice(-2).join('/') || cf.functionName);
  byUrl.set(u, (byUrl.get(u) ?? 0) + us);
}
const fmt = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n');
console.log(`total ${(total / 1e6).toFixed(1)} s sampled (${p.samples.length} samples)\n-- self by function\n${fmt(self)}\n-- self by file/package\n${fmt(byUrl)}`);

// `npm run bundle`: a folder holding what a gateway runs, and nothing else (issue 21).
//
// In: the built tree (dist/, build/native, node_modules from `npm ci`). Out: dist/src, the engine(s)
// asked for, the shipped models without their comparison material, config/, systemd/, dashboard/, README.md, and
// the production packages those need, copied from node_modules along package-lock.json's dependency
// graph (so versions are the locked ones and nothing is downloaded). Left out: tests, bench, dev
// dependencies, other platforms' binaries (onnxruntime-node alone ships ~220 MB for macOS and
// Windows), compiler inputs (better-sqlite3's SQLite sources), source maps, type declarations.
//
// Usage: node scripts/bundle.mjs [--engines native,onnx,tfjs] [--out DIR] [--arch x64|arm64|arm] [--node 20|22|24]
//   --engines  default native,onnx. tfjs adds TensorFlow.js with its wasm backend (~40 MB after pruning).
//   --arch     default this machine's. Another one cross-compiles the native engine (CC, default
//              aarch64-linux-gnu-gcc or arm-linux-gnueabihf-gcc) and takes prebuilt binaries for it.
//   --node     the gateway's Node major, default the running one. It picks the better-sqlite3 line
//              (src/store/sqlite.ts): 13 (prebuilt, Node-API 10) for 22+, 12 for 20, which is compiled
//              per Node ABI, so a Node 20 bundle must be made with Node 20 on the gateway's architecture.
//   --out      default bundle/drsnd-<version>-linux-<arch>-node<major>.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;

function fail(msg) {
  console.error(`bundle: ${msg}`);
  process.exit(1);
}

const { values: opt } = parseArgs({
  options: { engines: { type: 'string', default: 'native,onnx' }, out: { type: 'string' }, arch: { type: 'string', default: process.arch }, node: { type: 'string' } },
});
const engines = new Set(opt.engines.split(',').map((e) => e.trim()).filter(Boolean));
for (const e of engines) if (!['native', 'onnx', 'tfjs'].includes(e)) fail(`unknown engine "${e}" (native, onnx, tfjs)`);
if (engines.size === 0) fail('--engines names no engine');
const arch = opt.arch;
if (!['x64', 'arm64', 'arm'].includes(arch)) fail(`unsupported --arch ${arch} (x64, arm64, arm)`);
const cross = arch !== process.arch;
const nodeMajor = Number(opt.node ?? process.versions.node.split('.')[0]);
const out = path.resolve(opt.out ?? path.join(root, 'bundle', `drsnd-${pkg.version}-linux-${arch}-node${nodeMajor}`));
if (!existsSync(path.join(root, 'dist', 'src', 'main.js'))) fail('dist/src/main.js is missing: run npm run build first');

// ---- which packages: the dependencies, minus engines not asked for, plus the right SQLite line ----
// The better-sqlite3 line, as src/store/sqlite.ts will choose it on the gateway's Node (Node-API 10 from 22.14).
const sqlitePkg = nodeMajor >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
const excluded = new Set([sqlitePkg === 'better-sqlite3' ? 'better-sqlite3-napi' : 'better-sqlite3']);
if (!engines.has('onnx')) excluded.add('onnxruntime-node');
// unix-dgram (sd_notify) is a nan addon compiled for this Node's ABI and CPU only.
if (cross || nodeMajor !== Number(process.versions.node.split('.')[0])) excluded.add('unix-dgram');
if (!engines.has('tfjs')) for (const name of Object.keys(pkg.optionalDependencies ?? {})) if (name.startsWith('@tensorflow/')) excluded.add(name);
const roots = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).filter((n) => !excluded.has(n));

/** Where Node would find `name` from the package at lock path `from` (node_modules lookup, upwards). */
function resolveIn(from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!dir) return null;
    const i = dir.lastIndexOf('node_modules/');
    dir = i <= 0 ? '' : dir.slice(0, i - 1);
  }
}

// Needed by install scripts, never at run time: prebuild-install (better-sqlite3 12), onnxruntime-node's
// CUDA downloader (global-agent, adm-zip, tar), and type declarations that some packages list as dependencies.
const INSTALL_ONLY = new Set(['prebuild-install', 'global-agent', 'adm-zip', 'tar']);
const closure = new Set();
const queue = roots.map((name) => ({ from: '', name, optional: name in (pkg.optionalDependencies ?? {}) }));
while (queue.length > 0) {
  const { from, name, optional } = queue.shift();
  if (INSTALL_ONLY.has(name) || name.startsWith('@types/')) continue;
  const at = resolveIn(from, name);
  if (!at || !existsSync(path.join(root, at))) {
    if (optional) continue; // an optional package not installed here (another platform's, or a failed build)
    fail(`${name} (needed by ${from || 'drsnd'}) is not installed: run npm ci`);
  }
  if (closure.has(at)) continue;
  closure.add(at);
  const entry = lock[at];
  for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ from: at, name: dep, optional: false });
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: at, name: dep, optional: true });
  for (const dep of Object.keys(entry.peerDependencies ?? {})) queue.push({ from: at, name: dep, optional: true });
}

// ---- what to leave out of each package ----
const KEEP_ALWAYS = /^(licen[cs]e|copying|notice)/i;
const DROP_FILE = /(\.map|\.d\.[cm]?ts|(?<!\.d)\.[cm]?ts|\.tsx|\.md|\.markdown|\.gyp|\.gypi|\.cc|\.cpp|\.c|\.h|\.hpp|\.o|\.a|\.tsbuildinfo|\.html)$/i;
const DROP_DIR = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'benchmark', 'benchmarks', 'coverage', '.github']);
// Compiler inputs of the native packages (their runtime code is in lib/ or dist/).
const NATIVE_SOURCES = new Set(['better-sqlite3', 'better-sqlite3-napi', '@serialport/bindings-cpp', 'unix-dgram']);
const nodeArchDir = { x64: 'x64', arm64: 'arm64', arm: 'arm' }[arch];

/** Package-specific rules: binaries for this platform only; a null answer keeps the generic rules. */
function special(name, rel) {
  const parts = rel.split('/');
  if (NATIVE_SOURCES.has(name) && (parts[0] === 'src' || parts[0] === 'deps')) return false;
  switch (name) {
    case 'onnxruntime-node': // bin/napi-v6/<platform>/<arch>/...
      if (parts[0] === 'bin' && parts.length >= 3) return parts[2] === 'linux' && (parts.length === 3 || parts[3] === nodeArchDir);
      return null;
    case 'better-sqlite3-napi': // prebuilds/<platform>-<arch>.node
      if (parts[0] === 'prebuilds' && parts.length === 2) return parts[1] === `linux-${arch}.node`;
      if (parts[0] === 'build') return false;
      return null;
    case 'better-sqlite3': // compiled here: build/Release/better_sqlite3.node and nothing else of build/
      if (parts[0] === 'build') return rel === 'build' || rel === 'build/Release' || rel === 'build/Release/better_sqlite3.node';
      return null;
    case '@serialport/bindings-cpp': // node-gyp-build picks prebuilds/linux-<arch>/*.glibc.node
      if (parts[0] === 'build') return false;
      if (parts[0] === 'prebuilds' && parts.length >= 2) return parts[1] === `linux-${arch}` && (parts.length === 2 || /glibc/.test(parts[2]));
      return null;
    case 'unix-dgram':
      if (parts[0] === 'build') return rel === 'build' || rel === 'build/Release' || rel === 'build/Release/unix_dgram.node';
      return null;
    default:
      // TensorFlow.js packages ship every bundle format (UMD, ES2017, min, fesm): Node loads `main` only,
      // and the wasm backend its .wasm files.
      if (name.startsWith('@tensorflow/') && parts[0] === 'dist' && parts.length === 2) {
        const main = path.basename(lockMain(name));
        return parts[1] === main || parts[1].endsWith('.wasm');
      }
      if (name.startsWith('@tensorflow/') && parts[0] === 'dist') return rel === 'dist';
      return null;
  }
}
function lockMain(name) {
  return JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).main ?? 'index.js';
}

function copyPackage(at) {
  const name = at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const src = path.join(root, at);
  cpSync(src, path.join(out, at), {
    recursive: true,
    filter(file) {
      const rel = path.relative(src, file).split(path.sep).join('/');
      if (rel === '') return true;
      if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false; // nested packages: their own entries
      const base = path.basename(file);
      const decided = special(name, rel);
      if (decided !== null) return decided;
      // Only at a package's top level: deeper, such names can hold code (yaml/dist/doc/).
      if (statSync(file).isDirectory()) return rel.includes('/') || !DROP_DIR.has(base);
      return KEEP_ALWAYS.test(base) || base === 'package.json' || !DROP_FILE.test(base);
    },
  });
}

// ---- checks that the target can really run what goes in ----
if (sqlitePkg === 'better-sqlite3') {
  const running = Number(process.versions.node.split('.')[0]);
  if (cross || running !== nodeMajor) fail(`a Node ${nodeMajor} bundle for ${arch} needs better-sqlite3 12 compiled for that Node and CPU: run the bundle with Node ${nodeMajor} on ${arch}`);
  if (!existsSync(path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))) fail('better-sqlite3 is not built: run npm ci');
} else if (!existsSync(path.join(root, `node_modules/better-sqlite3-napi/prebuilds/linux-${arch}.node`))) {
  fail(`better-sqlite3 13 ships no prebuilt binary for linux-${arch}: build it on the gateway (cd node_modules/better-sqlite3-napi && npx node-gyp rebuild)`);
}
if (engines.has('onnx') && !existsSync(path.join(root, `node_modules/onnxruntime-node/bin/napi-v6/linux/${nodeArchDir}`))) {
  fail(`onnxruntime-node ships no binaries for linux/${arch}: leave onnx out (--engines native)`);
}

// ---- assemble ----
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(path.join(root, 'dist', 'src'), path.join(out, 'dist', 'src'), { recursive: true, filter: (f) => !f.endsWith('.map') });
for (const dir of ['config', 'systemd', 'dashboard']) cpSync(path.join(root, dir), path.join(out, dir), { recursive: true });
cpSync(path.join(root, 'README.md'), path.join(out, 'README.md'));

// Models: drsn.json, the files it names (the loader checks they all exist; weights and ONNX are ~0.1 MB
// each) and each model's README and report. No reference windows, no comparison material.
for (const id of readdirSync(path.join(root, 'models'))) {
  const dir = path.join(root, 'models', id);
  if (!existsSync(path.join(dir, 'drsn.json'))) continue;
  const meta = JSON.parse(readFileSync(path.join(dir, 'drsn.json'), 'utf8'));
  const files = ['drsn.json', 'README.md', 'report.md', 'report.json', ...Object.values(meta.files ?? {})];
  if (meta.files?.weights) {
    const manifest = JSON.parse(readFileSync(path.join(dir, meta.files.weights), 'utf8'));
    files.push(manifest.file ?? 'weights.bin');
  }
  mkdirSync(path.join(out, 'models', id), { recursive: true });
  for (const f of new Set(files)) if (existsSync(path.join(dir, f))) cpSync(path.join(dir, f), path.join(out, 'models', id, f));
}

if (engines.has('native')) {
  if (cross) {
    const cc = process.env.CC || { arm64: 'aarch64-linux-gnu-gcc', arm: 'arm-linux-gnueabihf-gcc' }[arch];
    const r = spawnSync(process.execPath, [path.join(root, 'native', 'build.mjs')], { env: { ...process.env, CC: cc, DRSND_NATIVE_OUT: path.join(out, 'build', 'native') }, stdio: 'inherit' });
    if (r.status !== 0) fail('the native engine build failed');
  } else {
    const built = path.join(root, 'build', 'native');
    if (!existsSync(path.join(built, 'drsn.node'))) fail('the native engine is not built (npm run build says why); leave it out with --engines onnx');
    cpSync(built, path.join(out, 'build', 'native'), { recursive: true });
  }
  if (!existsSync(path.join(out, 'build', 'native', 'drsn.node'))) fail(`the native engine was not built for ${arch} (see above)`);
}

for (const at of [...closure].sort()) copyPackage(at);

// package.json: the type (ESM), the bin, and the dependencies that are really here.
const here = (name) => closure.has(`node_modules/${name}`);
const pick = (deps) => Object.fromEntries(Object.entries(deps ?? {}).filter(([n]) => here(n)));
const bundled = {
  name: pkg.name, version: pkg.version, description: pkg.description, type: pkg.type, license: pkg.license, bin: pkg.bin, engines: pkg.engines,
  dependencies: pick(pkg.dependencies), optionalDependencies: pick(pkg.optionalDependencies),
  drsndBundle: { engines: [...engines], platform: 'linux', arch, node: nodeMajor, sqlite: sqlitePkg, createdAt: new Date().toISOString() },
};
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(bundled, null, 2)}\n`);

const du = spawnSync('du', ['-sb', out], { encoding: 'utf8' });
const bytes = Number(du.stdout.split(/\s/)[0]);
const missingOptional = Object.keys(pkg.optionalDependencies ?? {}).filter((n) => !excluded.has(n) && !here(n));
for (const n of missingOptional) console.log(`bundle: optional ${n} is not installed here, so not bundled`);
if (!here('unix-dgram')) console.log('bundle: without unix-dgram there is no sd_notify: use Type=simple in the unit, or build the bundle on the gateway\'s architecture');
console.log(`bundle: ${path.relative(process.cwd(), out) || out} (${(bytes / 1e6).toFixed(1)} MB; engines ${[...engines].join(', ')}; linux-${arch}, Node ${nodeMajor}, ${sqlitePkg}, ${closure.size} packages)`);

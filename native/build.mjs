// Builds the native engine (drsn.c → build/native/drsn.node) as part of `npm run build`.
//
// A Node-API addon compiled straight with the C compiler: no node-gyp (which would try to download
// Node's headers), only `node_api.h`, from the running Node's own include folder or else from the
// node-api-headers devDependency (distro Node packages often leave headers out). Where there is no
// compiler or no headers this prints why and exits 0: the daemon then runs onnxruntime, as before.
// -march=native: the addon is for the machine that builds it (native.ts refuses it on a CPU that lacks
// a feature of the build machine). DRSND_NATIVE_CFLAGS overrides the flags; DRSND_NATIVE=0 skips;
// DRSND_NATIVE_OUT builds elsewhere than build/native (tests).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const outDir = process.env.DRSND_NATIVE_OUT || path.join(root, 'build', 'native');
const source = path.join(here, 'drsn.c');

function skip(why) {
  console.log(`native engine: not built (${why}); inference uses onnxruntime`);
  rmSync(outDir, { recursive: true, force: true });
  process.exit(0);
}

if (process.env.DRSND_NATIVE === '0') skip('DRSND_NATIVE=0');

const includeCandidates = [
  process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
  path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
  path.join(root, 'node_modules', 'node-api-headers', 'include'),
].filter(Boolean);
const include = includeCandidates.find((d) => existsSync(path.join(d, 'node_api.h')));
if (!include) skip(`node_api.h not found in ${includeCandidates.join(', ')}`);

const cc = process.env.CC || 'cc';
const cflags = (process.env.DRSND_NATIVE_CFLAGS || '-O3 -march=native').split(/\s+/).filter(Boolean);

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? line.split(':')[1].trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}

mkdirSync(outDir, { recursive: true });
const tmp = path.join(outDir, `drsn.node.${process.pid}`);
try {
  execFileSync(cc, [...cflags, '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wvector-operation-performance', '-I', include, source, '-o', tmp, '-lm'], { stdio: ['ignore', 'inherit', 'pipe'] });
} catch (e) {
  rmSync(tmp, { force: true });
  const stderr = e.stderr ? e.stderr.toString().trim().split('\n').slice(0, 5).join(' | ') : '';
  skip(e.code === 'ENOENT' ? `no C compiler (${cc})` : `${cc} failed: ${stderr || e.message}`);
}
renameSync(tmp, path.join(outDir, 'drsn.node'));
const info = { platform: process.platform, arch: process.arch, cc, cflags: cflags.join(' '), cpuFlags: cflags.includes('-march=native') ? cpuFlags() : [], builtAt: new Date().toISOString() };
writeFileSync(path.join(outDir, 'drsn.json'), `${JSON.stringify(info, null, 2)}\n`);

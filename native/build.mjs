// Builds the native engine (drsn.c → build/native/drsn.node) as part of `npm run build`.
//
// A Node-API addon compiled straight with the C compiler: no node-gyp (which would try to download
// Node's headers), only `node_api.h`, from the running Node's own include folder or else from the
// node-api-headers devDependency (distro Node packages often leave headers out). Where there is no
// compiler or no headers this prints why and exits 0: the daemon then runs onnxruntime, as before.
//
// Flags, by target (the compiler's own `-dumpmachine`, so CC=aarch64-linux-gnu-gcc cross-compiles):
// - built for this machine: -march=native; the addon is for the CPU that builds it, and native.ts
//   refuses it on a CPU lacking a feature recorded here (/proc/cpuinfo `flags`, on ARM `Features`).
//   32-bit ARM adds NEON where the CPU has it (see ARMV7_NEON).
// - cross-compiled (gateway images): the architecture's baseline, recorded as the features it needs:
//   aarch64 armv8-a (NEON is part of it), armv7 armv7-a with NEON.
// DRSND_NATIVE_CFLAGS overrides the flags (only -march=native records this CPU's features);
// DRSND_NATIVE=0 skips; DRSND_NATIVE_OUT builds elsewhere than build/native (tests, bundles).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const outDir = process.env.DRSND_NATIVE_OUT || path.join(root, 'build', 'native');
// drsn.c: the engine; fft.c: the physics' FFTs (src/physics/fft.ts); physics.c: its per-frame and
// per-window loops (src/physics/native-physics.ts); one addon.
const sources = [path.join(here, 'drsn.c'), path.join(here, 'fft.c'), path.join(here, 'physics.c')];

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

// armv7 NEON: GCC lowers float vector arithmetic to NEON only under -funsafe-math-optimizations, because
// NEON flushes subnormals to zero (not IEEE 754). Without it every vector operation of drsn.c is expanded
// element by element (221 warnings, slower than scalar code). Subnormals (< 1.2e-38) carry nothing in
// this net's activations; the engine agreement run (bench/arm.ts) checks the result against PyTorch.
const ARMV7_NEON = '-mfpu=neon -mfloat-abi=hard -funsafe-math-optimizations';

/** Node's name (process.arch) for the compiler's target triple, e.g. aarch64-linux-gnu → arm64. */
function targetArch() {
  let triple = '';
  try {
    triple = execFileSync(cc, ['-dumpmachine'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return process.arch; // the compile below reports a missing compiler
  }
  if (/^(x86_64|amd64)/.test(triple)) return 'x64';
  if (/^aarch64/.test(triple)) return 'arm64';
  if (/^arm/.test(triple)) return 'arm';
  if (/^i[3-6]86/.test(triple)) return 'ia32';
  return triple.split('-')[0];
}

/** This CPU's feature words: /proc/cpuinfo `flags` on x86, `Features` on ARM. */
function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? line.split(':')[1].trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}

/** Flags and the CPU features they assume, for the target. */
function chooseFlags(arch) {
  const custom = process.env.DRSND_NATIVE_CFLAGS;
  if (custom) return { cflags: custom, requires: /-m(arch|cpu)=native/.test(custom) ? cpuFlags() : [] };
  if (arch === process.arch) {
    const have = cpuFlags();
    // An aarch64 kernel shows a 32-bit process its own words (asimd, not neon): both mean NEON.
    const neon = arch === 'arm' && (have.includes('neon') || have.includes('asimd'));
    return { cflags: `-O3 -march=native${neon ? ` ${ARMV7_NEON}` : ''}`, requires: have };
  }
  if (arch === 'arm64') return { cflags: '-O3 -march=armv8-a', requires: ['asimd'] };
  if (arch === 'arm') return { cflags: `-O3 -march=armv7-a ${ARMV7_NEON}`, requires: ['neon'] };
  skip(`cross-compiling for ${arch} needs DRSND_NATIVE_CFLAGS (no default flags for it)`);
}

const arch = targetArch();
const chosen = chooseFlags(arch);
const cflags = chosen.cflags.split(/\s+/).filter(Boolean);

mkdirSync(outDir, { recursive: true });
const tmp = path.join(outDir, `drsn.node.${process.pid}`);
const compile = spawnSync(cc, [...cflags, '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wvector-operation-performance', '-I', include, ...sources, '-o', tmp, '-lm'], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (compile.error || compile.status !== 0) {
  rmSync(tmp, { force: true });
  const stderr = (compile.stderr ?? '').trim().split('\n').slice(0, 5).join(' | ');
  skip(compile.error?.code === 'ENOENT' ? `no C compiler (${cc})` : `${cc} failed: ${stderr || compile.error?.message || `exit ${compile.status}`}`);
}
renameSync(tmp, path.join(outDir, 'drsn.node'));
// A vector operation the target cannot do is lowered element by element: say so, it costs several times.
const piecewise = (compile.stderr.match(/expanded piecewise|expanded in parallel|expanded with a single scalar/g) ?? []).length;
if (piecewise > 0) console.log(`native engine: ${piecewise} vector operations lowered piecewise for ${arch} with "${cflags.join(' ')}": slow code (see native/build.mjs)`);
const info = { platform: process.platform, arch, cc, cflags: cflags.join(' '), cpuFlags: chosen.requires, builtAt: new Date().toISOString() };
writeFileSync(path.join(outDir, 'drsn.json'), `${JSON.stringify(info, null, 2)}\n`);

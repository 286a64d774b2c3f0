// The lean deployment (scripts/bundle.mjs, issue 21): what a gateway receives is small, holds this
// platform's binaries only and no development material, and the daemon runs from it alone, outside the
// repository (so no package can be found in the repository's node_modules): embedded broker, simulated
// sensors, local SQLite, diagnoses on MQTT within 30 s.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { nativeUnavailable } from '../../src/model/engines/native.js';
import { freePort } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';

const MB = 1e6;

function bundle(out: string, engines: string): string {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'bundle.mjs'), '--out', out, '--engines', engines], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `bundle failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const size = (dir: string) => files(dir).reduce((sum, f) => sum + statSync(f).size, 0);

/** The ELF machine of a binary (62 x86-64, 183 aarch64, 40 arm), or null when it is not ELF. */
function elfMachine(file: string): number | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    return head.readUInt32BE(0) === 0x7f454c46 ? head.readUInt16LE(18) : null;
  } finally {
    closeSync(fd);
  }
}
const MACHINE = { x64: 62, arm64: 183, arm: 40 } as Record<string, number>;

test('the bundle: native + onnx <= 200 MB, native alone <= 60 MB, this platform only, no tests, bench or comparison material', (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`the native engine is not built here (${why}); the bundle sizes are for native builds`);
  const dir = tempDir(t, 'drsnd-bundle-');
  const full = path.join(dir, 'full');
  const lean = path.join(dir, 'lean');
  bundle(full, 'native,onnx');
  bundle(lean, 'native');
  const fullMb = size(full) / MB;
  const leanMb = size(lean) / MB;
  t.diagnostic(`bundle sizes: native+onnx ${fullMb.toFixed(1)} MB, native ${leanMb.toFixed(1)} MB`);
  assert.ok(fullMb <= 200, `native+onnx bundle is ${fullMb.toFixed(1)} MB`);
  assert.ok(leanMb <= 60, `native bundle is ${leanMb.toFixed(1)} MB`);

  for (const root of [full, lean]) {
    const all = files(root).map((f) => path.relative(root, f));
    for (const absent of ['dist/tests', 'dist/bench', 'bench', 'tests', 'native', 'src', 'node_modules/typescript', 'node_modules/tsx', 'node_modules/@tensorflow']) {
      assert.ok(!all.some((f) => f === absent || f.startsWith(`${absent}/`)), `${absent} is not in the bundle`);
    }
    assert.ok(!all.some((f) => /^models\/[^/]+\/(reference\.|comparison\/)/.test(f)), 'no reference windows or comparison material in models/');
    // Every binary is an ELF for this CPU: no Mach-O, PE or other-architecture files.
    const binaries = all.filter((f) => /\.(node|dll|dylib|exe)$|\.so(\.\d+)*$/.test(f));
    for (const b of binaries) assert.equal(elfMachine(path.join(root, b)), MACHINE[process.arch], `${b} is a binary for this CPU`);
    assert.ok(binaries.some((b) => b === 'build/native/drsn.node'), 'the native engine is in');
    assert.ok(existsSync(path.join(root, 'dist', 'src', 'main.js')) && existsSync(path.join(root, 'config', 'default.yaml')) && existsSync(path.join(root, 'systemd', 'drsnd.service')));
  }
  assert.ok(existsSync(path.join(full, 'node_modules', 'onnxruntime-node')) && !existsSync(path.join(lean, 'node_modules', 'onnxruntime-node')), 'onnxruntime only where asked for');
  const pkg = JSON.parse(readFileSync(path.join(lean, 'package.json'), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.devDependencies, undefined);
  assert.deepEqual(pkg.drsndBundle.engines, ['native']);
});

test('a daemon started from the bundle alone diagnoses the simulated sensors within 30 s and stops cleanly', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'drsnd-bundle-run-');
  const root = path.join(dir, 'drsnd');
  bundle(root, nativeUnavailable() ? 'onnx' : 'native,onnx');
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, ['dist/src/main.js', 'run'], {
    cwd: root,
    // The embedded default configuration, with a free port and the database in the temp folder.
    env: { ...process.env, DRSND_MQTT_EMBEDDED_PORT: String(port), DRSND_STORE_PATH: path.join(dir, 'data', 'drsnd.db'), DRSND_INFERENCE_WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let sub: mqtt.MqttClient | undefined;
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sub?.endAsync().catch(() => undefined);
  });

  const deadline = started + 30_000;
  const diagnoses = new Set<string>();
  while (Date.now() < deadline && child.exitCode === null && !sub) {
    sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bundle-check', reconnectPeriod: 0, connectTimeout: 2_000 }).catch(() => undefined);
    if (!sub) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(sub, `the bundle's embedded broker did not answer within 30 s:\n${output.slice(-3000)}`);
  sub.on('message', (topic) => { if (topic.endsWith('/diagnosis')) diagnoses.add(topic); });
  await sub.subscribeAsync('drsnd/#', { qos: 0 });
  while (Date.now() < deadline && diagnoses.size < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  t.diagnostic(`bundle daemon: ${diagnoses.size} sensors diagnosed after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(diagnoses.size, 3, `diagnoses for all three simulated sensors within 30 s (got ${[...diagnoses].join(', ')}):\n${output.slice(-3000)}`);
  assert.match(output, /"msg":"drsnd running"/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output.slice(-3000));
});

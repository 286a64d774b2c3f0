// Machine facts recorded with every result: numbers without the CPU, the load and the versions are
// not comparable across runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { SQLITE_PACKAGE } from '../../src/store/sqlite.js';
import { PYTHON, ROOT } from './paths.js';

export interface MachineInfo {
  date: string;
  host: string;
  cpuModel: string;
  cores: number;
  memTotalMiB: number;
  loadAvgAtStart: [number, number, number];
  /** Heaviest other processes at start (a polluted run names its polluter). */
  topProcesses: string[];
  os: string;
  versions: { node: string; onnxruntime: string; tfjs: string; tfjsWasm: string; torch: string; numpy: string; betterSqlite3: string; mqtt: string; mosquitto: string };
  gitCommit: string;
}

const require = createRequire(import.meta.url);

function pkgVersion(name: string): string {
  try {
    const main = require.resolve(name, { paths: [ROOT] });
    let dir = path.dirname(main);
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch { /* keep walking up */ }
      dir = path.dirname(dir);
    }
  } catch { /* not installed */ }
  return 'not installed';
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `unavailable (${(err.stderr || err.message).split('\n').filter(Boolean).pop() ?? 'error'})`;
  }
}

export function machineInfo(): MachineInfo {
  const la = os.loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number];
  const py = run(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__, numpy.__version__)']);
  const [torch, numpy] = py.startsWith('unavailable') ? [py, py] : py.split(' ');
  // `mosquitto -h` prints its version but exits non-zero.
  const mosqHelp = spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8', timeout: 5_000 });
  const mosq = (mosqHelp.stdout || mosqHelp.stderr || 'not installed').split('\n')[0].replace(/^mosquitto version /, '');
  const top = run('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers']).split('\n').slice(0, 4).map((l) => l.trim());
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAvgAtStart: la,
    topProcesses: top,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    versions: {
      node: process.version,
      onnxruntime: pkgVersion('onnxruntime-node'),
      tfjs: pkgVersion('@tensorflow/tfjs'),
      tfjsWasm: pkgVersion('@tensorflow/tfjs-backend-wasm'),
      torch,
      numpy,
      betterSqlite3: pkgVersion(SQLITE_PACKAGE), // the line this Node loads (src/store/sqlite.ts)
      mqtt: pkgVersion('mqtt'),
      mosquitto: mosq,
    },
    gitCommit: run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
  };
}

// Spawns the real `drsnd` process (compiled dist, or src through tsx during development) and
// collects its JSON log lines, so end-to-end tests see exactly what a user's systemd journal would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from './data.js';

const underTsx = fileURLToPath(import.meta.url).endsWith('.ts');

export function drsndArgs(args: string[]): string[] {
  return underTsx
    ? ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts'), ...args]
    : [path.join(projectRoot, 'dist', 'src', 'main.js'), ...args];
}

export interface Daemon {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the first log line matching `pred`. */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export function spawnDaemon(args: string[], env: NodeJS.ProcessEnv = {}, cwd = projectRoot): Daemon {
  const child = spawn(process.execPath, drsndArgs(args), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line, unparsed: true });
      }
      for (const w of waiters) w();
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { for (const w of waiters) w(); resolve(code); }));
  return {
    child, logs,
    stderr: () => err,
    waitForLog(pred, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find(pred);
          if (hit) { done(); resolve(hit); return; }
          if (child.exitCode !== null) { done(); reject(new Error(`drsnd exited (${child.exitCode}) before: ${what}\nstderr: ${err}\nlast logs: ${JSON.stringify(logs.slice(-5))}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for: ${what}\nstderr: ${err}\nlast logs: ${JSON.stringify(logs.slice(-5))}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a one-shot CLI command (history, alerts, ...) and returns its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = projectRoot): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, drsndArgs(args), { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

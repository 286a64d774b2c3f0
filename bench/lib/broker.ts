// A real mosquitto on a free loopback port for the end-to-end and MQTT benchmarks (the start logic
// of tests/helpers/broker.ts, copied so the bench never imports test code).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface BenchBroker {
  url: string;
  pid: number;
  /** CPU seconds mosquitto has used so far (user + system, from /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export async function startBenchBroker(): Promise<BenchBroker> {
  const bin = MOSQUITTO_PATHS.find((p) => existsSync(p));
  if (!bin) throw new Error('mosquitto is not installed (apt-get install mosquitto): the end-to-end bench needs a real broker');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-bench-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  // max_queued_messages 0 = unlimited: a slow benchmark subscriber must not make the broker drop diagnoses.
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'));
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    await waitForPort(port);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mosquitto failed to start: ${stderr}`, { cause: e });
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    cpuSeconds: () => procCpuSeconds(child.pid!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

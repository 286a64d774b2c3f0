// A real mosquitto on a free loopback port for the end-to-end and MQTT benchmarks. Unlike the test
// broker it lifts mosquitto's queue limits, so a slow benchmark subscriber never makes it drop messages.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, MOSQUITTO_PATHS, spawnMosquitto } from '../../tests/helpers/broker.js';

export interface BenchBroker {
  url: string;
  pid: number;
  /** CPU seconds mosquitto has used so far (user + system, from /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
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
  let child: ChildProcess;
  try {
    // max_queued_messages 0 = unlimited: a slow benchmark subscriber must not make the broker drop diagnoses.
    child = await spawnMosquitto(bin, port, path.join(dir, 'mosquitto.conf'), ['max_queued_messages 0', 'max_inflight_messages 0']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
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

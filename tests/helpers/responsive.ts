// Where the CPU goes while workers are saturated: the main thread's own CPU time against every other
// thread's, read from /proc/self/task (Linux).
//
// Why CPU time and not loop lag: these tests ask "does inference run off the main thread?", and a
// deschedule on a shared 2-core CI machine (another test process beside this one) delays timers by
// 80–300 ms without saying anything about where inference runs: a bound on loop lag failed there. CPU
// time is not affected by waiting for a core. Inference on the main thread puts the main thread's CPU at
// or above the workers'; off it, the main thread only copies and posts the batches (a few per cent).
// How fast the loop stays is a speed target, measured in the benchmarks (BENCHMARKS.md), not here.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';

/** Per-thread CPU accounting is read from procfs, so only on Linux. */
export const threadCpuUnavailable = (): string | undefined =>
  process.platform === 'linux' ? undefined : `per-thread CPU time needs /proc (platform ${process.platform})`;

/** CPU time (user + system, in clock ticks) of this process's main thread and of all its other threads. */
export function threadCpuTicks(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread exited between the listing and the read
    }
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    if (Number(tid) === process.pid) main += ticks;
    else others += ticks;
  }
  return { main, others };
}

/** Starts counting; stop() returns the CPU ticks each side used since. */
export function measureThreadCpu(): { stop(): { main: number; others: number } } {
  const start = threadCpuTicks();
  return {
    stop() {
      const end = threadCpuTicks();
      return { main: end.main - start.main, others: end.others - start.others };
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
}

/**
 * Publishes QoS 1 pings on `topic` every `everyMs` until `enough()` says so (at least `minPings`), and
 * returns the round-trip times of the pings that came back.
 */
export async function pingUntil(client: MqttClient, topic: string, minPings: number, enough: () => boolean, everyMs = 50): Promise<{ sent: number; rtts: number[] }> {
  const pending = new Map<string, number>();
  const rtts: number[] = [];
  const onMessage = (t: string, payload: Buffer) => {
    const sentAt = t === topic ? pending.get(payload.toString()) : undefined;
    if (sentAt !== undefined) rtts.push(performance.now() - sentAt);
  };
  client.on('message', onMessage);
  await client.subscribeAsync(topic, { qos: 1 });
  let sent = 0;
  while (sent < minPings || !enough()) {
    const id = `ping-${sent++}`;
    pending.set(id, performance.now());
    await client.publishAsync(topic, id, { qos: 1 });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await new Promise((r) => setTimeout(r, 200));
  client.off('message', onMessage);
  return { sent, rtts };
}

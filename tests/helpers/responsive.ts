// Measuring main-thread responsiveness while workers are saturated.
//
// Why stalls are counted rather than the single worst delay: inference (or any per-batch work) on the
// main thread blocks the loop once per batch, so it shows as one long stall per batch. A shared CI
// machine can also deschedule this process, or a major GC of the batches' buffers can pause it, for a
// few hundred milliseconds (seen: 236 ms while another test file ran beside it; two of ~215-243 ms in
// ten 4,096-window batches), which says nothing about where inference runs. So the tests allow stalls
// in up to a third of the batches (at least one) and run enough batches that a per-batch stall could
// never hide within that allowance.
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';

/** Records how late each tick of a short interval timer fires (ms beyond its period). */
export function sampleLoopLag(periodMs = 5): { stop(): number[] } {
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - periodMs));
    last = now;
  }, periodMs);
  return {
    stop() {
      clearInterval(timer);
      return lags;
    },
  };
}

/** Stalls tolerated over `batches` batches: a per-batch stall would give one per batch. */
export function allowedStalls(batches: number): number {
  return Math.max(1, Math.floor(batches / 3));
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

// The standard process metrics (names as Prometheus client libraries use them, so existing Grafana
// dashboards for Node.js services work): CPU, memory, heap, open file descriptors, start time, and
// the event loop's delay, which is what a stalled daemon shows first.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from './registry.js';

export function registerProcessMetrics(r: Registry): () => void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  const one = (v: number): Array<[string[], number]> => [[[], v]];
  r.collected('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', 'counter', [], () => one(process.cpuUsage().user / 1e6));
  r.collected('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', 'counter', [], () => one(process.cpuUsage().system / 1e6));
  r.collected('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', [], () => one(process.memoryUsage.rss()));
  r.collected('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', [], () => one(startSeconds));
  r.collected('process_open_fds', 'Number of open file descriptors.', 'gauge', [], () => {
    try {
      return one(readdirSync('/proc/self/fd').length);
    } catch {
      return [];
    }
  });
  r.collected('nodejs_heap_size_used_bytes', 'V8 heap used in bytes.', 'gauge', [], () => one(process.memoryUsage().heapUsed));
  r.collected('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript (Buffers, typed arrays) in bytes.', 'gauge', [], () => one(process.memoryUsage().external));
  // Since the previous scrape: a window of one scrape interval, as a gauge per quantile.
  r.collected('nodejs_eventloop_delay_seconds', 'Event loop delay since the previous scrape (p50, p99, max), in seconds.', 'gauge', ['quantile'], () => {
    const out: Array<[string[], number]> = [[['0.5'], loop.percentile(50) / 1e9], [['0.99'], loop.percentile(99) / 1e9], [['1'], loop.max / 1e9]];
    loop.reset();
    return out.map(([l, v]) => [l, Number.isFinite(v) ? v : 0]);
  });
  return () => loop.disable();
}

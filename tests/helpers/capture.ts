// Small helpers for source tests: a logger whose lines the test can read, a frame collector, and a
// bounded wait that fails with a message saying what never happened.
import type { Observable, Subscription } from 'rxjs';
import { createLogger, type Logger } from '../../src/log.js';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level?: number }>;
  /** Lines whose message contains `text`. */
  count(text: string): number;
}

export function captureLogger(level = 'debug'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = createLogger(level, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines, count: (text) => lines.filter((l) => String(l.msg ?? '').includes(text)).length };
}

export interface Collected<T> {
  items: T[];
  error: unknown;
  sub: Subscription;
}

export function collect<T>(obs: Observable<T>): Collected<T> {
  const c: Collected<T> = { items: [], error: undefined, sub: undefined as unknown as Subscription };
  c.sub = obs.subscribe({ next: (v) => c.items.push(v), error: (e) => { c.error = e; } });
  return c;
}

export async function waitFor(pred: () => boolean, what: string, timeoutMs = 10_000, onTick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    onTick?.();
    await new Promise((r) => setTimeout(r, 25));
  }
}

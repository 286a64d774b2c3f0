// A CPU budget for the HTTP thread: requests run while the thread has used less than `share` of one
// core, and wait in a queue (FIFO) when it has used more. Why: the thread already runs at SCHED_IDLE,
// so it only takes CPU the diagnosing threads leave, but at 300 channels on 2 cores that spare CPU is
// what keeps the p99 window → MQTT latency low; 200 clients asking back to back filled it, and the
// latency rose by 11-110 % from run to run. Capped at ~40 requests a second the rise was within noise
// (BENCHMARKS.md item 7). Pages get slower under a flood; diagnoses do not.
//
// A token bucket reconciled with what the thread actually spent: tokens accrue at `share` ms per ms,
// each admitted request takes an estimate of its cost at once (so a burst cannot overdraw before
// anything is measured), and every tick replaces the estimates with the thread's real busy time
// (event-loop utilisation: the time its loop was not idle, which covers the queries, serialising and
// the sockets alike; Node 20 has no per-thread CPU clock, and busy time is never less than CPU time).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { DrsndError, ErrorCodes } from '../errors.js';
import { sendError } from './respond.js';

export interface CpuBudgetOptions {
  /** Share of one core the thread may use (0 < share ≤ 1). */
  share: number;
  /** Requests waiting for budget; past this a request is refused (submit returns false). */
  maxQueued: number;
  /** This thread's busy milliseconds so far (monotonic). */
  busyMs: () => number;
  /** Monotonic milliseconds. */
  now: () => number;
  /** How often the real cost is reconciled and the queue drained (default 50 ms). */
  tickMs?: number;
  /** Most tokens that can be saved up, in ms of a core's time: the burst an idle thread may answer at once (default: one second's share). */
  burstMs?: number;
}

/** First guess at one request's cost before any was measured (a 100-row history page took ~6 ms here). */
const INITIAL_COST_MS = 5;

export class CpuBudget {
  private readonly queue: Array<() => void> = [];
  private tokens: number;
  private estimate = INITIAL_COST_MS;
  /** Tokens taken by estimate since the last reconciliation, and the requests they were for. */
  private charged = 0;
  private admitted = 0;
  private lastNow: number;
  private lastBusy: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly burstMs: number;

  constructor(private readonly opts: CpuBudgetOptions) {
    if (!(opts.share > 0 && opts.share <= 1)) throw new RangeError(`CPU share ${opts.share} must be in (0, 1]`);
    this.tickMs = opts.tickMs ?? 50;
    this.burstMs = opts.burstMs ?? opts.share * 1000;
    this.tokens = this.burstMs;
    this.lastNow = opts.now();
    this.lastBusy = opts.busyMs();
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs `run` now if the budget allows and nobody waits, else queues it; false if the queue is full. */
  submit(run: () => void): boolean {
    if (this.queue.length === 0 && this.tokens > 0) {
      this.take();
      run();
      return true;
    }
    if (this.queue.length >= this.opts.maxQueued) return false;
    this.queue.push(run);
    return true;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Stops reconciling and drops what waits: the server is closing, and closing destroys their sockets. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  /** Reconciles the estimates with the busy time spent, then admits what the budget allows. Public for tests. */
  tick(): void {
    const now = this.opts.now();
    const busy = this.opts.busyMs();
    const spent = busy - this.lastBusy;
    // The estimates were taken already: replace them with what was really spent.
    this.tokens += this.charged - spent + this.opts.share * (now - this.lastNow);
    if (this.tokens > this.burstMs) this.tokens = this.burstMs;
    if (this.admitted > 0) {
      // Busy time includes the thread's other work (the live stream, GC): the estimate errs high, never low.
      this.estimate = Math.max(0.1, 0.7 * this.estimate + 0.3 * (spent / this.admitted));
    }
    this.lastNow = now;
    this.lastBusy = busy;
    this.charged = 0;
    this.admitted = 0;
    while (this.queue.length > 0 && this.tokens > 0) {
      this.take();
      this.queue.shift()!();
    }
  }

  private take(): void {
    this.tokens -= this.estimate;
    this.charged += this.estimate;
    this.admitted++;
  }
}

/**
 * The HTTP handler behind a CPU budget. The health endpoints skip the queue: a probe must not time out
 * behind a flood of page requests (they cost microseconds). A request whose client left while it
 * waited is not run.
 */
export function withBudget(handler: (req: IncomingMessage, res: ServerResponse) => void, budget: CpuBudget): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/v1/health' || path === '/api/v1/health/live') {
      handler(req, res);
      return;
    }
    const accepted = budget.submit(() => {
      if (!req.socket.destroyed) handler(req, res);
    });
    if (!accepted) sendError(res, new DrsndError(ErrorCodes.BUSY, `${budget.queued} requests already wait for the HTTP thread's CPU budget (http.maxQueuedRequests)`));
  };
}

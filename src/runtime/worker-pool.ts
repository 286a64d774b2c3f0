// The one worker-thread pool under every pool drsnd runs (classifier-pool.ts, dsp-pool.ts). It spawns
// `size` members and waits for each one's engine handshake; replaces a member that dies, at once if it
// had come up, with a doubling back-off if it never did (an engine that cannot load must not spin a
// core); terminates a member that owes an answer and has given none for `timeoutMs` (a wedged native
// call ends only by terminate()); and stops members politely, then by force. What crosses to a member
// and what a lost member costs belong to the pool above, through onMessage / onExit / onReplace.
// Timers come from the injected Clock, so tests drive timeouts and back-off in virtual time.
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { logSelection } from '../model/select.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { RespawnBackoff, stopWorker } from '../util/worker-supervision.js';
import { scriptEntry, type WorkerScript } from '../worker-entry.js';
import { fromWire, type Handshake } from './worker-protocol.js';

/**
 * The old generation a worker's heap may reach before V8 sets out to collect it (MiB). With V8's default
 * for a new isolate (an old-generation limit of ~35 MiB at the DSP workers' ~12 MiB live heap) the DSP
 * workers ran a full mark-compact every ~0.3 s at 300 channels with the physics on (`--trace-gc`,
 * `npm run bench -- --only e2e --sensors 300`: ~55 per worker in 20 s; with this, 1), which cost the
 * daemon ~15 points of a core (docs/physics.md, "Cost"). A threshold, not a reservation: the workers'
 * heaps stayed at ~14-20 MiB.
 */
export const WORKER_INITIAL_OLD_SPACE_MB = 128;

let heapsConfigured = false;

/**
 * The V8 flag configureWorkerHeaps() sets, or null when the operator gave `--initial-old-space-size`
 * themselves (on node's command line or in NODE_OPTIONS): theirs applies to every isolate and wins
 * (`--initial-old-space-size=0` keeps V8's own sizing, e.g. to measure what this flag saves).
 */
export function workerHeapFlag(execArgv: readonly string[], nodeOptions = ''): string | null {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--initial[-_]old[-_]space[-_]size(=|$)/.test(a));
  return given ? null : `--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`;
}

/**
 * Sets the initial old-space size for the isolates created from now on (V8 reads it when it sets up a
 * heap; the main thread's is set up already). Worker resourceLimits have no such field, and a worker's
 * execArgv takes no V8 options, hence the process-wide flag, once, before the first worker.
 */
function configureWorkerHeaps(): void {
  if (heapsConfigured) return;
  heapsConfigured = true;
  const flag = workerHeapFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag) v8.setFlagsFromString(flag);
}

export interface Member {
  /** Its place in the pool; a replacement takes the same index. */
  readonly index: number;
  readonly threadId: number;
  /** The handshake arrived (always true without one). */
  readonly ready: boolean;
  readonly exited: boolean;
  post(msg: unknown, transfer?: readonly ArrayBuffer[]): void;
  /** Work was posted: an answer is owed within timeoutMs (counted from when the member is ready). */
  owe(): void;
  /** An answer came; `more` = others are still owed, and their deadline restarts now. */
  answered(more: boolean): void;
}

export interface MemberExit {
  code: number;
  /** It was terminated for owing an answer past timeoutMs. */
  timedOut: boolean;
}

export interface WorkerPoolOptions<From extends { type: string }> {
  /** Thread name ('drsnd-inference', …). */
  name: string;
  /** How logs call a member ('inference worker', …). */
  role: string;
  script: WorkerScript;
  size: number;
  workerData: unknown;
  /** Members send a Handshake before taking work; false: a member is ready once spawned. */
  handshake: boolean;
  /** Absent: no deadline (members that run no engine). */
  timeoutMs?: number;
  stopMessage: unknown;
  log: Logger;
  clock?: Clock;
  onMessage(member: Member, msg: Exclude<From, Handshake>): void;
  onReady?(member: Member): void;
  /** A member's thread ended while the pool runs; returned fields join the log line. */
  onExit?(member: Member, exit: MemberExit): Record<string, unknown> | void;
  /** `fresh` takes `old`'s place (move queued work over). */
  onReplace?(old: Member, fresh: Member): void;
}

export interface WorkerPool {
  /** Every first member is ready; the engine the first one loaded ('' without a handshake). Rejects
   *  with the first start failure once every member is stopped. */
  readonly started: Promise<{ engine: string; backend: string }>;
  /** The current member at each index. */
  readonly members: readonly Member[];
  /** Threads that have not exited. */
  readonly live: number;
  stop(): Promise<void>;
}

class PoolMember implements Member {
  ready = false;
  exited = false;
  timedOut = false;
  initError?: DrsndError;
  owing = false;
  progressAt = 0;
  deadline?: TimerHandle;

  constructor(readonly index: number, readonly worker: Worker, private readonly pool: { arm(m: PoolMember): void; disarm(m: PoolMember): void; now(): number }) {}

  get threadId(): number {
    return this.worker.threadId;
  }

  post(msg: unknown, transfer: readonly ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  owe(): void {
    if (this.owing) return;
    this.owing = true;
    this.progressAt = this.pool.now();
    this.pool.arm(this);
  }

  answered(more: boolean): void {
    this.progressAt = this.pool.now();
    this.owing = more;
    if (!more) this.pool.disarm(this);
  }
}

export function createWorkerPool<From extends { type: string }>(opts: WorkerPoolOptions<From>): WorkerPool {
  const { log, role, timeoutMs } = opts;
  const clock = opts.clock ?? systemClock;
  const entry = scriptEntry(opts.script.url);
  const backoff = new RespawnBackoff(clock);
  const members: PoolMember[] = [];
  let live = 0;
  let starting = true;
  let stopping: Promise<void> | undefined;
  let selected = { engine: '', backend: '' };
  let settleStart!: { resolve(): void; reject(e: Error): void };
  const startedBare = new Promise<void>((resolve, reject) => { settleStart = { resolve, reject }; });

  const deadlines = {
    now: () => clock.now(),
    arm(m: PoolMember): void {
      if (timeoutMs === undefined || !m.ready || !m.owing || m.exited || m.deadline !== undefined) return;
      m.deadline = clock.setTimeout(() => check(m), timeoutMs - (clock.now() - m.progressAt));
    },
    disarm(m: PoolMember): void {
      clock.clearTimeout(m.deadline);
      m.deadline = undefined;
    },
  };

  /** The deadline passed: terminate if no answer came since; else wait out the rest. */
  const check = (m: PoolMember): void => {
    m.deadline = undefined;
    if (!m.owing || m.exited || timeoutMs === undefined) return;
    const silent = clock.now() - m.progressAt;
    if (silent < timeoutMs) {
      deadlines.arm(m);
      return;
    }
    log.error({ threadId: m.threadId, timeoutMs }, `${role} did not answer; terminating it`);
    m.timedOut = true;
    void m.worker.terminate();
  };

  const failStart = (e: Error): void => {
    if (!starting) return;
    starting = false;
    void stop().then(() => settleStart.reject(e));
  };

  const spawn = (index: number): PoolMember => {
    configureWorkerHeaps();
    const worker = new Worker(entry.entry, { workerData: opts.workerData, eval: entry.eval, argv: opts.script.argv, name: opts.name });
    const threadId = worker.threadId; // -1 once the thread has exited
    const m = new PoolMember(index, worker, deadlines);
    live++;
    members[index] = m;
    const becameReady = (): void => {
      m.ready = true;
      m.progressAt = clock.now();
      backoff.reset();
      deadlines.arm(m);
      opts.onReady?.(m);
      if (starting && members.every((x) => x.ready)) {
        starting = false;
        settleStart.resolve();
      }
    };
    worker.on('message', (msg: From | Handshake) => {
      if (!opts.handshake) {
        opts.onMessage(m, msg as Exclude<From, Handshake>);
      } else if (msg.type === 'ready') {
        const hello = msg as Extract<Handshake, { type: 'ready' }>;
        if (!selected.engine) {
          selected = { engine: hello.engine, backend: hello.backend };
          logSelection(log, hello.engine, hello.backend, hello.fallbacks);
        }
        becameReady();
      } else if (msg.type === 'init-error') {
        m.initError = fromWire((msg as Extract<Handshake, { type: 'init-error' }>).error, ErrorCodes.ENGINE_UNAVAILABLE);
        void worker.terminate();
      } else {
        opts.onMessage(m, msg as Exclude<From, Handshake>);
      }
    });
    worker.on('error', (err) => log.error({ err, threadId }, `${role} failed`));
    worker.on('exit', (code) => {
      live--;
      m.exited = true;
      deadlines.disarm(m);
      if (stopping) return;
      const extra = opts.onExit?.(m, { code, timedOut: m.timedOut }) ?? {};
      if (!m.ready && starting) {
        failStart(m.initError ?? new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `${role} exited (code ${code}) while loading the engine`));
        return;
      }
      const replace = (): void => {
        const fresh = spawn(index);
        opts.onReplace?.(m, fresh);
      };
      if (m.ready) {
        log.error({ code, threadId, ...extra }, `${role} died; starting a replacement`);
        replace();
      } else {
        // A replacement that never came up: retry later, not in a tight loop.
        log.error({ err: m.initError, code, retryMs: backoff.delayMs, ...extra }, `replacement ${role} failed to start; retrying`);
        backoff.retry(replace);
      }
    });
    if (!opts.handshake) queueMicrotask(becameReady);
    return m;
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      backoff.cancel();
      for (const m of members) deadlines.disarm(m);
      // A member that already exited fires no second 'exit' to wait for. The grace time is real time
      // even under a virtual clock: a stop must end however a test left the clock.
      await Promise.all(members.filter((m) => !m.exited).map((m) => stopWorker(m.worker, opts.stopMessage)));
    })();
    return stopping;
  };

  for (let i = 0; i < opts.size; i++) spawn(i);
  const started = startedBare.then(() => selected);
  started.catch(() => undefined); // observed by the pool above
  return {
    started,
    get members() { return members; },
    get live() { return live; },
    stop,
  };
}

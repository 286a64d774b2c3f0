// The timer side of decoders/backlog.ts: after each port open or broker (re)connect, frames timed by
// arrival are held for BACKLOG_SETTLE_MS, then emitted re-timed, and the arrival clock continues after them.
import type { Subscriber } from 'rxjs';
import type { SensorSettings } from '../config/schema.js';
import type { Frame } from '../types.js';
import { BACKLOG_DROPPED, BACKLOG_MAX_SECONDS, BACKLOG_NOTE, BACKLOG_OVERLAP, BACKLOG_SETTLE_MS, BacklogGate } from './decoders/backlog.js';
import type { SourceContext } from './source.js';

/** The arrival clock's own tolerance (decoders/arrival-clock.ts): a held surplus below it is jitter. */
const ARRIVAL_TOLERANCE_MS = 250;

export interface BacklogClock {
  holdBackToBack(): void;
  continueFrom(t: number | undefined): void;
}

export interface BacklogEmitterOptions {
  sensor: SensorSettings;
  source: 'serial' | 'mqtt';
  /** Where (port or topic), for the counted notes. */
  detail: Record<string, unknown>;
  ctx: SourceContext;
  out: Subscriber<Frame>;
  clock: BacklogClock;
}

export interface BacklogEmitter {
  /** Passes `f` on, or holds it while settling; `timedByArrival`: its t0 came from the arrival clock, not the device. */
  emit(f: Frame, arrivalMs: number, timedByArrival: boolean): void;
  /** A session starts: hold timeless frames for the settling time. */
  opened(): void;
  /** Ends the settling now (the timer, or the session closed). */
  release(): void;
}

export function backlogEmitter(o: BacklogEmitterOptions): BacklogEmitter {
  const { sensor, ctx, out, clock } = o;
  const now = ctx.now ?? Date.now;
  const gate = new BacklogGate(sensor.rateHz, Math.ceil(sensor.rateHz * BACKLOG_MAX_SECONDS));
  let timer: NodeJS.Timeout | undefined;
  /** End of the newest sample passed on: a later session's backlog cannot reach back before it. */
  let lastEnd: number | undefined;
  const pass = (f: Frame) => {
    lastEnd = f.t0 + (f.channels[0].length * 1000) / sensor.rateHz;
    out.next(f);
  };
  const release = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const r = gate.release(lastEnd);
    clock.continueFrom(r?.next);
    if (!r) return;
    if (r.droppedSamples > 0) ctx.badInput.reject(sensor.id, o.source, BACKLOG_DROPPED, { ...o.detail, samples: r.droppedSamples, maxSeconds: BACKLOG_MAX_SECONDS });
    if (r.overlapSamples > 0) ctx.badInput.reject(sensor.id, o.source, BACKLOG_OVERLAP, { ...o.detail, samples: r.overlapSamples });
    // Live samples held during the settling are no backlog; more than real time could bring are.
    if (r.excessMs > ARRIVAL_TOLERANCE_MS) ctx.badInput.note(sensor.id, o.source, BACKLOG_NOTE, { ...o.detail, samples: r.samples, backlogMs: Math.round(r.excessMs) });
    for (const f of r.frames) pass(f);
  };
  return {
    emit(f, arrivalMs, timedByArrival) {
      if (timedByArrival && gate.hold(f, arrivalMs)) return;
      // A frame with its own time ends the settling first, so it never overtakes held frames.
      if (gate.active) release();
      pass(f);
    },
    opened() {
      release();
      clock.holdBackToBack();
      gate.open(now());
      timer = setTimeout(release, BACKLOG_SETTLE_MS);
    },
    release,
  };
}

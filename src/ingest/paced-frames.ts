// Plays frames from a generator at the pace a real sensor would deliver them (replay, simulator).
// Each frame is due when its last sample would have been sampled: start + samples/rate / speed.
// Due times are computed from the start, not chained from the previous timer, so timer lateness
// never accumulates into drift; a late timer emits every frame that has fallen due.
import { Observable } from 'rxjs';
import type { Frame } from '../types.js';

export interface FrameProducer {
  /** The next frame, or null when the recording has ended. */
  next(): Frame | null;
  close?(): void;
}

export interface PacedOptions {
  rateHz: number;
  /** Playback speed relative to real time. */
  speed: number;
  /** Monotonic milliseconds for scheduling; tests may inject one. */
  clock?: () => number;
  /**
   * Most frames emitted in one timer callback when catching up; then the event loop gets a turn,
   * so a stalled process catching up cannot starve MQTT keep-alives or signal handlers.
   */
  maxBurst?: number;
}

/** A cold Observable: each subscription opens its own producer; unsubscribe clears the timer and closes it. */
export function pacedFrames(open: () => FrameProducer, opts: PacedOptions): Observable<Frame> {
  const clock = opts.clock ?? (() => performance.now());
  const maxBurst = opts.maxBurst ?? 64;
  const msPerSample = 1000 / opts.rateHz / opts.speed;
  return new Observable<Frame>((subscriber) => {
    let producer: FrameProducer | undefined;
    let timer: NodeJS.Timeout | undefined;
    let pending: Frame | null = null;
    let emittedSamples = 0;
    const start = clock();

    const tick = (): void => {
      timer = undefined;
      try {
        producer ??= open();
        for (let burst = 0; !subscriber.closed; burst++) {
          if (!pending) {
            pending = producer.next();
            if (!pending) {
              subscriber.complete();
              return;
            }
          }
          const len = pending.channels[0]?.length ?? 0;
          const wait = start + (emittedSamples + len) * msPerSample - clock();
          if (wait > 0 || burst >= maxBurst) {
            timer = setTimeout(tick, Math.max(0, wait));
            return;
          }
          const frame = pending;
          pending = null;
          emittedSamples += len;
          subscriber.next(frame);
        }
      } catch (e) {
        subscriber.error(e);
      }
    };
    tick();
    return () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      producer?.close?.();
    };
  });
}

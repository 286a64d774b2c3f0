// Runs batches of normalized windows through the Classifier (the engine worker pool) without ever
// holding unbounded memory: at most `concurrency` batches in flight, at most `queueLimit` windows
// waiting. When the model cannot keep up, the OLDEST waiting windows are dropped (fresh data is worth
// more to a monitor than stale data) and counted through onDrop.
import { type OperatorFunction, Observable } from 'rxjs';
import type { Logger } from '../log.js';
import { drsnByComponent, fuse } from '../physics/fuse.js';
import type { Classifier, Diagnosis, ModelClass, ModelMetadata, Window } from '../types.js';

export interface ClassifyOptions {
  classifier: Classifier;
  model: ModelMetadata;
  /** Windows allowed to wait for a free classifier slot (settings inference.queueLimit). */
  queueLimit: number;
  onDrop?: (count: number) => void;
  /** A batch failed; its windows produce no diagnosis. The stream goes on. */
  onError?: (err: unknown, windows: number) => void;
  log?: Logger;
  /** Clock for latencyMs; must be the clock Window.completedAt was taken with. */
  now?: () => number;
}

/** What a diagnosis needs of its window (not the samples: the fused path never has them here). */
export type WindowRef = Pick<Window, 'sensorId' | 'asset' | 'channel' | 'start' | 'end' | 'completedAt' | 'physics'>;

/**
 * Turns one probability vector into a Diagnosis: the DRSN's argmax class with its probability as
 * confidence, and the fused verdict of that and the window's physics (src/physics/fuse.ts).
 */
export function toDiagnosis(w: WindowRef, probs: Float32Array, model: ModelMetadata, classes: Map<number, ModelClass>, now: number): Diagnosis {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  const cls = classes.get(best);
  if (!cls) throw new Error(`model ${model.id} has no class with index ${best}`);
  return {
    sensorId: w.sensorId,
    asset: w.asset,
    channel: w.channel,
    windowStart: w.start,
    windowEnd: w.end,
    classIndex: best,
    className: cls.name,
    kind: cls.kind,
    probabilities: Array.from(probs),
    confidence: probs[best],
    modelId: model.id,
    modelVersion: model.version,
    latencyMs: now - w.completedAt,
    ...(w.physics ? { physics: w.physics } : {}),
    fusion: fuse({ drsn: drsnByComponent(probs, model.classes), drsnClass: cls.name, physics: w.physics, ood: w.physics?.ood }),
    completedAt: w.completedAt,
  };
}

/**
 * Batches of windows → one Diagnosis[] per classified batch. Results leave in the order the batches
 * were started, so diagnoses of each sensor and channel stay in time order even with several workers.
 * Completes once the source completed and everything waiting has been classified.
 */
export function classifyBatches(opts: ClassifyOptions): OperatorFunction<Window[], Diagnosis[]> {
  const { classifier, model, queueLimit, log } = opts;
  const now = opts.now ?? (() => performance.now());
  const classes = new Map(model.classes.map((c) => [c.index, c]));
  const concurrency = Math.max(1, classifier.concurrency);
  return (source) =>
    new Observable<Diagnosis[]>((subscriber) => {
      const waiting: Window[][] = [];
      let waitingCount = 0;
      let inFlight = 0;
      let sourceDone = false;
      let closed = false;
      let nextTicket = 0;
      let nextToEmit = 0;
      /** Finished batches waiting for an earlier one; null marks a failed batch. */
      const finished = new Map<number, Diagnosis[] | null>();

      const maybeComplete = (): void => {
        if (sourceDone && inFlight === 0 && waitingCount === 0 && !closed) {
          closed = true;
          subscriber.complete();
        }
      };

      const emitReady = (): void => {
        while (finished.has(nextToEmit)) {
          const result = finished.get(nextToEmit)!;
          finished.delete(nextToEmit++);
          if (result && result.length > 0 && !closed) subscriber.next(result);
        }
      };

      const run = (batch: Window[]): void => {
        const ticket = nextTicket++;
        inFlight++;
        const settle = (result: Diagnosis[] | null): void => {
          inFlight--;
          if (closed) return;
          finished.set(ticket, result);
          emitReady();
          dispatch();
          maybeComplete();
        };
        let pending: Promise<Float32Array[]>;
        try {
          pending = classifier.classify(batch.map((w) => w.data));
        } catch (e) {
          pending = Promise.reject(e);
        }
        pending
          .then((probs) => {
            if (probs.length !== batch.length) throw new Error(`classifier returned ${probs.length} results for ${batch.length} windows`);
            const t = now();
            return batch.map((w, i) => toDiagnosis(w, probs[i], model, classes, t));
          })
          .then(settle, (err: unknown) => {
            if (!closed) {
              log?.error({ err, windows: batch.length }, 'classification failed; windows skipped');
              opts.onError?.(err, batch.length);
            }
            settle(null);
          });
      };

      const dispatch = (): void => {
        while (inFlight < concurrency && waiting.length > 0 && !closed) {
          const batch = waiting.shift()!;
          waitingCount -= batch.length;
          run(batch);
        }
      };

      const enqueue = (batch: Window[]): void => {
        if (batch.length === 0) return;
        waiting.push(batch.slice());
        waitingCount += batch.length;
        let dropped = 0;
        while (waitingCount > queueLimit) {
          const oldest = waiting[0];
          const n = Math.min(oldest.length, waitingCount - queueLimit);
          oldest.splice(0, n);
          waitingCount -= n;
          dropped += n;
          if (oldest.length === 0) waiting.shift();
        }
        if (dropped > 0) opts.onDrop?.(dropped);
        dispatch();
      };

      const sub = source.subscribe({
        next: enqueue,
        error(e) {
          closed = true;
          subscriber.error(e);
        },
        complete() {
          sourceDone = true;
          maybeComplete();
        },
      });
      return () => {
        closed = true;
        sub.unsubscribe();
      };
    });
}

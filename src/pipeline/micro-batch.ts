// Inference is much cheaper per window in batches, but a lone window must not wait for company:
// a batch closes at `maxCount` items or `maxWaitMs` after its first item, whichever comes first.
import { type OperatorFunction, type SchedulerLike, type Subscription, Observable, asyncScheduler } from 'rxjs';

export function microBatch<T>(maxCount: number, maxWaitMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, T[]> {
  if (!Number.isInteger(maxCount) || maxCount <= 0) throw new RangeError(`microBatch: maxCount must be a positive integer (got ${maxCount})`);
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | null = null;

      const flush = (): void => {
        timer?.unsubscribe();
        timer = null;
        if (batch.length === 0) return;
        const out = batch;
        batch = [];
        subscriber.next(out);
      };

      const sub = source.subscribe({
        next(item) {
          batch.push(item);
          if (batch.length >= maxCount) flush();
          else if (timer === null) timer = scheduler.schedule(flush, maxWaitMs);
        },
        error(e) {
          timer?.unsubscribe();
          subscriber.error(e);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        sub.unsubscribe();
      };
    });
}

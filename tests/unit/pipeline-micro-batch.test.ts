import test from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { microBatch } from '../../src/pipeline/micro-batch.js';

const scheduler = () => new TestScheduler((a, b) => assert.deepEqual(a, b));

test('marbles: a batch closes at maxCount items', () => {
  scheduler().run(({ hot, expectObservable }) => {
    const src = hot('-a-b-c-d-e-f-|');
    expectObservable(src.pipe(microBatch(3, 100))).toBe('-----x-----y-|', { x: ['a', 'b', 'c'], y: ['d', 'e', 'f'] });
  });
});

test('marbles: a batch closes maxWaitMs after its first item when it does not fill', () => {
  scheduler().run(({ hot, expectObservable }) => {
    // The timer starts with the batch's first item (a at 1 ms → 11 ms), not with the last one.
    const src = hot('-a-b 20ms c 30ms |');
    expectObservable(src.pipe(microBatch(10, 10))).toBe('11ms x 22ms y 20ms |', { x: ['a', 'b'], y: ['c'] });
  });
});

test('marbles: whichever comes first — a full batch resets the timer', () => {
  scheduler().run(({ hot, expectObservable }) => {
    const src = hot('-ab-c 20ms |');
    // a,b fill the batch at 2 ms; c starts a new batch whose timer runs from 4 ms to 9 ms.
    expectObservable(src.pipe(microBatch(2, 5))).toBe('--x 6ms y 15ms |', { x: ['a', 'b'], y: ['c'] });
  });
});

test('marbles: completion flushes the partial batch; errors drop it and pass through', () => {
  scheduler().run(({ hot, expectObservable }) => {
    expectObservable(hot('-a-b|').pipe(microBatch(5, 100))).toBe('----(x|)', { x: ['a', 'b'] });
    expectObservable(hot('-a-#').pipe(microBatch(5, 100))).toBe('---#');
  });
});

test('marbles: unsubscribing cancels the pending timer', () => {
  scheduler().run(({ hot, expectObservable }) => {
    expectObservable(hot('-a--------').pipe(microBatch(5, 5)), '^--!').toBe('-');
  });
});

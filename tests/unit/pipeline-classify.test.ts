import test from 'node:test';
import assert from 'node:assert/strict';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import { classifyBatches } from '../../src/pipeline/classify.js';
import type { Classifier, Diagnosis, ModelMetadata, Window } from '../../src/types.js';

const model: ModelMetadata = {
  id: 'drsn-test', version: '1.2.3', architecture: 'drsn-cw',
  input: { sampleRateHz: 12000, windowLength: 4, channels: 1, unit: 'g', bandLimitHz: 4800 },
  normalization: { method: 'window-zscore', epsilon: 1e-8 },
  classes: [
    { index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null },
    { index: 1, name: 'IR007', kind: 'fault', component: 'inner_race', sizeIn: 0.007 },
    { index: 2, name: 'OR007', kind: 'fault', component: 'outer_race', sizeIn: 0.007 },
  ],
  files: {},
};

/** Window whose data[0] encodes an id; data[1] the class the stand-in classifier will pick. */
const win = (id: number, cls = 0, sensorId = 's1', channel = 'x'): Window =>
  ({ sensorId, asset: 'pump', channel, start: id * 10, end: id * 10 + 9, data: Float32Array.of(id, cls, 0, 0), completedAt: 100 + id });

const probsFor = (data: Float32Array): Float32Array => {
  const p = new Float32Array(3).fill(0.1);
  p[data[1]] = 0.8;
  return p;
};

/** A classifier whose calls are settled by the test, so completion order and backlog are under control. */
class ManualClassifier implements Classifier {
  readonly calls: { windows: Float32Array[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly concurrency: number) {}
  classify(windows: Float32Array[]): Promise<Float32Array[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((res, rej) => {
      const done = () => this.inFlight--;
      this.calls.push({ windows, resolve: () => { done(); res(windows.map(probsFor)); }, reject: (e) => { done(); rej(e); } });
    });
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test('diagnoses carry argmax class, confidence, kind, model and latency', async () => {
  const classifier: Classifier = { concurrency: 1, classify: async (ws) => ws.map(probsFor) };
  const src = new Subject<Window[]>();
  const result = lastValueFrom(src.pipe(classifyBatches({ classifier, model, queueLimit: 10, now: () => 1000 }), toArray()));
  src.next([win(1, 2), win(2, 0)]);
  src.complete();
  const out = await result;
  const [d1, d2] = out.flat();
  assert.deepEqual(d1, {
    sensorId: 's1', asset: 'pump', channel: 'x', windowStart: 10, windowEnd: 19,
    classIndex: 2, className: 'OR007', kind: 'fault', probabilities: Array.from(Float32Array.of(0.1, 0.1, 0.8)),
    confidence: Math.fround(0.8), modelId: 'drsn-test', modelVersion: '1.2.3', latencyMs: 1000 - 101, completedAt: 101,
    // No physics on these windows (made outside the signal path): the DRSN decides alone, and says so.
    fusion: { component: 'outer_race', confidence: Math.fround(0.8), severity: 'low', reason: 'DRSN OR007 (80 %); physics evidence unavailable' },
  } satisfies Diagnosis);
  assert.equal(d2.className, 'Normal');
  assert.equal(d2.kind, 'normal');
});

test('at most `concurrency` batches in flight; results keep their order when a later batch finishes first', async () => {
  const c = new ManualClassifier(2);
  const src = new Subject<Window[]>();
  const seen: Diagnosis[][] = [];
  let completed = false;
  src.pipe(classifyBatches({ classifier: c, model, queueLimit: 100 })).subscribe({ next: (d) => seen.push(d), complete: () => { completed = true; } });
  for (let b = 0; b < 5; b++) src.next([win(2 * b), win(2 * b + 1)]);
  src.complete();
  assert.equal(c.calls.length, 2);
  c.calls[1].resolve(); // second batch done before the first
  await tick();
  assert.equal(seen.length, 0, 'batch 2 must wait for batch 1');
  assert.equal(c.calls.length, 3);
  c.calls[0].resolve();
  await tick();
  assert.deepEqual(seen.map((b) => b.map((d) => d.windowStart / 10)), [[0, 1], [2, 3]]);
  assert.equal(c.calls.length, 4);
  for (let i = 2; i < 5; i++) {
    c.calls[i].resolve();
    await tick();
  }
  assert.deepEqual(seen.flat().map((d) => d.windowStart / 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(c.maxInFlight, 2);
  assert.equal(completed, true);
});

test('a full queue drops the oldest waiting windows and reports them; memory stays bounded', async () => {
  const c = new ManualClassifier(1);
  const src = new Subject<Window[]>();
  const seen: number[] = [];
  let dropped = 0;
  src.pipe(classifyBatches({ classifier: c, model, queueLimit: 5, onDrop: (n) => { dropped += n; } })).subscribe((d) => seen.push(...d.map((x) => x.windowStart / 10)));
  src.next([win(0), win(1)]); // in flight at once
  for (let id = 2; id < 1002; id += 2) src.next([win(id), win(id + 1)]); // 1000 windows arrive while the model is busy
  assert.equal(dropped, 1000 - 5);
  c.calls[0].resolve();
  await tick();
  // Only the newest 5 waiting windows survive, in order: 997 (the tail of batch 996/997) then 998..1001.
  for (let i = 1; i < 10 && c.calls.length > i; i++) { c.calls[i].resolve(); await tick(); }
  assert.deepEqual(seen, [0, 1, 997, 998, 999, 1000, 1001]);
  const classifiedSizes = c.calls.map((k) => k.windows.length);
  assert.ok(classifiedSizes.every((n) => n <= 5));
});

test('classifier failures are counted and skipped; the stream goes on', async () => {
  let calls = 0;
  const errors: number[] = [];
  const classifier: Classifier = {
    concurrency: 1,
    classify: (ws) => {
      calls++;
      if (calls === 1) throw new Error('worker crashed'); // synchronous throw
      if (calls === 2) return Promise.reject(new Error('bad tensor'));
      if (calls === 3) return Promise.resolve([]); // wrong count
      return Promise.resolve(ws.map(probsFor));
    },
  };
  const src = new Subject<Window[]>();
  const result = lastValueFrom(src.pipe(classifyBatches({ classifier, model, queueLimit: 10, onError: (_e, n) => errors.push(n) }), toArray()));
  src.next([win(0)]);
  src.next([win(1), win(2)]);
  src.next([win(3)]);
  src.next([win(4, 1)]);
  src.complete();
  const out = await result;
  assert.deepEqual(errors, [1, 2, 1]);
  assert.deepEqual(out.flat().map((d) => [d.windowStart / 10, d.className]), [[4, 'IR007']]);
});

test('per sensor and channel order holds across interleaved sensors and workers', async () => {
  const classifier: Classifier = {
    concurrency: 3,
    // Later batches answer sooner.
    classify: (ws) => new Promise((r) => setTimeout(() => r(ws.map(probsFor)), 20 - ws[0][0])),
  };
  const src = new Subject<Window[]>();
  const result = lastValueFrom(src.pipe(classifyBatches({ classifier, model, queueLimit: 100 }), toArray()));
  for (let i = 0; i < 12; i += 3) src.next([win(i, 0, 's1', 'x'), win(i + 1, 0, 's2', 'y'), win(i + 2, 0, 's1', 'z')]);
  src.complete();
  const out = (await result).flat();
  for (const key of ['s1/x', 's2/y', 's1/z']) {
    const starts = out.filter((d) => `${d.sensorId}/${d.channel}` === key).map((d) => d.windowStart);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b), key);
    assert.equal(starts.length, 4);
  }
});

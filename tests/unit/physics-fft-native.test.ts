// The physics' FFTs in C (native/fft.c) against the TypeScript ones they replace where the addon is
// built (src/physics/fft.ts): the same transforms to rounding, at the sizes the physics uses and beyond.
import test from 'node:test';
import assert from 'node:assert/strict';
import { complexFft, nativeFft, realFft, useNativeFft } from '../../src/physics/fft.js';
import { nativeUnavailable } from '../helpers/model-fixture.js';

function random(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 30 - 1;
  });
}

/** Largest |a − b| relative to the largest |b|. */
function relErr(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

test('native FFTs agree with the TypeScript ones (real with and without a window, complex both ways)', (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native addon not built here (${why}): the physics uses the TypeScript FFTs`);
  t.after(() => useNativeFft(true));
  for (const n of [4, 8, 64, 2048, 16_384, 65_536]) {
    const x = random(n, n);
    const w = random(n, n + 1);
    const run = (native: boolean) => {
      useNativeFft(native);
      assert.equal(nativeFft() !== null, native);
      const out = { re: new Float64Array(n / 2 + 1), im: new Float64Array(n / 2 + 1), wre: new Float64Array(n / 2 + 1), wim: new Float64Array(n / 2 + 1) };
      realFft(n).forward(x, out.re, out.im);
      realFft(n).forward(x, out.wre, out.wim, w);
      const cre = x.slice();
      const cim = w.slice();
      complexFft(n).transform(cre, cim);
      const ire = x.slice();
      const iim = w.slice();
      complexFft(n).transform(ire, iim, true);
      return { ...out, cre, cim, ire, iim };
    };
    const js = run(false);
    const c = run(true);
    for (const k of Object.keys(js) as (keyof typeof js)[]) {
      const e = relErr(c[k], js[k]);
      assert.ok(e < 1e-12, `n=${n} ${k}: relative difference ${e}`);
    }
  }
});

test('native FFTs: an offset into a longer array, and what the TypeScript path keeps (shorter input, zero-padded)', (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native addon not built here (${why})`);
  t.after(() => useNativeFft(true));
  const long = random(5000, 7);
  const expect = (native: boolean, x: ArrayLike<number>, offset: number) => {
    useNativeFft(native);
    const re = new Float64Array(1025);
    const im = new Float64Array(1025);
    realFft(2048).forward(x, re, im, undefined, offset);
    return re;
  };
  assert.ok(relErr(expect(true, long, 1234), expect(false, long, 1234)) < 1e-12, 'offset 1234 of 5000');
  const short = long.subarray(0, 1500);
  assert.ok(relErr(expect(true, short, 0), expect(false, short, 0)) < 1e-12, '1500 samples zero-padded to 2048');
  assert.ok(relErr(expect(true, Float32Array.from(short), 0), expect(false, short, 0)) < 1e-6, 'a Float32Array input');
});

test('native FFTs refuse what they cannot transform with RangeError/TypeError, never a crash', (t) => {
  const why = nativeUnavailable();
  if (why) return t.skip(`native addon not built here (${why})`);
  const c = nativeFft()!;
  assert.throws(() => c.rfft(new Float64Array(6), new Float64Array(4), new Float64Array(4)), RangeError);
  assert.throws(() => c.rfft(new Float64Array(8), new Float64Array(4), new Float64Array(5)), RangeError);
  assert.throws(() => c.rfft(new Float64Array(8), new Float64Array(5), new Float64Array(5), new Float64Array(4)), RangeError);
  assert.throws(() => c.cfft(new Float64Array(8), new Float64Array(4), false), RangeError);
  assert.throws(() => c.cfft(new Float32Array(8) as unknown as Float64Array, new Float64Array(8), false), TypeError);
});

// Small statistics for benchmark reports: percentiles and least-squares slopes.

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** Least-squares slope of y over x (units of y per unit of x); 0 for fewer than two points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) { mx += xs[i]; my += ys[i]; }
  mx /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

export const round = (x: number, digits = 1): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Append-only (time, value) series in typed arrays: an hour of diagnoses stays compact and fast to query. */
export class Series {
  t = new Float64Array(1024);
  v = new Float64Array(1024);
  n = 0;

  push(t: number, v: number): void {
    if (this.n === this.t.length) {
      const t2 = new Float64Array(this.n * 2);
      const v2 = new Float64Array(this.n * 2);
      t2.set(this.t);
      v2.set(this.v);
      this.t = t2;
      this.v = v2;
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.n++;
  }

  clear(): void {
    this.n = 0;
  }

  /** Index of the first entry with time >= t (times are pushed in non-decreasing order). */
  indexAt(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Values with time in [a, b), sorted ascending. */
  sortedValues(a: number, b: number): Float64Array {
    return this.v.slice(this.indexAt(a), this.indexAt(b)).sort();
  }
}

/** Nearest-rank percentile of an ascending-sorted typed array. */
export function percentileSorted(s: Float64Array, p: number): number {
  if (s.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

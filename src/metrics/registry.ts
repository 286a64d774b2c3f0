// Prometheus text exposition (format 0.0.4) for the few metric kinds drsnd needs: counters and gauges
// with labels, histograms, and values read at scrape time. Our own ~100 lines instead of prom-client:
// it and its dependencies (@opentelemetry/api, tdigest, bintrees) are 4.6 MB installed (`du -sh` of a fresh
// `npm install prom-client`), in an install being cut to ≤ 60 MB (issue 21),
// for what is, here, a map of numbers and a string builder. Observations on the hot path (two
// histograms and a counter per diagnosis) are a map lookup and an array scan: no allocation.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(out: string[]): void;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (names: readonly string[], values: readonly string[], extra = '') => {
  const parts = names.map((n, i) => `${n}="${escape(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

/** A counter or gauge keyed by label values (in `labelNames` order). */
export class LabeledValue {
  private readonly values = new Map<string, { labels: string[]; v: number }>();
  constructor(readonly labelNames: readonly string[]) {}

  inc(values: readonly string[], by = 1): void {
    const key = values.join('\u0000');
    const e = this.values.get(key);
    if (e) e.v += by;
    else this.values.set(key, { labels: [...values], v: by });
  }

  set(values: readonly string[], v: number): void {
    this.values.set(values.join('\u0000'), { labels: [...values], v });
  }

  render(name: string, out: string[]): void {
    for (const { labels, v } of this.values.values()) out.push(`${name}${labelText(this.labelNames, labels)} ${num(v)}`);
  }
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]) {
        this.counts[i]++;
        return;
      }
    }
  }

  render(name: string, out: string[]): void {
    let cum = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cum += this.counts[i];
      out.push(`${name}_bucket{le="${this.buckets[i]}"} ${cum}`);
    }
    out.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
  }
}

export class Registry {
  private readonly families: Family[] = [];

  /** A counter or gauge this code increments or sets. */
  labeled(name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[] = []): LabeledValue {
    const v = new LabeledValue(labelNames);
    this.families.push({ name, help, type, render: (out) => v.render(name, out) });
    return v;
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const h = new Histogram(buckets);
    this.families.push({ name, help, type: 'histogram', render: (out) => h.render(name, out) });
    return h;
  }

  /** Values read when scraped (another component's counters, process state): [label values, value] pairs. */
  collected(name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[], read: () => Iterable<[readonly string[], number]>): void {
    this.families.push({
      name, help, type,
      render: (out) => { for (const [labels, v] of read()) out.push(`${name}${labelText(labelNames, labels)} ${num(v)}`); },
    });
  }

  exposition(): string {
    const out: string[] = [];
    for (const f of this.families) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return out.join('\n') + '\n';
  }
}

// The Sparkplug B payload (Eclipse Sparkplug 3.0, sparkplug_b.proto) as protobuf bytes, for the few
// fields drsnd sends and reads: Payload { timestamp = 1, metrics = 2, seq = 3 } and Metric { name = 1,
// timestamp = 3, datatype = 4, long_value = 11, double_value = 13, boolean_value = 14,
// string_value = 15 }. Hand-written rather than Eclipse Tahu's sparkplug-payload in production: that
// package brings protobufjs 6 (22 MB installed; `du -sh` of a fresh install) into an install being cut to ≤ 60 MB (issue 21); the
// tests decode what this writes with Tahu's own decoder (devDependency) to prove the bytes right.

/** Sparkplug B datatype codes (spec 6.4.16). */
export const DataType = { Int64: 4, UInt64: 8, Double: 10, Boolean: 11, String: 12 } as const;
export type MetricValue =
  | { type: 'Int64' | 'UInt64'; value: number }
  | { type: 'Double'; value: number }
  | { type: 'Boolean'; value: boolean }
  | { type: 'String'; value: string };
export type Metric = { name: string; timestamp?: number } & MetricValue;
export interface Payload {
  timestamp: number;
  seq?: number;
  metrics: Metric[];
}

class Writer {
  private readonly parts: number[] = [];

  varint(v: number): void {
    // Non-negative integers up to 2^53: division keeps them exact where 32-bit shifts would not.
    let n = v;
    while (n >= 0x80) {
      this.parts.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.parts.push(n);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    for (const x of b) this.parts.push(x);
  }

  finish(): Buffer {
    return Buffer.from(this.parts);
  }
}

function encodeMetric(m: Metric): Buffer {
  const w = new Writer();
  w.bytes(1, Buffer.from(m.name, 'utf8'));
  if (m.timestamp !== undefined) { w.tag(3, 0); w.varint(m.timestamp); }
  w.tag(4, 0);
  w.varint(DataType[m.type]);
  if (m.type === 'Int64' || m.type === 'UInt64') {
    if (!Number.isSafeInteger(m.value) || m.value < 0) throw new RangeError(`metric ${m.name}: ${m.value} is not a non-negative safe integer`);
    w.tag(11, 0);
    w.varint(m.value);
  } else if (m.type === 'Double') w.double(13, m.value);
  else if (m.type === 'Boolean') { w.tag(14, 0); w.varint(m.value ? 1 : 0); }
  else w.bytes(15, Buffer.from(String(m.value), 'utf8'));
  return w.finish();
}

export function encodePayload(p: Payload): Buffer {
  const w = new Writer();
  w.tag(1, 0);
  w.varint(p.timestamp);
  for (const m of p.metrics) w.bytes(2, encodeMetric(m));
  if (p.seq !== undefined) { w.tag(3, 0); w.varint(p.seq); }
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  get done(): boolean { return this.pos >= this.b.length; }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.b.length) throw new RangeError('truncated varint');
      const x = this.b[this.pos++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 0x80;
    }
    throw new RangeError('varint too long');
  }
  take(n: number): Buffer {
    if (this.pos + n > this.b.length) throw new RangeError('truncated field');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.take(8);
    else if (wire === 2) this.take(this.varint());
    else if (wire === 5) this.take(4);
    else throw new RangeError(`unsupported wire type ${wire}`);
  }
}

/** Decodes what drsnd needs of a payload (a command's metric names and values); other fields are skipped. */
export function decodePayload(b: Buffer): { timestamp?: number; seq?: number; metrics: Array<{ name?: string; datatype?: number; value?: number | boolean | string }> } {
  const r = new Reader(b);
  const out: ReturnType<typeof decodePayload> = { metrics: [] };
  while (!r.done) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 1 && wire === 0) out.timestamp = r.varint();
    else if (field === 3 && wire === 0) out.seq = r.varint();
    else if (field === 2 && wire === 2) {
      const m = new Reader(r.take(r.varint()));
      const metric: ReturnType<typeof decodePayload>['metrics'][number] = {};
      while (!m.done) {
        const k = m.varint();
        const f = Math.floor(k / 8);
        const wt = k % 8;
        if (f === 1 && wt === 2) metric.name = m.take(m.varint()).toString('utf8');
        else if (f === 4 && wt === 0) metric.datatype = m.varint();
        else if ((f === 10 || f === 11) && wt === 0) metric.value = m.varint();
        else if (f === 13 && wt === 1) metric.value = m.take(8).readDoubleLE(0);
        else if (f === 12 && wt === 5) metric.value = m.take(4).readFloatLE(0);
        else if (f === 14 && wt === 0) metric.value = m.varint() !== 0;
        else if (f === 15 && wt === 2) metric.value = m.take(m.varint()).toString('utf8');
        else m.skip(wt);
      }
      out.metrics.push(metric);
    } else r.skip(wire);
  }
  return out;
}

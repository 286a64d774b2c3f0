// One CSV line → one multi-axis sample. Pure: the serial source feeds lines, the framer gathers samples.

export interface CsvLayout {
  delimiter: string;
  columns: string[];
  /** Column index of each axis, in axis order. */
  axisIndex: number[];
  /** Column index of the timestamp, -1 when lines carry none. */
  timestampIndex: number;
}

export interface CsvOptions {
  columns?: string[];
  timestampColumn?: string;
  delimiter: string;
}

export type CsvSample = { ok: true; values: number[]; t?: number };
export type CsvReject = { ok: false; reason: string; detail: Record<string, unknown> };

/**
 * Matches columns to axes. Default columns: the timestamp column (if any) followed by the axes.
 * Throws a message a user can act on when an axis or the timestamp column is missing.
 */
export function csvLayout(axes: string[], opts: CsvOptions, columns = opts.columns): CsvLayout {
  const cols = columns ?? (opts.timestampColumn ? [opts.timestampColumn, ...axes] : [...axes]);
  const axisIndex = axes.map((axis) => {
    const i = cols.indexOf(axis);
    if (i < 0) throw new Error(`axis "${axis}" is not one of the CSV columns [${cols.join(', ')}]`);
    return i;
  });
  let timestampIndex = -1;
  if (opts.timestampColumn !== undefined) {
    timestampIndex = cols.indexOf(opts.timestampColumn);
    if (timestampIndex < 0) throw new Error(`timestamp column "${opts.timestampColumn}" is not one of the CSV columns [${cols.join(', ')}]`);
  }
  return { delimiter: opts.delimiter, columns: cols, axisIndex, timestampIndex };
}

// Strict decimal number: Number() would accept "", " ", "0x1F", "Infinity" and turn them into values.
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

export function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Epoch milliseconds (a number, fractions allowed) or an ISO 8601 date-time. */
export function parseTimestamp(s: string): number | undefined {
  const t = s.trim();
  const n = parseNumber(t);
  if (n !== undefined) return n >= 0 ? n : undefined;
  if (!ISO_TIME.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A header line: no field is a number. Used to skip (and learn from) headers a device prints at boot. */
export function looksLikeHeader(line: string, delimiter: string): string[] | undefined {
  const fields = line.split(delimiter).map((f) => f.trim());
  return fields.every((f) => f.length > 0 && parseNumber(f) === undefined && parseTimestamp(f) === undefined) ? fields : undefined;
}

export function parseCsvLine(line: string, layout: CsvLayout): CsvSample | CsvReject {
  const fields = line.split(layout.delimiter);
  const excerpt = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  if (fields.length !== layout.columns.length) {
    return { ok: false, reason: 'csv-column-count', detail: { line: excerpt, expected: layout.columns.length, got: fields.length } };
  }
  const values = new Array<number>(layout.axisIndex.length);
  for (let a = 0; a < layout.axisIndex.length; a++) {
    const v = parseNumber(fields[layout.axisIndex[a]]);
    if (v === undefined) {
      return { ok: false, reason: 'csv-not-a-number', detail: { line: excerpt, column: layout.columns[layout.axisIndex[a]] } };
    }
    values[a] = v;
  }
  if (layout.timestampIndex < 0) return { ok: true, values };
  const t = parseTimestamp(fields[layout.timestampIndex]);
  if (t === undefined) return { ok: false, reason: 'csv-bad-timestamp', detail: { line: excerpt, column: layout.columns[layout.timestampIndex] } };
  return { ok: true, values, t };
}

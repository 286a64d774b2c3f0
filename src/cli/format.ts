// Shared by the query subcommands (history, alerts): argument values and the three output formats.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { CliContext } from './context.js';

export type OutputFormat = 'table' | 'json' | 'csv';
export const FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv'];

export function usageError(message: string): DrsndError {
  return new DrsndError(ErrorCodes.USAGE, message);
}

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw usageError(`--format must be one of ${FORMATS.join(', ')} (got "${value}")`);
}

export function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw usageError(`${flag} must be a positive integer (got "${value}")`);
  return Number(value);
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m", "2h", "7d" (before now), an ISO 8601 time, or epoch milliseconds → epoch ms. */
export function parseTime(value: string, flag: string, now: number): number {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]];
  if (/^\d{10,}$/.test(value)) return Number(value);
  // Date.parse accepts odd forms ("1"), so demand something that starts like an ISO date.
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw usageError(`${flag} must be an ISO time (2026-03-01T12:00Z) or a duration ago like 15m, 2h, 7d (got "${value}")`);
  return t;
}

export const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null;
  /** Right-align in tables (numbers). */
  right?: boolean;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** RFC 4180: quote a field when it holds a comma, quote or line break; double the quotes. */
export function renderCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [columns.map((c) => field(c.header)), ...rows.map((r) => columns.map((c) => field(cellText(c.value(r)))))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}

export function renderJson(rows: readonly unknown[]): string {
  return JSON.stringify(rows, null, 2) + '\n';
}

function cellText(v: string | number | null): string {
  return v === null ? '' : String(v);
}

/** The database file the daemon writes, resolved like every relative path in settings. */
export function storePath(ctx: CliContext): string {
  return path.resolve(ctx.cwd, ctx.settings.store.path);
}

/** The database path, or a clear error when the daemon has not created it yet. */
export function existingStorePath(ctx: CliContext): string {
  const file = storePath(ctx);
  if (!existsSync(file)) {
    throw new DrsndError(ErrorCodes.STORE, `no database at ${file}: \`drsnd run\` creates it on first start; check store.path in the config`);
  }
  return file;
}

/** Exit codes: 2 for usage (the user typed something wrong), 1 for everything else. */
export function reportError(ctx: CliContext, command: string, e: unknown): number {
  if (e instanceof DrsndError && e.code === ErrorCodes.USAGE) {
    ctx.err.write(`drsnd ${command}: ${e.message}\n`);
    return 2;
  }
  // node:util parseArgs reports unknown flags and missing values with ERR_PARSE_ARGS_* codes.
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    ctx.err.write(`drsnd ${command}: ${(e as Error).message}\n`);
    return 2;
  }
  ctx.err.write(`drsnd ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

// `drsnd history`: stored diagnoses, newest first, read-only (safe while the daemon runs).
import { parseArgs } from 'node:util';
import { DrsndError, ErrorCodes } from '../errors.js';
import { COMPONENTS, type Component } from '../physics/types.js';
import { openReadOnly } from '../store/reader.js';
import { diagnosisJson } from '../store/json.js';
import type { DiagnosisRecord } from '../store/rows.js';
import type { CliCommand } from './context.js';
import {
  existingStorePath, iso, parseFormat, parsePositiveInt, parseTime, renderCsv, renderJson, renderTable,
  reportError, type Column,
} from './format.js';

const USAGE = `usage: drsnd history [--sensor S] [--asset A] [--class C] [--component K] [--min-zone Z] [--since T] [--until T] [--limit N] [--format table|json|csv]
  T is an ISO time (2026-03-01T12:00Z) or a duration ago (30s, 15m, 2h, 7d, 1w). Default limit 100.
  --class is the DRSN's class; --component the fused verdict: ${COMPONENTS.join(', ')}.
  --min-zone A|B|C|D: only windows whose ISO velocity zone is at least this (sensors with machine.iso).
`;

const COLUMNS: Column<DiagnosisRecord>[] = [
  { header: 'time', value: (d) => iso(d.windowEnd) },
  { header: 'sensor', value: (d) => d.sensorId },
  { header: 'asset', value: (d) => d.asset },
  { header: 'channel', value: (d) => d.channel },
  { header: 'class', value: (d) => d.className },
  { header: 'kind', value: (d) => d.kind },
  { header: 'confidence', value: (d) => d.confidence.toFixed(3), right: true },
  { header: 'component', value: (d) => d.fusion?.component ?? '' },
  { header: 'conf', value: (d) => d.fusion?.confidence.toFixed(3) ?? '', right: true },
  { header: 'severity', value: (d) => d.fusion?.severity ?? '' },
  { header: 'v mm/s', value: (d) => d.indicators?.velocityMmS.toFixed(2) ?? '', right: true },
  { header: 'zone', value: (d) => d.indicators?.isoZone ?? '' },
  { header: 'rpm', value: (d) => (d.shaftHz === undefined ? '' : `${Math.round(d.shaftHz * 60)} ${d.speedSource ?? ''}`), right: true },
  { header: 'model', value: (d) => `${d.modelId}@${d.modelVersion}` },
];

const ZONES = ['A', 'B', 'C', 'D'] as const;
function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new DrsndError(ErrorCodes.USAGE, `${flag} must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

export const history: CliCommand = async (argv, ctx) => {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        sensor: { type: 'string' }, asset: { type: 'string' }, class: { type: 'string' },
        component: { type: 'string' }, 'min-zone': { type: 'string' },
        since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' },
        format: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      ctx.out.write(USAGE);
      return 0;
    }
    const now = Date.now();
    const format = parseFormat(values.format);
    const filter = {
      sensor: values.sensor, asset: values.asset, className: values.class,
      component: oneOf<Component>(values.component, COMPONENTS, '--component'),
      minZone: oneOf(values['min-zone'], ZONES, '--min-zone'),
      since: values.since === undefined ? undefined : parseTime(values.since, '--since', now),
      until: values.until === undefined ? undefined : parseTime(values.until, '--until', now),
      limit: parsePositiveInt(values.limit, '--limit', 100),
    };
    const reader = openReadOnly(existingStorePath(ctx));
    let rows: DiagnosisRecord[];
    try {
      rows = reader.history(filter);
    } finally {
      reader.close();
    }
    if (format === 'json') ctx.out.write(renderJson(rows.map(diagnosisJson)));
    else if (format === 'csv') ctx.out.write(renderCsv(rows, COLUMNS));
    else ctx.out.write(rows.length ? renderTable(rows, COLUMNS) : 'no matching diagnoses\n');
    return 0;
  } catch (e) {
    const code = reportError(ctx, 'history', e);
    if (code === 2) ctx.err.write(USAGE);
    return code;
  }
};

/** The name main.ts loads. */
export const historyCommand = history;

// `drsnd alerts [--all]` lists alerts (active only by default); `drsnd alerts ack <id> [--by NAME]`
// records that an operator has seen one. Listing is read-only; ack opens a short write connection.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { snapshotCsv, snapshotF32, snapshotMetaJson } from '../api/snapshot-format.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { alertEventJson, alertJson } from '../store/json.js';
import { openReadOnly, openReadWrite } from '../store/reader.js';
import type { AlertRecord } from '../store/rows.js';
import type { CliCommand, CliContext } from './context.js';
import {
  existingStorePath, iso, parseFormat, parsePositiveInt, renderCsv, renderJson, renderTable, reportError,
  usageError, type Column,
} from './format.js';

const USAGE = `usage: drsnd alerts [--all] [--limit N] [--format table|json|csv]
       drsnd alerts ack <id> [--by NAME]
       drsnd alerts show <id> [--format table|json] [--export FILE.csv|FILE.f32] [--snapshot SID]
  Without --all only active alerts are listed, newest first. show prints one alert, its events and the
  raw windows kept with it (snapshots); --export writes a snapshot's samples (the first, or --snapshot).
`;

const COLUMNS: Column<AlertRecord>[] = [
  { header: 'id', value: (a) => a.id, right: true },
  { header: 'state', value: (a) => a.state },
  { header: 'sensor', value: (a) => a.sensorId },
  { header: 'asset', value: (a) => a.asset },
  { header: 'class', value: (a) => a.className },
  { header: 'raised', value: (a) => iso(a.raisedAt) },
  { header: 'cleared', value: (a) => iso(a.clearedAt) },
  { header: 'peak', value: (a) => a.peakConfidence.toFixed(3), right: true },
  { header: 'acknowledged', value: (a) => (a.acknowledgedAt === null ? '' : `${iso(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}`) },
];

async function list(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { all: { type: 'boolean' }, limit: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    ctx.out.write(USAGE);
    return 0;
  }
  const format = parseFormat(values.format);
  const limit = parsePositiveInt(values.limit, '--limit', 100);
  const reader = openReadOnly(existingStorePath(ctx));
  let rows: AlertRecord[];
  try {
    rows = reader.alerts({ active: values.all ? undefined : true, limit });
  } finally {
    reader.close();
  }
  if (format === 'json') ctx.out.write(renderJson(rows.map(alertJson)));
  else if (format === 'csv') ctx.out.write(renderCsv(rows, COLUMNS));
  else ctx.out.write(rows.length ? renderTable(rows, COLUMNS) : values.all ? 'no alerts\n' : 'no active alerts\n');
  return 0;
}

async function ack(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { by: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw usageError('alerts ack takes exactly one alert id');
  const id = parsePositiveInt(positionals[0], 'alert id', 0);
  if (values.by !== undefined && values.by.trim() === '') throw usageError('--by must not be empty');
  const store = openReadWrite(existingStorePath(ctx), { synchronous: ctx.settings.store.synchronous });
  try {
    const a = store.ackAlert(id, values.by);
    ctx.out.write(`alert ${a.id} (${a.sensorId} ${a.className}, ${a.state}) acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}\n`);
    return 0;
  } finally {
    store.close();
  }
}

async function show(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { format: { type: 'string' }, export: { type: 'string' }, snapshot: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw usageError('alerts show takes exactly one alert id');
  const id = parsePositiveInt(positionals[0], 'alert id', 0);
  const format = parseFormat(values.format);
  if (format === 'csv') throw usageError('alerts show prints table or json; use --export for a snapshot as CSV');
  const ext = values.export === undefined ? undefined : path.extname(values.export).toLowerCase();
  if (ext !== undefined && ext !== '.csv' && ext !== '.f32') throw usageError('--export writes FILE.csv or FILE.f32');
  const reader = openReadOnly(existingStorePath(ctx));
  try {
    const alert = reader.alert(id);
    if (!alert) throw new DrsndError(ErrorCodes.NOT_FOUND, `no alert with id ${id}`);
    const events = reader.alertEvents(id);
    const snaps = reader.snapshots(id);
    if (values.export !== undefined) {
      const sid = values.snapshot === undefined ? snaps[0]?.id : parsePositiveInt(values.snapshot, '--snapshot', 0);
      const s = sid === undefined ? undefined : reader.snapshot(sid);
      if (!s || s.alertId !== id) throw new DrsndError(ErrorCodes.NOT_FOUND, sid === undefined ? `alert ${id} has no snapshot` : `alert ${id} has no snapshot ${sid}`);
      writeFileSync(values.export, ext === '.csv' ? snapshotCsv(s) : snapshotF32(s));
      ctx.out.write(`snapshot ${s.id} of alert ${id} (${s.length} samples at ${s.rateHz} Hz, ${s.unit}) written to ${values.export}\n`);
      return 0;
    }
    if (format === 'json') {
      ctx.out.write(`${JSON.stringify({ ...alertJson(alert), events: events.map(alertEventJson), snapshots: snaps.map(snapshotMetaJson) }, null, 2)}\n`);
      return 0;
    }
    ctx.out.write(renderTable([alert], COLUMNS));
    ctx.out.write(`\nevents\n${renderTable(events, [
      { header: 'id', value: (e) => e.id, right: true }, { header: 'at', value: (e) => iso(e.at) },
      { header: 'transition', value: (e) => e.transition }, { header: 'class', value: (e) => e.className },
      { header: 'confidence', value: (e) => e.confidence.toFixed(3), right: true }, { header: 'by', value: (e) => e.by },
    ])}`);
    ctx.out.write(snaps.length === 0 ? '\nno snapshots\n' : `\nsnapshots (drsnd alerts show ${id} --export FILE.csv|FILE.f32 [--snapshot ID])\n${renderTable(snaps, [
      { header: 'id', value: (s) => s.id, right: true }, { header: 'window start', value: (s) => iso(s.windowStart) },
      { header: 'channel', value: (s) => s.channel }, { header: 'class', value: (s) => s.className },
      { header: 'samples', value: (s) => `${s.length} @ ${s.rateHz} Hz`, right: true }, { header: 'unit', value: (s) => s.unit },
    ])}`);
    return 0;
  } finally {
    reader.close();
  }
}

export const alerts: CliCommand = async (argv, ctx) => {
  try {
    if (argv[0] === 'show') return await show(argv.slice(1), ctx);
    return argv[0] === 'ack' ? await ack(argv.slice(1), ctx) : await list(argv, ctx);
  } catch (e) {
    const code = reportError(ctx, 'alerts', e);
    if (code === 2) ctx.err.write(USAGE);
    return code;
  }
};

/** The name main.ts loads. */
export const alertsCommand = alerts;

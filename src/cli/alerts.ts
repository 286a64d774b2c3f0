// `drsnd alerts [--all]` lists alerts (active only by default); `drsnd alerts ack <id> [--by NAME]`
// records that an operator has seen one. Listing is read-only; ack opens a short write connection.
import { parseArgs } from 'node:util';
import { openReadOnly, openReadWrite } from '../store/reader.js';
import { alertJson } from '../store/json.js';
import type { AlertRecord } from '../store/rows.js';
import type { CliCommand, CliContext } from './context.js';
import {
  existingStorePath, iso, parseFormat, parsePositiveInt, renderCsv, renderJson, renderTable, reportError,
  usageError, type Column,
} from './format.js';

const USAGE = `usage: drsnd alerts [--all] [--limit N] [--format table|json|csv]
       drsnd alerts ack <id> [--by NAME]
  Without --all only active alerts are listed, newest first.
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

export const alerts: CliCommand = async (argv, ctx) => {
  try {
    return argv[0] === 'ack' ? await ack(argv.slice(1), ctx) : await list(argv, ctx);
  } catch (e) {
    const code = reportError(ctx, 'alerts', e);
    if (code === 2) ctx.err.write(USAGE);
    return code;
  }
};

/** The name main.ts loads. */
export const alertsCommand = alerts;

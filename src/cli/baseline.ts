// `drsnd baseline start|stop|cancel|status [<sensor>]`: the running daemon learns and keeps baselines
// (src/baseline/), so this asks it over MQTT (daemon-request.ts) rather than opening the database.
import { parseArgs } from 'node:util';
import type { baselineJson } from '../api/service.js';
import type { CliCommand } from './context.js';
import { daemonRequest } from './daemon-request.js';
import { renderJson, renderTable, reportError, usageError } from './format.js';

const USAGE = `usage: drsnd baseline start <sensor> [--channel C] [--for DURATION]
       drsnd baseline stop <sensor> [--channel C]
       drsnd baseline cancel <sensor> [--channel C]
       drsnd baseline status [<sensor>] [--channel C] [--format table|json]
  start: the running daemon learns the sensor's healthy indicators and band levels (every channel, or C)
  until stop, or for DURATION (30m, 8h, 2d); learn over the machine's normal operating states.
  stop: what was learnt becomes the baseline; from then on windows that depart from it raise a
  "novelty" alert (docs/baseline.md). cancel drops what is being learnt. --timeout SEC (default 5).
`;

type Status = ReturnType<typeof baselineJson>;

export const baselineCommand: CliCommand = async (argv, ctx) => {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        channel: { type: 'string' }, for: { type: 'string' }, format: { type: 'string' }, timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      ctx.out.write(USAGE);
      return 0;
    }
    const [action, sensor, ...extra] = positionals;
    if (!action || !['start', 'stop', 'cancel', 'status'].includes(action)) throw usageError('say start, stop, cancel or status');
    if (extra.length > 0) throw usageError(`one sensor at a time (got ${[sensor, ...extra].join(', ')})`);
    if (!sensor && action !== 'status') throw usageError(`baseline ${action} needs a sensor id`);
    if (values.for !== undefined && action !== 'start') throw usageError('--for goes with start');
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw usageError(`--format must be table or json (got "${format}")`);
    const timeoutSec = values.timeout === undefined ? 5 : Number(values.timeout);
    if (!(timeoutSec > 0)) throw usageError(`--timeout must be a positive number of seconds (got "${values.timeout}")`);
    const params: Record<string, string> = { action };
    if (sensor) params.sensor = sensor;
    if (values.channel !== undefined) params.channel = values.channel;
    if (values.for !== undefined) params.for = values.for;
    const [result] = await daemonRequest('baseline', params, { settings: ctx.settings, cwd: ctx.cwd, timeoutMs: timeoutSec * 1000 });
    const items = (result as { items: Status[] }).items;
    if (format === 'json') {
      ctx.out.write(renderJson(items));
      return 0;
    }
    if (action === 'start') ctx.out.write(`${sensor}: learning a baseline on ${items.map((i) => i.channel).join(', ')}${values.for ? ` for ${values.for}` : ' until `drsnd baseline stop`'}\n`);
    if (action === 'stop') ctx.out.write(`${sensor}: baseline active on ${items.map((i) => i.channel).join(', ')}\n`);
    if (action === 'cancel') ctx.out.write(`${sensor}: learning cancelled\n`);
    ctx.out.write(statusTable(items));
    return 0;
  } catch (e) {
    const code = reportError(ctx, 'baseline', e);
    if (code === 2) ctx.err.write(USAGE);
    return code;
  }
};

const num = (x: number) => Number(x.toPrecision(3)).toString();

function statusTable(items: Status[]): string {
  if (items.length === 0) return 'no sensors\n';
  return renderTable(items, [
    { header: 'sensor', value: (b) => b.sensorId },
    { header: 'channel', value: (b) => b.channel },
    { header: 'state', value: (b) => b.state },
    { header: 'since', value: (b) => b.active?.since ?? b.learning?.since ?? '' },
    { header: 'windows', value: (b) => (b.learning ? `${b.learning.windows}/${b.learning.minWindows}` : b.active ? b.active.windows : ''), right: true },
    {
      header: 'baseline (alert / danger)',
      value: (b) => b.active?.levels.map((l) => `${l.feature === 'velocity' ? 'v' : 'a'} ${num(l.baseline)} ${l.unit} (${num(l.alert)} / ${num(l.danger)})`).join(', ') ?? '',
    },
    { header: 'now', value: (b) => (b.last ? `${b.last.level}: ${num(b.last.ratio)}×, score ${num(b.last.score)}` : '') },
  ]);
}

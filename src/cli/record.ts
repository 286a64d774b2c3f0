// `drsnd record <sensor> --label L --seconds N --out DIR`: labelled live data for fine-tuning. The
// running daemon has the sensor's frames, so it is asked for the next N seconds (daemon-request.ts,
// op `record`) and this process writes them into DIR as a recording with its manifest entry
// (src/data/recording-writer.ts, docs/recordings.md).
import { parseArgs } from 'node:util';
import { decodeF32LE } from '../data/recording.js';
import { addRecording } from '../data/recording-writer.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { CliCommand } from './context.js';
import { daemonRequest } from './daemon-request.js';
import { reportError, usageError } from './format.js';

const USAGE = `usage: drsnd record <sensor> --label L --seconds N --out DIR [--kind normal|fault] [--component C] [--rpm R]
  Records the sensor's next N seconds as the running daemon accepts them (its unit and rate, every
  axis), writes DIR/<sensor>-<label>-<time>.f32 and adds it to DIR/recordings.yaml (created if missing).
  A new label becomes a class: --kind (default: normal for Normal/Healthy/OK/Good, else fault) and
  --component (inner_race, outer_race, ball). Train with: drsnd train --data DIR/recordings.yaml
  (a manifest needs at least two classes, one of them normal). --timeout SEC: how long to wait for
  the daemon's first answer (default 5).
`;

interface Part { part: number; parts: number; sensorId: string; rateHz: number; unit: string; axes: string[]; t0: number; samples: number; data: string }

export const recordCommand: CliCommand = async (argv, ctx) => {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        label: { type: 'string' }, seconds: { type: 'string' }, out: { type: 'string' }, kind: { type: 'string' },
        component: { type: 'string' }, rpm: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      ctx.out.write(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw usageError('record takes exactly one sensor id');
    const [sensor] = positionals;
    if (!values.label || values.label.trim() === '') throw usageError('--label is required (the class of what is recorded, e.g. Healthy)');
    if (!/^[A-Za-z0-9_.-]+$/.test(values.label)) throw usageError('--label: use letters, digits, "_", "-" or "." (it becomes a class and part of a file name)');
    if (!values.out) throw usageError('--out DIR is required');
    const seconds = Number(values.seconds);
    if (values.seconds === undefined || !(seconds > 0)) throw usageError(`--seconds must be a positive number (got "${values.seconds ?? ''}")`);
    if (values.kind !== undefined && values.kind !== 'normal' && values.kind !== 'fault') throw usageError('--kind must be normal or fault');
    const rpm = values.rpm === undefined ? null : Number(values.rpm);
    if (rpm !== null && !(rpm > 0)) throw usageError(`--rpm must be a positive number (got "${values.rpm}")`);

    const timeoutSec = values.timeout === undefined ? 5 : Number(values.timeout);
    if (!(timeoutSec > 0)) throw usageError(`--timeout must be a positive number of seconds (got "${values.timeout}")`);
    // The recording's reply comes only after N seconds: first make sure a daemon is there to ask.
    await daemonRequest('health', {}, { settings: ctx.settings, cwd: ctx.cwd, timeoutMs: timeoutSec * 1000 });
    ctx.err.write(`recording ${seconds} s of ${sensor} ...\n`);
    const parts = (await daemonRequest('record', { sensor, seconds }, {
      settings: ctx.settings, cwd: ctx.cwd, timeoutMs: seconds * 1000 + 15_000, partTimeoutMs: 10_000,
    })) as Part[];
    const first = parts[0];
    const channels = first.axes.map(() => new Float32Array(first.samples));
    let at = 0;
    for (const p of parts) {
      const x = decodeF32LE(Buffer.from(p.data, 'base64'));
      const n = x.length / first.axes.length;
      if (!Number.isInteger(n) || at + n > first.samples) throw new DrsndError(ErrorCodes.BAD_INPUT, `the daemon's reply part ${p.part} does not fit the recording; try again`);
      for (let i = 0; i < n; i++) for (let c = 0; c < channels.length; c++) channels[c][at + i] = x[i * channels.length + c];
      at += n;
    }
    if (at !== first.samples) throw new DrsndError(ErrorCodes.BAD_INPUT, `the daemon sent ${at} of ${first.samples} samples; try again`);
    const { manifest, file } = addRecording(values.out, {
      sensorId: first.sensorId, label: values.label, kind: (values.kind as 'normal' | 'fault' | undefined) ?? null, component: values.component ?? null,
      rateHz: first.rateHz, unit: first.unit, t0: first.t0, channels, rpm,
    });
    ctx.out.write(`${first.samples} samples × ${first.axes.length} axis(es) at ${first.rateHz} Hz (${first.unit}) written to ${file}, listed in ${manifest}\n`);
    return 0;
  } catch (e) {
    const code = reportError(ctx, 'record', e);
    if (code === 2) ctx.err.write(USAGE);
    return code;
  }
};

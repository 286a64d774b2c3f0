// `drsnd train`: prepare the dataset in TypeScript (the project's resampler and band limit, exactly
// what the live pipeline applies), then train with PyTorch. Issue 3 measured tfjs training here at
// ~1.5-27 windows/s against ~700 windows/s for PyTorch on 2 cores, so the trainer is Python.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadCwruMatFolder, loadCwruRecords } from '../data/cwru.js';
import { prepareDataset, type PreparedIndex } from '../data/prepare.js';
import { loadRecordingManifest } from '../data/recording.js';
import { CWRU_CLASSES, type LabeledRecord } from '../data/records.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import type { ModelClass } from '../types.js';
import type { CliCommand, CliContext } from './context.js';

/** The model input every shipped model uses (docs/ARCHITECTURE.md); training data is prepared to it. */
export const MODEL_INPUT = { sampleRateHz: 12_000, bandLimitHz: 4_800, windowLength: 2_048 } as const;
export const SPLIT = { train: 0.7, val: 0.15, test: 0.15 } as const;

/** A CWRU f32 folder (manifest.json), a folder of CWRU .mat files, or a recordings manifest file. */
export function loadTrainingData(dataPath: string): { classes: ModelClass[]; records: LabeledRecord[]; kind: string } {
  if (!existsSync(dataPath)) throw new DrsndError(ErrorCodes.NOT_FOUND, `--data ${dataPath}: not found`);
  if (statSync(dataPath).isFile()) return { ...loadRecordingManifest(dataPath), kind: 'recordings manifest' };
  if (existsSync(path.join(dataPath, 'manifest.json'))) return { classes: CWRU_CLASSES, records: loadCwruRecords(dataPath), kind: 'CWRU f32 folder' };
  return { classes: CWRU_CLASSES, records: loadCwruMatFolder(dataPath), kind: 'CWRU .mat folder' };
}

export type ModelInputSpec = { sampleRateHz: number; bandLimitHz: number; windowLength: number };

/**
 * Prepares `dataPath` into a cache folder keyed by its absolute path and the input spec (prepareDataset
 * reuses it when unchanged). Evaluation passes the model's own spec, so a model trained with another
 * band limit is never scored on differently filtered data.
 */
export function prepareFromArg(dataPath: string, cacheRoot: string, ctx: CliContext, input: ModelInputSpec = MODEL_INPUT): { dir: string; index: PreparedIndex } {
  const abs = path.resolve(ctx.cwd, dataPath);
  const t0 = Date.now();
  const { classes, records, kind } = loadTrainingData(abs);
  const key = `${abs}\0${input.sampleRateHz}/${input.bandLimitHz}/${input.windowLength}`;
  const dir = path.join(cacheRoot, createHash('sha256').update(key).digest('hex').slice(0, 12));
  const { sampleRateHz, bandLimitHz, windowLength } = input;
  const index = prepareDataset(records, classes, { outDir: dir, sampleRateHz, bandLimitHz, windowLength, split: { ...SPLIT } });
  ctx.err.write(`prepared ${index.records.length} records (${kind}) at ${sampleRateHz} Hz, band limit ${bandLimitHz} Hz -> ${dir} (${Date.now() - t0} ms)\n`);
  return { dir, index };
}

let deprecationSaid = false;

/**
 * `--python`, else $DRSND_PYTHON (the name the tests always used; the config loader passes over it, see
 * NON_SETTING_ENV), else the deprecated $DRSN_PYTHON, else Debian's python3.
 */
export function pythonExecutable(flag?: string, env: NodeJS.ProcessEnv = process.env, warn: (msg: string) => void = (m) => process.stderr.write(m)): string {
  if (flag) return flag;
  if (env.DRSND_PYTHON) return env.DRSND_PYTHON;
  if (env.DRSN_PYTHON) {
    if (!deprecationSaid) warn('drsnd: DRSN_PYTHON is deprecated; set DRSND_PYTHON instead (still read for now)\n');
    deprecationSaid = true;
    return env.DRSN_PYTHON;
  }
  return '/usr/bin/python3';
}

/** Fails with an actionable message when python3, PyTorch, numpy or scipy is missing. */
export function checkPython(python = pythonExecutable()): void {
  const r = spawnSync(python, ['-c', 'import torch, numpy, scipy; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE,
      `training and evaluation need ${python} with PyTorch, numpy and scipy (${why}). ` +
      'On Debian/Ubuntu: apt-get install python3-torch python3-scipy; or pass --python (or set DRSND_PYTHON) to a python with torch installed.');
  }
}

/** Runs `python3 -m drsn <args>` with src/model/py on PYTHONPATH, streaming its lines to ctx.out (call checkPython first). */
export function runPython(args: string[], ctx: CliContext, python = pythonExecutable()): Promise<number> {
  const pyPath = path.join(packageRoot(), 'src', 'model', 'py');
  const env = { ...process.env, PYTHONPATH: [pyPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' };
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'drsn', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', (l) => ctx.out.write(`${l}\n`));
    createInterface({ input: child.stderr }).on('line', (l) => ctx.err.write(`${l}\n`));
    // Ctrl-C on drsnd must not leave a trainer running on the shared cores.
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.removeListener('SIGINT', stop);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function usage(message: string): DrsndError {
  return new DrsndError(ErrorCodes.USAGE, `${message}\nusage: drsnd train --data <cwru dir | recordings manifest | .mat folder> --out <model dir> ` +
    '[--arch cw|cs|resnet] [--input time|envelope-orders] [--epochs N] [--seed N] [--per-class N] [--band-limit HZ] [--snr-min=DB] [--widths A,B,C] [--stem-kernel K] [--cross-load] [--quick] [--id ID] [--model-version V] [--cache DIR] [--python EXE]');
}

export function intFlag(name: string, v: string | undefined): string[] {
  if (v === undefined) return [];
  if (!/^\d+$/.test(v)) throw usage(`--${name} must be a non-negative integer (got "${v}")`);
  return [`--${name}`, v];
}

/** --band-limit: the low-pass every record passes through (Hz, up to Nyquist of the model rate). */
function bandLimitFlag(v: string | undefined): number {
  if (v === undefined) return MODEL_INPUT.bandLimitHz;
  const hz = Number(v);
  const nyquist = MODEL_INPUT.sampleRateHz / 2;
  if (!/^\d+(\.\d+)?$/.test(v) || !(hz > 0) || hz > nyquist) throw usage(`--band-limit must be a frequency in Hz in (0, ${nyquist}] (got "${v}")`);
  return hz;
}

/** --model-version: drsn.json `version` (semver), published with every diagnosis next to the model id. */
export function versionFlag(v: string | undefined): string[] {
  if (v === undefined) return [];
  if (!/^\d+\.\d+\.\d+([-+][\w.-]+)?$/.test(v)) throw usage(`--model-version must be a version like 1.2.0 (got "${v}")`);
  return ['--version', v];
}

/** --snr-min: the lowest SNR of the noise augmentation (the range ends at +5 dB). */
function snrMinFlag(v: string | undefined): string[] {
  if (v === undefined) return [];
  const db = Number(v);
  if (!/^-?\d+(\.\d+)?$/.test(v) || db >= 5 || db < -30) throw usage(`--snr-min must be a number of dB in [-30, 5) (got "${v}")`);
  return ['--snr-min', v];
}

/** --widths: channels of the three stages (default the paper's 4,8,16); the shortcut zero-pads, so they must not decrease. */
export function widthsFlag(v: string | undefined): string[] {
  if (v === undefined) return [];
  const w = v.split(',').map((x) => (/^\d+$/.test(x.trim()) ? Number(x) : NaN));
  if (w.length !== 3 || w.some((x) => !(x > 0 && x <= 1024)) || w[0] > w[1] || w[1] > w[2]) {
    throw usage(`--widths must be three non-decreasing channel counts in 1..1024, e.g. 8,16,32 (got "${v}")`);
  }
  return ['--widths', w.join(',')];
}

/** --stem-kernel: width of the first convolution (default the paper's 3); odd, so padding k/2 keeps it centred. */
export function stemKernelFlag(v: string | undefined): string[] {
  if (v === undefined) return [];
  const k = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(k >= 3 && k <= 255 && k % 2 === 1)) throw usage(`--stem-kernel must be an odd kernel width in 3..255, e.g. 63 (got "${v}")`);
  return ['--stem-kernel', String(k)];
}

export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function defaultCache(ctx: CliContext): string {
  return path.join(ctx.cwd, '.cache', 'drsnd', 'prepared');
}

export const trainCommand: CliCommand = async (argv, ctx) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' }, out: { type: 'string' }, arch: { type: 'string', default: 'cw' },
        epochs: { type: 'string' }, seed: { type: 'string' }, 'per-class': { type: 'string' },
        'cross-load': { type: 'boolean' }, quick: { type: 'boolean' }, id: { type: 'string' }, cache: { type: 'string' },
        python: { type: 'string' }, 'band-limit': { type: 'string' }, 'snr-min': { type: 'string' },
        'model-version': { type: 'string' }, widths: { type: 'string' }, 'stem-kernel': { type: 'string' },
        input: { type: 'string', default: 'time' },
      },
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (!values.data) throw usage('--data is required');
  if (!values.out) throw usage('--out is required');
  if (!['cw', 'cs', 'resnet'].includes(values.arch!)) throw usage(`--arch must be cw, cs or resnet (got "${values.arch}")`);
  // envelope-orders: a DRSN-CW on the envelope-order spectrum (src/physics/order-spectrum.ts, issue 18); it
  // needs every record's rpm and bearing fault orders, which CWRU folders carry.
  if (!['time', 'envelope-orders'].includes(values.input!)) throw usage(`--input must be time or envelope-orders (got "${values.input}")`);
  if (values.input === 'envelope-orders' && (values.arch !== 'cw' || values['cross-load'] || values['stem-kernel'] !== undefined || values['band-limit'] !== undefined)) {
    throw usage('--input envelope-orders trains a DRSN-CW on the time-disjoint split at the model input\'s band limit: leave out --arch, --cross-load, --stem-kernel and --band-limit');
  }
  const args = ['train', '--arch', values.arch!, '--out', path.resolve(ctx.cwd, values.out),
    ...intFlag('epochs', values.epochs), ...intFlag('seed', values.seed), ...intFlag('per-class', values['per-class']),
    ...(values['cross-load'] ? ['--cross-load'] : []), ...(values.quick ? ['--quick'] : []),
    ...(values.id ? ['--id', values.id] : []), ...versionFlag(values['model-version']), ...snrMinFlag(values['snr-min']),
    ...widthsFlag(values.widths), ...stemKernelFlag(values['stem-kernel']), '--input', values.input!];
  const input = { ...MODEL_INPUT, bandLimitHz: bandLimitFlag(values['band-limit']) };
  const python = pythonExecutable(values.python);
  checkPython(python);
  const { dir } = prepareFromArg(values.data, path.resolve(ctx.cwd, values.cache ?? defaultCache(ctx)), ctx, input);
  // drsn.json records how the model was made, so a report can always name the command to reproduce it.
  const command = ['drsnd', 'train', ...argv].map(shellQuote).join(' ');
  return runPython([...args, '--data', dir, '--command', command], ctx, python);
};

// `drsnd ensemble`: one model folder from several trained ones (e.g. seeds of one recipe) whose output
// is the mean of their probabilities. Averaging two seeds lifted the wide model's −5 dB accuracy by about
// half a point on validation and test, for every pair of three seeds (models/drsn-cw-wide-x2-cwru/README.md);
// it costs one net's CPU per member.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DrsndError, ErrorCodes } from '../errors.js';
import { loadModel, PAPER_STEM_KERNEL, PAPER_WIDTHS } from '../model/metadata.js';
import type { ModelMetadata } from '../types.js';
import type { CliCommand } from './context.js';
import { checkPython, defaultCache, prepareFromArg, pythonExecutable, runPython, shellQuote, versionFlag } from './train.js';

function usage(message: string): DrsndError {
  return new DrsndError(ErrorCodes.USAGE, `${message}\nusage: drsnd ensemble <model dir> <model dir> [...] --out <model dir> ` +
    '[--data <cwru dir | recordings manifest | .mat folder>] [--id ID] [--model-version V] [--quick] [--cache DIR] [--python EXE]');
}

/** What members must share to be averaged: the same net shape, input and classes (the trainer checks again). */
function shape(m: ModelMetadata): string {
  return JSON.stringify([m.architecture, m.widths ?? PAPER_WIDTHS, m.stemKernel ?? PAPER_STEM_KERNEL, m.input, m.normalization, m.classes.map((c) => c.name)]);
}

export const ensembleCommand: CliCommand = async (argv, ctx) => {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' }, data: { type: 'string' }, id: { type: 'string' }, 'model-version': { type: 'string' },
        quick: { type: 'boolean' }, cache: { type: 'string' }, python: { type: 'string' },
      },
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (positionals.length < 2) throw usage(`an ensemble needs at least 2 model folders (got ${positionals.length})`);
  if (!values.out) throw usage('--out is required');
  if (values.id !== undefined && !/^[A-Za-z0-9_.-]+$/.test(values.id)) throw usage(`--id: use letters, digits, "_", "-" or "." (got "${values.id}")`);
  const members = positionals.map((m) => path.resolve(ctx.cwd, m));
  const metas = await Promise.all(members.map(async (m) => (await loadModel(m)).meta));
  const problems: string[] = [];
  metas.forEach((m, i) => {
    if (m.members !== undefined) problems.push(`${members[i]}: is itself an ensemble of ${m.members}; list its members instead`);
    if (!m.files.weights) problems.push(`${members[i]}: has no weights.json (needed to combine the nets)`);
    if (shape(m) !== shape(metas[0])) problems.push(`${members[i]}: architecture, widths, stem kernel, input or classes differ from ${members[0]}`);
  });
  if (problems.length > 0) throw new DrsndError(ErrorCodes.USAGE, `cannot combine these models:\n  ${problems.join('\n  ')}`, { details: problems });
  const python = pythonExecutable(values.python);
  checkPython(python);
  const args = ['ensemble', ...members.flatMap((m) => ['--member', m]), '--out', path.resolve(ctx.cwd, values.out),
    ...(values.id ? ['--id', values.id] : []), ...versionFlag(values['model-version']), ...(values.quick ? ['--quick'] : []),
    '--command', ['drsnd', 'ensemble', ...argv].map(shellQuote).join(' ')];
  if (values.data) {
    const { dir } = prepareFromArg(values.data, path.resolve(ctx.cwd, values.cache ?? defaultCache(ctx)), ctx, metas[0].input);
    args.push('--data', dir);
  } else {
    ctx.err.write('no --data: the ensemble is written without evaluation (drsn.json metrics stay empty)\n');
  }
  return runPython(args, ctx, python);
};

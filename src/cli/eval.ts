// `drsnd eval`: the test-split report (clean, noise sweep, time-stretch, per-class, confusion) for
// one or more model folders side by side, on data prepared exactly as for training.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DrsndError, ErrorCodes } from '../errors.js';
import { loadModel } from '../model/metadata.js';
import type { CliCommand } from './context.js';
import { checkPython, defaultCache, MODEL_INPUT, prepareFromArg, pythonExecutable, runPython } from './train.js';

function usage(message: string): DrsndError {
  return new DrsndError(ErrorCodes.USAGE, `${message}\nusage: drsnd eval --model <dir> [--model <dir> ...] --data <cwru dir | recordings manifest | .mat folder> ` +
    '[--out <report dir>] [--cross-load] [--title TEXT] [--prefix NAME] [--quick] [--cache DIR] [--python EXE]');
}

export const evalCommand: CliCommand = async (argv, ctx) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string', multiple: true }, data: { type: 'string' }, out: { type: 'string' },
        'cross-load': { type: 'boolean' }, title: { type: 'string' }, prefix: { type: 'string' },
        quick: { type: 'boolean' }, cache: { type: 'string' }, python: { type: 'string' },
      },
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (!values.model?.length) throw usage('--model is required');
  if (!values.data) throw usage('--data is required');
  const models = values.model.map((m) => path.resolve(ctx.cwd, m));
  // Default: a report next to the (first) model, so it travels with the model folder.
  const out = path.resolve(ctx.cwd, values.out ?? models[0]);
  const python = pythonExecutable(values.python);
  checkPython(python);
  // Every model of one report must share its input spec: they are scored on the same prepared windows.
  const inputs = await Promise.all(models.map(async (m) => (await loadModel(m)).meta.input));
  const spec = (i: (typeof inputs)[number]) => `${i.sampleRateHz} Hz, band limit ${i.bandLimitHz} Hz, window ${i.windowLength}${i.representation ? `, ${i.representation.kind}` : ''}`;
  const differ = inputs.find((i) => spec(i) !== spec(inputs[0]));
  if (differ) throw usage(`the models' inputs differ (${spec(inputs[0])} vs ${spec(differ)}); evaluate them separately`);
  // A representation's windows are as long as each record's speed needs, not input.windowLength (the most
  // a spectrum may use): prepare the data exactly as its training did, with the time-domain split minimum.
  const { sampleRateHz, bandLimitHz, windowLength, representation } = inputs[0];
  const prepSpec = { sampleRateHz, bandLimitHz, windowLength: representation ? MODEL_INPUT.windowLength : windowLength };
  const { dir } = prepareFromArg(values.data, path.resolve(ctx.cwd, values.cache ?? defaultCache(ctx)), ctx, prepSpec);
  return runPython(['eval', ...models.flatMap((m) => ['--model', m]), '--data', dir, '--out', out,
    '--title', values.title ?? `Evaluation of ${models.map((m) => path.basename(m)).join(', ')}`,
    ...(values.prefix ? ['--prefix', values.prefix] : []),
    ...(values['cross-load'] ? ['--cross-load'] : []), ...(values.quick ? ['--quick'] : [])], ctx, python);
};

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
    '[--out <report dir>] [--cross-load] [--title TEXT] [--prefix NAME] [--quick] [--cache DIR] [--python EXE]\n' +
    '       drsnd eval --model <dir> --uestc <UESTC dir> [--out <report dir>] [--engine auto|native|onnx|tfjs] [--segment N]\n' +
    '  --uestc: zero-shot on every UESTC recording through the daemon\'s own path, and the generated sensor-fault\n' +
    '  signals (uestc-zero-shot.md/.json in the report dir); --segment N keeps only segment N of each recording');
}

/** `--uestc`: the zero-shot evaluation in TypeScript, on the daemon's code path (src/physics/evaluate.ts). */
async function evalUestc(modelDir: string, dataDir: string, outDir: string, engineChoice: string, segment: number | undefined, ctx: Parameters<CliCommand>[1], argv: string[]): Promise<number> {
  const { existsSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { selectEngine } = await import('../model/select.js');
  const { evaluateUestc, evaluateFaultSignals } = await import('../physics/evaluate.js');
  const { uestcReport, uestcJson } = await import('../physics/eval-report.js');
  if (!existsSync(path.join(dataDir, 'manifest.json'))) throw new DrsndError(ErrorCodes.NOT_FOUND, `${dataDir}: no manifest.json (the UESTC folder of ../shared/data/uestc)`);
  if (!['auto', 'native', 'onnx', 'tfjs'].includes(engineChoice)) throw usage(`--engine must be auto, native, onnx or tfjs (got "${engineChoice}")`);
  const model = await loadModel(modelDir);
  const { engine } = await selectEngine({ modelDir: model.dir, meta: model.meta, engine: engineChoice as 'auto', backend: 'auto' });
  try {
    const t0 = Date.now();
    const results = await evaluateUestc(dataDir, {
      model: model.meta, engine, segment,
      onRecord: (r) => ctx.err.write(`${r.recordId}: ${r.windows} windows (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`),
    });
    const faults = await evaluateFaultSignals({ model: model.meta, engine });
    const report = { modelId: model.meta.id, modelVersion: model.meta.version, engine: engine.name, command: `drsnd eval ${argv.join(' ')}`, date: new Date().toISOString().slice(0, 10), subset: segment === undefined ? undefined : `segment ${segment} of each`, };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'uestc-zero-shot.md'), uestcReport(results, faults, report));
    writeFileSync(path.join(outDir, 'uestc-zero-shot.json'), `${JSON.stringify(uestcJson(results, faults, report), null, 1)}\n`);
    ctx.out.write(`${uestcReport(results, faults, report)}\nwritten: ${path.join(outDir, 'uestc-zero-shot.md')}\n`);
    return 0;
  } finally {
    await engine.dispose();
  }
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
        uestc: { type: 'string' }, engine: { type: 'string' }, segment: { type: 'string' },
      },
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (!values.model?.length) throw usage('--model is required');
  if (!values.data && !values.uestc) throw usage('--data or --uestc is required');
  const models = values.model.map((m) => path.resolve(ctx.cwd, m));
  // Default: a report next to the (first) model, so it travels with the model folder.
  const out = path.resolve(ctx.cwd, values.out ?? models[0]);
  if (values.uestc) {
    const segment = values.segment === undefined ? undefined : Number(values.segment);
    if (segment !== undefined && !(Number.isInteger(segment) && segment >= 1 && segment <= 5)) throw usage('--segment must be 1..5');
    const code = await evalUestc(models[0], path.resolve(ctx.cwd, values.uestc), out, values.engine ?? 'auto', segment, ctx, argv);
    if (code !== 0 || !values.data) return code;
  }
  if (!values.data) throw usage('--data is required');
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

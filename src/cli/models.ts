// `drsnd models`: the model folders under ./models (and the configured model.dir), what each expects
// as input and how well it scored, so a user can pick one before pointing model.dir at it.
// An invalid folder is listed with its error instead of stopping the listing.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DrsndError, ErrorCodes, isDrsndError } from '../errors.js';
import { loadModel, PAPER_STEM_KERNEL, PAPER_WIDTHS } from '../model/metadata.js';
import type { ModelMetadata } from '../types.js';
import type { CliCommand } from './context.js';

const USAGE = 'usage: drsnd models [--format table|json] [--dir <models folder>]...';

export interface ModelListing {
  dir: string;
  /** This is settings.model.dir, the model `drsnd run` would load. */
  configured: boolean;
  ok: boolean;
  id?: string;
  version?: string;
  architecture?: string;
  /** Channels of the three stages (the paper's [4, 8, 16] when drsn.json names none). */
  widths?: number[];
  /** Width of the first convolution (the paper's 3 when drsn.json names none). */
  stemKernel?: number;
  /** Nets averaged (drsn.json `members`); 1 for a single net. */
  members?: number;
  classes?: string[];
  input?: ModelMetadata['input'];
  normalization?: string;
  engines?: string[];
  /** Top-level numeric entries of drsn.json `metrics` (e.g. cleanAccuracy). */
  metrics?: Record<string, number>;
  error?: { code: string; message: string };
}

function subfolders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(root, d.name)).sort();
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function headlineMetrics(metrics: Record<string, unknown> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Lists the model folders found in `roots` plus `configuredDir` (which is listed even when broken or missing). */
export async function listModels(roots: string[], configuredDir: string): Promise<ModelListing[]> {
  const dirs = new Set<string>();
  for (const r of roots) for (const d of subfolders(r)) dirs.add(d);
  dirs.add(configuredDir);
  const out: ModelListing[] = [];
  for (const dir of dirs) {
    const configured = dir === configuredDir;
    try {
      const { meta } = await loadModel(dir);
      out.push({
        dir, configured, ok: true, id: meta.id, version: meta.version, architecture: meta.architecture, widths: [...(meta.widths ?? PAPER_WIDTHS)],
        stemKernel: meta.stemKernel ?? PAPER_STEM_KERNEL, members: meta.members ?? 1,
        classes: meta.classes.map((c) => c.name), input: meta.input, normalization: meta.normalization.method,
        engines: [...(meta.files.weights ? ['native'] : []), ...(meta.files.onnx ? ['onnx'] : []), ...(meta.files.weights ? ['tfjs'] : [])],
        metrics: headlineMetrics(meta.metrics),
      });
    } catch (e) {
      // Folders without drsn.json under models/ are not models (e.g. reports); only the configured one must be.
      if (isDrsndError(e, ErrorCodes.MODEL_NOT_FOUND) && !configured) continue;
      const code = isDrsndError(e) ? e.code : 'UNKNOWN';
      out.push({ dir, configured, ok: false, error: { code, message: (e as Error).message } });
    }
  }
  return out;
}

function fmtMetric(k: string, v: number): string {
  return `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`;
}

export function formatTable(rows: ModelListing[], cwd: string): string {
  const header = ['', 'ID', 'VERSION', 'ARCH', 'CLASSES', 'INPUT', 'ENGINES', 'METRICS', 'DIR'];
  const body = rows.map((r) => {
    const mark = r.configured ? '*' : '';
    const dir = path.relative(cwd, r.dir) || '.';
    if (!r.ok) return [mark, r.error!.code === ErrorCodes.MODEL_NOT_FOUND ? '(missing)' : '(invalid)', '', '', '', '', '', r.error!.message.split('\n').join(' '), dir];
    const i = r.input!;
    return [
      mark, r.id!, r.version!, `${r.architecture!} ${r.widths!.join('/')}${r.stemKernel !== PAPER_STEM_KERNEL ? ` stem ${r.stemKernel}` : ''}${r.members! > 1 ? ` ×${r.members}` : ''}`, String(r.classes!.length),
      `${i.windowLength}×${i.channels} @ ${i.sampleRateHz} Hz ${i.unit}${i.representation ? ` → ${i.representation.kind} ${i.representation.bins}` : ''}`, r.engines!.join(','),
      Object.entries(r.metrics!).map(([k, v]) => fmtMetric(k, v)).join(' ') || '-', dir,
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === cells.length - 1 ? s : s.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

export const modelsCommand: CliCommand = async (argv, ctx) => {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { format: { type: 'string', default: 'table' }, dir: { type: 'string', multiple: true } } }));
  } catch (e) {
    throw new DrsndError(ErrorCodes.USAGE, `${(e as Error).message}\n${USAGE}`);
  }
  if (values.format !== 'table' && values.format !== 'json') throw new DrsndError(ErrorCodes.USAGE, `--format must be table or json\n${USAGE}`);
  const roots = (values.dir ?? ['models']).map((d) => path.resolve(ctx.cwd, d));
  const missing = roots.filter((r) => !isDir(r) && values.dir !== undefined);
  if (missing.length > 0) throw new DrsndError(ErrorCodes.NOT_FOUND, `no such folder: ${missing.join(', ')}`);
  const configured = path.resolve(ctx.cwd, ctx.settings.model.dir);
  const rows = await listModels(roots, configured);
  if (values.format === 'json') {
    ctx.out.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    ctx.out.write(formatTable(rows, ctx.cwd));
    ctx.err.write('* = model.dir from the configuration (the model `drsnd run` loads)\n');
  }
  return 0;
};

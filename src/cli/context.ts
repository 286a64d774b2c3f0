import type { Settings } from '../config/schema.js';

/** What every subcommand gets from main.ts: validated settings and where to write. Returns the exit code. */
export interface CliContext {
  settings: Readonly<Settings>;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Working directory that relative paths in settings resolve against. */
  cwd: string;
}

export type CliCommand = (argv: string[], ctx: CliContext) => Promise<number>;

// How to start one of the project's worker threads: `<name>.js` next to the compiled caller; in
// development (the caller is .ts, run by tsx) a tiny bootstrap registers tsx's ESM hooks inside the
// worker and imports `<name>.ts`, because on Node 20 `execArgv: ['--import', 'tsx']` does not apply the
// hooks to a worker's entry.

/** The module a worker thread runs, and arguments appended to its process.argv. */
export interface WorkerScript {
  url: URL;
  argv?: string[];
}

/** `<name>.js` next to the calling module (`<name>.ts` when the caller runs as TypeScript). */
export function siblingScript(callerUrl: string, name: string): WorkerScript {
  return { url: new URL(`./${name}.${callerUrl.endsWith('.ts') ? 'ts' : 'js'}`, callerUrl) };
}

/** What `new Worker(entry, { eval })` needs to run the module at `url`. */
export function scriptEntry(url: URL): { entry: string | URL; eval: boolean } {
  if (!url.pathname.endsWith('.ts')) return { entry: url, eval: false };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return { entry: `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, eval: true };
}

export function workerSpec(callerUrl: string, name: string): { entry: string | URL; eval: boolean } {
  return scriptEntry(siblingScript(callerUrl, name).url);
}

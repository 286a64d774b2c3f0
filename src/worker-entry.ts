// How to start one of the project's worker threads: `<name>.js` next to the compiled caller; in
// development (the caller is .ts, run by tsx) a tiny bootstrap registers tsx's ESM hooks inside the
// worker and imports `<name>.ts`, because on Node 20 `execArgv: ['--import', 'tsx']` does not apply the
// hooks to a worker's entry.
export function workerSpec(callerUrl: string, name: string): { entry: string | URL; eval: boolean } {
  if (!callerUrl.endsWith('.ts')) return { entry: new URL(`./${name}.js`, callerUrl), eval: false };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  return { entry: `import(${api}).then((tsx) => { tsx.register(); return import(${worker}); });`, eval: true };
}

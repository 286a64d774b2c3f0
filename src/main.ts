#!/usr/bin/env node
// The only module that touches `process`: argv, signals, exit codes, sd_notify (STYLE: one composition root).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from './config/load.js';
import { isDrsndError, ErrorCodes } from './errors.js';
import type { CliCommand, CliContext } from './cli/context.js';

const USAGE = `drsnd — vibration condition monitoring with a Deep Residual Shrinkage Network

Usage: drsnd <command> [--config <file>] [options]

Commands:
  run             run the daemon (sources → DRSN → SQLite + MQTT)
  check-config    validate the configuration and print the effective settings [--json]
  history         diagnosis history  [--sensor S] [--asset A] [--class C] [--since T] [--until T] [--limit N] [--format table|json|csv]
  alerts          active alerts [--all] [--format table|json|csv];  alerts ack <id> [--by NAME];  alerts show <id> [--export F.csv|F.f32]
  models          list models with their metadata [--format table|json]
  train           train a model: --data <dir|manifest> --out <dir> [--arch cw|cs|resnet] [--epochs N] [--seed N] [--quick]
  eval            evaluate a model: --model <dir> --data <dir> [--out <dir>]
  ensemble        average trained models: <model dir> <model dir> [...] --out <dir> [--data <dir>] [--id ID]
  baseline        on-site baseline of a sensor, by the running daemon: start|stop|cancel <sensor> [--channel C] [--for 8h];  status [<sensor>]
  record          labelled live data from the running daemon into a recordings manifest: <sensor> --label L --seconds N --out DIR

Configuration: --config <file>, else $DRSND_CONFIG, else ./config/default.yaml, else built-in defaults.
Environment overrides: DRSND_<SETTING_PATH>, e.g. DRSND_MQTT_URL=mqtt://broker:1883.
`;

type Loader = () => Promise<CliCommand>;
const COMMANDS: Record<string, Loader> = {
  'check-config': async () => (await import('./cli/check-config.js')).checkConfigCommand,
  history: async () => (await import('./cli/history.js')).historyCommand,
  alerts: async () => (await import('./cli/alerts.js')).alertsCommand,
  models: async () => (await import('./cli/models.js')).modelsCommand,
  train: async () => (await import('./cli/train.js')).trainCommand,
  eval: async () => (await import('./cli/eval.js')).evalCommand,
  ensemble: async () => (await import('./cli/ensemble.js')).ensembleCommand,
  baseline: async () => (await import('./cli/baseline.js')).baselineCommand,
  record: async () => (await import('./cli/record.js')).recordCommand,
};

/** Splits `--config <file>` / `--config=<file>` out of argv. */
function takeConfigFlag(argv: string[]): { file?: string; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') file = argv[++i];
    else if (a.startsWith('--config=')) file = a.slice('--config='.length);
    else rest.push(a);
  }
  return { file, rest };
}

async function main(argv: string[]): Promise<number> {
  const { file: flagFile, rest } = takeConfigFlag(argv);
  const [command, ...args] = rest;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === 'version') {
    const { createRequire } = await import('node:module');
    process.stdout.write(`${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  if (!load && command !== 'run') {
    process.stderr.write(`drsnd: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const cwd = process.cwd();
  const defaultFile = path.join(cwd, 'config', 'default.yaml');
  const file = flagFile ?? process.env.DRSND_CONFIG ?? (existsSync(defaultFile) ? defaultFile : undefined);
  const settings = loadSettings({ file, env: process.env });
  const ctx: CliContext = { settings, out: process.stdout, err: process.stderr, cwd };
  if (command === 'run') return runDaemon(ctx);
  const cmd = await load!();
  return cmd(args, ctx);
}

/**
 * `drsnd run`: start the app, READY=1 when up, WATCHDOG=1 while alive; SIGTERM/SIGINT drain and exit 0.
 * A second signal during shutdown exits at once (1).
 */
async function runDaemon(ctx: CliContext): Promise<number> {
  const { createLogger } = await import('./log.js');
  const { createApp } = await import('./app.js');
  const { createSdNotifier } = await import('./util/sd-notify.js');
  const log = createLogger(ctx.settings.log.level);
  const notifier = createSdNotifier(log.child({ component: 'systemd' }));
  // A component that cannot go on (the database file deleted or replaced) stops the daemon with exit 1,
  // so systemd restarts it on a clean state.
  let fatal: (err: Error) => void = () => undefined;
  const app = createApp(ctx.settings, { log, cwd: ctx.cwd, onFatal: (err) => fatal(err) });
  let shuttingDown: Promise<number> | undefined;
  let firstSignalAt = 0;
  const shutdown = (signal: string): Promise<number> => {
    if (shuttingDown) {
      // `npm start` forwards Ctrl+C to us while the terminal sends it too: the same keypress arrives twice.
      // Only a signal a second or more later means "stop now".
      if (Date.now() - firstSignalAt < 1000) return shuttingDown;
      log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info({ signal }, 'shutting down');
    notifier.stopping();
    // No more watchdog pings: systemd's stop timeout governs from here.
    notifier.stopWatchdog();
    // The drain is bounded inside app.stop(); this is the last resort if something hangs anyway.
    setTimeout(() => {
      log.error('shutdown took longer than 25 s: exiting');
      process.exit(1);
    }, 25_000).unref();
    shuttingDown = app.stop().then(
      () => {
        log.info(app.stats(), 'stopped');
        notifier.stop();
        return 0;
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        return 1;
      },
    );
    return shuttingDown;
  };
  const done = new Promise<number>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void shutdown(sig).then(resolve));
    fatal = (err) => {
      log.fatal({ err }, 'stopping: cannot go on');
      void shutdown('fatal').then(() => resolve(1));
    };
  });
  try {
    await app.start();
  } catch (err) {
    await app.stop(3000).catch(() => undefined);
    throw err;
  }
  notifier.ready();
  notifier.startWatchdog(() => app.alive());
  return done;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isDrsndError(err)) {
      process.stderr.write(`drsnd [${err.code}]: ${err.message}\n`);
      process.exitCode = err.code === ErrorCodes.USAGE ? 2 : 1;
    } else {
      process.stderr.write(`drsnd: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

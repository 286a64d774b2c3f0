import { stringify } from 'yaml';
import type { CliCommand } from './context.js';

/** `drsnd check-config`: main.ts has already loaded and validated; print the effective settings. */
export const checkConfigCommand: CliCommand = async (argv, ctx) => {
  const asJson = argv.includes('--json');
  const redacted = {
    ...ctx.settings,
    mqtt: { ...ctx.settings.mqtt, password: ctx.settings.mqtt.password ? '***' : null },
    http: { ...ctx.settings.http, token: ctx.settings.http.token ? '***' : null },
  };
  ctx.out.write(asJson ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted));
  ctx.err.write(`configuration OK (${ctx.settings.sensors.length} sensor(s))\n`);
  return 0;
};

import { stringify } from 'yaml';
import { redactSecrets } from '../util/redact.js';
import type { CliCommand } from './context.js';

/** `drsnd check-config`: main.ts has already loaded and validated; print the effective settings. */
export const checkConfigCommand: CliCommand = async (argv, ctx) => {
  const asJson = argv.includes('--json');
  // Passwords and URL credentials never printed (mqtt.password, mqtt.embedded.password, http.token, mqtt.url's user:password@).
  const redacted = redactSecrets(ctx.settings);
  ctx.out.write(asJson ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted));
  ctx.err.write(`configuration OK (${ctx.settings.sensors.length} sensor(s))\n`);
  return 0;
};

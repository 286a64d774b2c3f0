// Asks the running daemon something only it knows or does (`drsnd baseline`, `drsnd record`): one MQTT
// request on <base>/request/<op> through the broker of the configuration (docs/topics.md, "Requests").
// MQTT 3.1.1 style (a transaction id, the reply on <base>/response/<op>): the embedded broker speaks
// nothing newer, and it works on every broker. A daemon that does not answer within the timeout is an
// error that says where the request went, never a hang.
import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes, type ErrorCode } from '../errors.js';
import { Topics } from '../publish/topics.js';
import { isTlsUrl, mqttTlsOptions } from '../util/mqtt-tls.js';
import { redactUrl } from '../util/redact.js';

export interface DaemonRequestOptions {
  settings: Readonly<Settings>;
  cwd: string;
  /** No reply within this long is DRSND_UNAVAILABLE. */
  timeoutMs: number;
  /** Reply parts after the first (a recording split over several messages) are awaited this long each. */
  partTimeoutMs?: number;
}

/** The broker drsnd uses with these settings, and the credentials its own clients log in with. */
export function brokerOf(settings: Readonly<Settings>): { url: string; username?: string; password?: string } {
  const m = settings.mqtt;
  if (m.url !== null) return { url: m.url, ...(m.username !== null ? { username: m.username } : {}), ...(m.password !== null ? { password: m.password } : {}) };
  const { host, port, username, password } = m.embedded;
  // An embedded broker bound to every interface is reached on loopback from here.
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { url: `mqtt://${h}:${port}`, ...(username !== null && password !== null ? { username, password } : {}) };
}

/**
 * Sends `params` as request `op` and resolves with the reply's `result` (or, for a reply in parts, each
 * part's result in order). A reply with ok: false becomes a DrsndError with the daemon's code.
 */
export async function daemonRequest(op: string, params: Record<string, unknown>, opts: DaemonRequestOptions): Promise<unknown[]> {
  const { settings } = opts;
  const { url, username, password } = brokerOf(settings);
  const base = new Topics(settings.mqtt.baseTopic, settings.gateway.id).base;
  const id = `cli-${randomBytes(6).toString('hex')}`;
  const options: IClientOptions = {
    clientId: `drsnd-${id}`, clean: true, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: Math.min(opts.timeoutMs, 10_000),
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
    ...(isTlsUrl(url) ? mqttTlsOptions(settings.mqtt.tls, opts.cwd) : {}),
  };
  const { connectAsync } = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectAsync(url, options, false);
  } catch (e) {
    throw new DrsndError(ErrorCodes.UNAVAILABLE, `cannot reach the MQTT broker at ${redactUrl(url)} (${(e as Error).message}): the daemon is asked through it; check mqtt.url (or mqtt.embedded) in the configuration and that \`drsnd run\` is running`, { cause: e });
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const replyTopic = `${base}/response/${op}`;
    const parts: unknown[] = [];
    const answered = new Promise<unknown[]>((resolve, reject) => {
      const noAnswer = () => new DrsndError(ErrorCodes.UNAVAILABLE, parts.length === 0
        ? `no answer from the daemon within ${(opts.timeoutMs / 1000).toFixed(0)} s on ${base}/request/${op} (broker ${redactUrl(url)}): is \`drsnd run\` running with this configuration (gateway.id "${settings.gateway.id}", mqtt.baseTopic "${settings.mqtt.baseTopic}") and mqtt.requests.enabled?`
        : `the daemon's reply stopped after ${parts.length} part(s); try again`);
      timer = setTimeout(() => reject(noAnswer()), opts.timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== replyTopic) return;
        let reply: { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
        try {
          reply = JSON.parse(payload.toString('utf8')) as typeof reply;
        } catch {
          return;
        }
        if (reply.id !== id) return;
        clearTimeout(timer);
        if (reply.ok !== true) {
          const code = typeof reply.error?.code === 'string' && (Object.values(ErrorCodes) as string[]).includes(reply.error.code) ? reply.error.code as ErrorCode : ErrorCodes.INTERNAL;
          reject(new DrsndError(code, String(reply.error?.message ?? 'the daemon refused the request')));
          return;
        }
        parts.push(reply.result);
        const of = (reply.result as { parts?: unknown } | null)?.parts;
        if (typeof of === 'number' && parts.length < of) {
          timer = setTimeout(() => reject(noAnswer()), opts.partTimeoutMs ?? opts.timeoutMs);
          return;
        }
        resolve(parts);
      });
    });
    // Handled below; this keeps a timeout during subscribe or publish from being an unhandled rejection.
    answered.catch(() => undefined);
    // Subscribed before the request goes out: the reply cannot come before we listen.
    await client.subscribeAsync(replyTopic, { qos: 1 });
    await client.publishAsync(`${base}/request/${op}`, JSON.stringify({ id, ...params }), { qos: 1 });
    return await answered;
  } finally {
    clearTimeout(timer);
    await client.endAsync(true).catch(() => undefined);
  }
}

// Request/response over MQTT (issue 20) for integrators who have the broker but not the gateway's
// HTTP port: `<base>/request/<op>` with a JSON object of parameters. MQTT 5: the reply goes to the
// request's Response Topic with its Correlation Data (§4.10). MQTT 3.1.1 has neither, so the request
// carries `"id"` (a transaction id) and the reply goes to `<base>/response/<op>` with that id. Every
// reply is { "id", "ok": true, "result" } or { "id", "ok": false, "error": { "code", "message" } }.
// Ops: history (the HTTP /diagnoses filters), alerts, alert, ack, sensors, health, baseline (start,
// stop, cancel, status: `drsnd baseline` uses it), record (`drsnd record`). Who may publish requests
// (and so acknowledge alerts, or start a baseline) is the broker's ACL on <base>/request/#.
import type { IPublishPacket } from 'mqtt';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import type { Publisher } from '../publish/publisher.js';
import { errorResponse } from '../http/respond.js';
import type { ApiService, Params } from './service.js';
import { JsonText, ReplyParts } from './pages.js';


/** Requests are a few parameters; anything bigger is refused unread. */
const MAX_REQUEST_BYTES = 4096;

export interface MqttRequestsOptions {
  publisher: Pick<Publisher, 'topics' | 'subscribe' | 'send'>;
  api: ApiService;
  log: Logger;
}

type Op = (p: Record<string, unknown>) => unknown;

export class MqttRequests {
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private unsubscribe: (() => void) | undefined;
  private readonly ops: Record<string, Op>;
  readonly stats = { requests: 0, failed: 0 };

  constructor(private readonly opts: MqttRequestsOptions) {
    this.log = opts.log.child({ component: 'mqtt-requests' });
    this.limited = new RateLimitedLog(this.log, 30_000);
    const { api } = opts;
    this.ops = {
      history: (p) => api.diagnoses(strings(p)),
      alerts: (p) => api.alerts(strings(p)),
      alert: (p) => { only(p, ['alertId']); return api.alert(idText(p.alertId)); },
      ack: (p) => { only(p, ['alertId', 'by']); return api.acknowledge(idText(p.alertId), p.by, 'mqtt'); },
      sensors: (p) => { only(p, []); return api.sensors(); },
      health: (p) => { only(p, []); return api.health(); },
      baseline: (p) => api.baseline(strings(p)),
      record: (p) => api.record(strings(p)),
    };
  }

  start(): void {
    const base = this.opts.publisher.topics.base;
    this.unsubscribe = this.opts.publisher.subscribe(`${base}/request/+`, (topic, payload, packet) => void this.handle(topic, payload, packet));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    this.stats.requests++;
    const op = topic.slice(topic.lastIndexOf('/') + 1);
    const props = packet.properties;
    const responseTopic = props?.responseTopic ?? `${this.opts.publisher.topics.base}/response/${op}`;
    let id: unknown = null;
    let reply: Record<string, unknown>;
    let text: string | undefined;
    try {
      const params = parse(payload);
      id = params.id ?? null;
      delete params.id;
      const fn = this.ops[op];
      if (!fn) throw new DrsndError(ErrorCodes.USAGE, `unknown request "${op}" (known: ${Object.keys(this.ops).join(', ')})`);
      const result = await fn(params);
      if (result instanceof ReplyParts) {
        // Each part its own message, in order (QoS 1 on one topic keeps the order, MQTT 3.1.1 §4.6).
        for (const part of result.parts) this.reply(responseTopic, JSON.stringify({ id, ok: true, result: part }), props?.correlationData, op);
        return;
      }
      // A page from the read thread is JSON text already: spliced in, not parsed and stringified again.
      reply = { id, ok: true, result };
      if (result instanceof JsonText) text = `{"id":${JSON.stringify(id ?? null)},"ok":true,"result":${result.text}}`;
    } catch (e) {
      this.stats.failed++;
      if (!(e instanceof DrsndError)) this.log.error({ err: e, op }, 'MQTT request failed');
      reply = { id, ok: false, error: errorResponse(e).body.error };
    }
    this.reply(responseTopic, text ?? JSON.stringify(reply), props?.correlationData, op);
  }

  private reply(responseTopic: string, text: string, correlationData: Buffer | undefined, op: string): void {
    const sent = this.opts.publisher.send(responseTopic, text, {
      properties: correlationData ? { correlationData } : undefined,
    });
    if (!sent) this.limited.warn('reply', { op, responseTopic }, 'MQTT reply not sent (disconnected, or larger than mqtt.maxPayloadBytes: ask for a smaller limit)');
  }
}

function parse(payload: Buffer): Record<string, unknown> {
  if (payload.length > MAX_REQUEST_BYTES) throw new DrsndError(ErrorCodes.USAGE, `request larger than ${MAX_REQUEST_BYTES} bytes`);
  const text = payload.toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new DrsndError(ErrorCodes.USAGE, 'a request is a JSON object of parameters, e.g. {"sensor": "pump1-de", "limit": 10}');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DrsndError(ErrorCodes.USAGE, 'a request is a JSON object of parameters');
  return v as Record<string, unknown>;
}

/** The HTTP query parameters, from JSON: strings and numbers become their text. */
function strings(p: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new DrsndError(ErrorCodes.USAGE, `parameter "${k}" must be a string or a number`);
    out[k] = String(v);
  }
  return out;
}

function only(p: Record<string, unknown>, names: string[]): void {
  for (const k of Object.keys(p)) if (!names.includes(k)) throw new DrsndError(ErrorCodes.USAGE, `unknown parameter "${k}"${names.length ? ` (known: ${names.join(', ')})` : ''}`);
}

function idText(v: unknown): string | undefined {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : undefined;
}

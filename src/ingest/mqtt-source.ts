// MQTT sensors: one client per sensor subscribed to its topic filter, payloads decoded per `format`
// (docs/formats.md). A fixed client id with a persistent session (clean: false, QoS 1) lets the broker
// queue readings while we reconnect; we subscribe again on every connect anyway, because a broker
// restarted without persistence has forgotten the session (sessionPresent = false).
import { connect, type IClientOptions } from 'mqtt';
import { Observable } from 'rxjs';
import type { SensorSettings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Frame } from '../types.js';
import { backlogEmitter } from './backlog-emitter.js';
import { ArrivalClock } from './decoders/arrival-clock.js';
import { decodeBinaryPayload } from './decoders/binary-payload.js';
import { decodeJsonPayload } from './decoders/json-payload.js';
import type { DecodeResult, PayloadMeta } from './decoders/payload.js';
import type { SourceContext } from './source.js';
import { redactUrl } from '../util/redact.js';

/** Largest packet accepted from the broker: the payload bound plus room for topic and properties. */
export const maxPacketBytes = (maxPayloadBytes: number): number => Math.min(maxPayloadBytes + 65_536, 268_435_455);

export function createMqttSource(sensor: SensorSettings, ctx: SourceContext): Observable<Frame> {
  const cfg = sensor.source;
  if (cfg.type !== 'mqtt') throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" is not an MQTT sensor`);
  const url = ctx.mqttUrl;
  if (!url) throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" reads MQTT but no broker URL was given (mqtt.url or the embedded broker)`);
  const now = ctx.now ?? Date.now;
  const meta: PayloadMeta = { rateHz: sensor.rateHz, unit: sensor.unit, axes: sensor.axes };
  const decode = (payload: Uint8Array): DecodeResult => cfg.format === 'json'
    ? decodeJsonPayload(payload, meta, ctx.maxPayloadBytes)
    : decodeBinaryPayload(payload, meta, cfg.format, cfg.scale, ctx.maxPayloadBytes);
  const o = ctx.mqttOptions ?? {};
  const protocolVersion = o.protocolVersion ?? 5;
  const options: IClientOptions = {
    clientId: `${o.clientIdPrefix ?? `drsnd-${ctx.gatewayId ?? 'gateway'}`}-src-${sensor.id}`,
    clean: false,
    // We resubscribe ourselves on every connect; mqtt.js doing it too would double the SUBSCRIBEs.
    resubscribe: false,
    reconnectPeriod: o.reconnectPeriodMs ?? 2_000,
    connectTimeout: 10_000,
    protocolVersion,
    // MQTT 5: the broker must not send us a packet above maximumPacketSize (§3.1.2.11.4): it drops an
    // oversize payload instead of us receiving megabytes only to refuse them (issue 19 measured RSS
    // 649 MB for 10 MB payloads). Slack for the topic and properties of a payload at the limit.
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: o.sessionExpirySec ?? 3_600, maximumPacketSize: maxPacketBytes(ctx.maxPayloadBytes) } } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...o.tls,
  };

  return new Observable<Frame>((subscriber) => {
    const log = ctx.log.child({ component: 'mqtt-source', sensor: sensor.id, topic: cfg.topic });
    const clock = new ArrivalClock(sensor.rateHz);
    // With a persistent session the broker delivers what it queued while we were away in one burst.
    const backlog = backlogEmitter({ sensor, source: 'mqtt', detail: { topic: cfg.topic }, ctx, out: subscriber, clock });
    let connectedOnce = false;
    let down = false;
    let breakNext = false;
    const client = connect(url, options);

    client.on('connect', (connack) => {
      if (connectedOnce) {
        log.info({ sessionPresent: connack.sessionPresent }, 'broker reconnected');
        breakNext = true;
        clock.reset();
      }
      backlog.opened();
      if (!connectedOnce) {
        log.info({ url: redactUrl(url), sessionPresent: connack.sessionPresent }, 'connected to broker');
      }
      connectedOnce = true;
      down = false;
      errorLogged = false;
      client.subscribe(cfg.topic, { qos: 1 }, (err, granted) => {
        if (err) log.error({ err: err.message }, 'subscribe failed');
        else if (granted?.some((g) => g.qos >= 128)) log.error({ granted }, 'broker refused the subscription (check the topic filter and ACLs)');
        else log.info({ qos: granted?.[0]?.qos }, 'subscribed');
      });
    });
    const lost = (what: string) => () => {
      if (down) return;
      down = true;
      log.warn(connectedOnce ? `broker connection lost (${what}); reconnecting` : 'broker unreachable; retrying');
    };
    client.on('offline', lost('offline'));
    client.on('close', lost('closed'));
    let errorLogged = false;
    client.on('error', (err) => {
      // Refused connections repeat every reconnect period: the first error of an outage says why
      // (refused, not authorized, ...), the repeats go to debug.
      if (errorLogged) log.debug({ err: err.message }, 'mqtt error');
      else log.warn({ err: err.message }, 'mqtt error');
      errorLogged = true;
    });
    client.on('message', (topic, payload) => {
      const arrival = now();
      const r = decode(payload);
      if (!r.ok) {
        ctx.badInput.reject(sensor.id, 'mqtt', r.reason, { topic, ...r.detail });
        return;
      }
      const { channels, rateHz, unit } = r.block;
      let t0 = r.block.t0;
      let continuous = true;
      if (t0 === undefined) ({ t0, continuous } = clock.place(channels[0].length, arrival));
      const frame: Frame = { sensorId: sensor.id, t0, rateHz, unit, axes: sensor.axes, channels };
      if (breakNext || !continuous) frame.discontinuity = true;
      breakNext = false;
      backlog.emit(frame, arrival, r.block.t0 === undefined);
    });

    return () => {
      backlog.release();
      client.removeAllListeners();
      // end(true) may still surface a socket error; the daemon must not die of it.
      client.on('error', () => {});
      client.end(true);
    };
  });
}

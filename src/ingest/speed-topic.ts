// A sensor's shaft speed from an MQTT topic (sensor machine.speed.topic), stamped on its frames so the
// speed travels with the samples to whichever thread runs the physics (Frame.shaftHz). Payload: the
// speed in rpm, as a plain number ("1797.5") or JSON with an `rpm` field ({"rpm": 1797.5, ...}).
import { connect, type IClientOptions } from 'mqtt';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Frame } from '../types.js';
import type { SourceContext } from './source.js';

/** A speed older than this is not stamped: the physics then says no speed was received. */
export const SPEED_STALE_MS = 30_000;

/** Parses one payload into Hz, or a reason it is not a speed. */
export function parseRpm(payload: Uint8Array): { hz: number } | { reason: string } {
  const text = Buffer.from(payload).toString('utf8').trim();
  let rpm: unknown = Number(text);
  if (text === '' || !Number.isFinite(rpm)) {
    try {
      rpm = (JSON.parse(text) as { rpm?: unknown } | null)?.rpm;
    } catch {
      return { reason: 'speed payload is neither a number nor JSON with "rpm"' };
    }
  }
  if (typeof rpm !== 'number' || !Number.isFinite(rpm) || rpm <= 0 || rpm > 1e6) return { reason: 'speed payload has no positive rpm' };
  return { hz: rpm / 60 };
}

/** Shaft speeds (Hz) published on `topic`, for sensor `sensorId`; cold: subscribing connects. */
export function speedTopic(sensorId: string, topic: string, ctx: SourceContext): Observable<number> {
  return new Observable<number>((subscriber) => {
    const url = ctx.mqttUrl;
    const log = ctx.log.child({ component: 'speed-topic', sensor: sensorId, topic });
    if (!url) {
      log.error('machine.speed.topic needs a broker (mqtt.url or the embedded broker); no speed');
      return undefined;
    }
    const o = ctx.mqttOptions ?? {};
    const options: IClientOptions = {
      clientId: `${o.clientIdPrefix ?? `drsnd-${ctx.gatewayId ?? 'gateway'}`}-rpm-${sensorId}`,
      clean: true,
      reconnectPeriod: o.reconnectPeriodMs ?? 2_000,
      protocolVersion: o.protocolVersion ?? 5,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    };
    const client = connect(url, options);
    client.on('connect', () => client.subscribe(topic, { qos: 0 }, (err) => { if (err) log.error({ err: err.message }, 'speed subscribe failed'); }));
    client.on('error', (err) => log.debug({ err: err.message }, 'speed topic mqtt error'));
    client.on('message', (_t, payload) => {
      const r = parseRpm(payload);
      if ('reason' in r) ctx.badInput.reject(sensorId, 'speed-topic', r.reason, { topic });
      else subscriber.next(r.hz);
    });
    return () => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
    };
  });
}

/** Stamps each frame with the latest speed that is not older than SPEED_STALE_MS. */
export function stampSpeed(speeds: Observable<number>, now: () => number = Date.now): MonoTypeOperatorFunction<Frame> {
  return (frames) => new Observable<Frame>((subscriber) => {
    let latest: { hz: number; at: number } | undefined;
    const speedSub = speeds.subscribe({ next: (hz) => { latest = { hz, at: now() }; }, error: () => { latest = undefined; } });
    const frameSub = frames.subscribe({
      next: (f) => subscriber.next(latest && now() - latest.at <= SPEED_STALE_MS ? { ...f, shaftHz: latest.hz } : f),
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => {
      frameSub.unsubscribe();
      speedSub.unsubscribe();
    };
  });
}

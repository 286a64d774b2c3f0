// One entry point from configuration to a sensor's frame stream. Every source is cold: subscribing
// opens its port or connection, unsubscribing closes it and releases every listener and timer.
// Subscribe once per sensor (share() it if several consumers need it): a second subscription opens
// a second port/connection, and for MQTT the fixed client id makes two clients evict each other.
import type { Observable } from 'rxjs';
import type { SensorSettings } from '../config/schema.js';
import type { BadInputSink } from '../bad-input.js';
import type { Logger } from '../log.js';
import type { Frame } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { MqttTlsOptions } from '../util/mqtt-tls.js';
import { createMqttSource } from './mqtt-source.js';
import { createReplaySource } from './replay-source.js';
import { createSerialSource } from './serial-source.js';
import { createSimulatorSource } from './simulator-source.js';

/** MQTT connection settings a source may need (settings.mqtt). */
export interface SourceMqttOptions {
  /**
   * Client ids are `<prefix>-src-<sensorId>` (default prefix `drsnd-<gatewayId>`): fixed, so the broker
   * keeps each sensor's session across restarts, and distinct from the publisher's own client id.
   */
  clientIdPrefix?: string;
  username?: string;
  password?: string;
  protocolVersion?: 4 | 5;
  reconnectPeriodMs?: number;
  /** MQTT 5 only: how long the broker keeps the session (and queues QoS 1 data) while we are away. */
  sessionExpirySec?: number;
  /** TLS for mqtts:// (src/util/mqtt-tls.ts). */
  tls?: MqttTlsOptions;
}

export interface SourceContext {
  log: Logger;
  badInput: BadInputSink;
  /** Broker for `mqtt` sources (settings.mqtt.url, or the embedded broker's URL). */
  mqttUrl?: string;
  mqttOptions?: SourceMqttOptions;
  /** Gateway id, used in default MQTT client ids. */
  gatewayId?: string;
  /** Largest MQTT payload or serial frame accepted, checked before parsing. */
  maxPayloadBytes: number;
  /** Wall clock for arrival timestamps; tests inject their own. */
  now?: () => number;
  /** Timers of reconnect back-off (serial ports); tests run them in virtual time. Default real time. */
  clock?: Clock;
}

export type SourceFactory = (sensor: SensorSettings, ctx: SourceContext) => Observable<Frame>;

export function createSource(sensor: SensorSettings, ctx: SourceContext): Observable<Frame> {
  switch (sensor.source.type) {
    case 'serial': return createSerialSource(sensor, ctx);
    case 'mqtt': return createMqttSource(sensor, ctx);
    case 'replay': return createReplaySource(sensor, ctx);
    case 'simulator': return createSimulatorSource(sensor, ctx);
  }
}

// Everything drsnd tells mqtt.js about the connection, in one place (credentials and transport options
// are added here, nothing else builds client options).
import type { IClientOptions } from 'mqtt';
import type { Settings } from '../config/schema.js';

export type MqttSettings = Settings['mqtt'];

/**
 * MQTT 5 ends a session at disconnect unless Session Expiry Interval is set (§3.1.2.11.2), which
 * would silently undo clean=false. A day outlives any reconnect gap yet lets the broker forget a
 * decommissioned gateway.
 */
export const SESSION_EXPIRY_SEC = 86_400;

/**
 * Fixed client id and a persistent session (zigbee2mqtt's convention): QoS 1 messages the broker has
 * not acknowledged are resent by mqtt.js on reconnect, and the outbox resends what a restart lost.
 * The last will says `offline`, retained.
 */
export function mqttClientOptions(m: MqttSettings, gatewayId: string, statusTopic: string): IClientOptions {
  return {
    clientId: m.clientId ?? `drsnd-${gatewayId}`,
    clean: false,
    protocolVersion: m.protocolVersion,
    reconnectPeriod: m.reconnectMs,
    connectTimeout: Math.max(5_000, m.reconnectMs * 2),
    keepalive: 30,
    resubscribe: false,
    queueQoSZero: false,
    will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    ...(m.protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_SEC } } : {}),
    ...(m.username !== null ? { username: m.username } : {}),
    ...(m.password !== null ? { password: m.password } : {}),
  };
}

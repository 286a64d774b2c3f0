// mqtt.tls → the TLS options MQTT.js passes to Node's tls.connect, for the publisher and MQTT sensor
// sources alike. Files are read once at start, so a missing or unreadable one is a clear error then,
// not a failed handshake repeated every reconnect.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';

export type MqttTlsSettings = Settings['mqtt']['tls'];

export interface MqttTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: boolean;
}

export function mqttTlsOptions(tls: MqttTlsSettings, cwd: string): MqttTlsOptions {
  const read = (name: 'ca' | 'cert' | 'key', file: string | null): Buffer | undefined => {
    if (file === null) return undefined;
    const abs = path.resolve(cwd, file);
    try {
      return readFileSync(abs);
    } catch (e) {
      throw new DrsndError(ErrorCodes.CONFIG_INVALID, `mqtt.tls.${name}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  };
  const out: MqttTlsOptions = { rejectUnauthorized: tls.verify };
  const ca = read('ca', tls.ca);
  const cert = read('cert', tls.cert);
  const key = read('key', tls.key);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (tls.servername !== null) out.servername = tls.servername;
  return out;
}

/** True when the URL's scheme runs over TLS (mqtt.tls applies only then). */
export const isTlsUrl = (url: string): boolean => /^(mqtts|wss|ssl|tls):\/\//i.test(url);

// Sparkplug B edge node (issue 20; opt-in, sparkplug.enabled), Eclipse Sparkplug 3.0: the gateway is
// an edge node, each sensor a device. NBIRTH (with bdSeq and `Node Control/Rebirth`), then a DBIRTH per
// sensor; DDATA with the metrics that changed whenever the sensor's health changes; NDEATH as the
// connection's last will (same bdSeq) and before a clean stop; a rebirth on NCMD `Node Control/Rebirth`.
// Its own MQTT connection: Sparkplug needs NDEATH as the will, and a connection has one will (the
// daemon's says `offline` on <base>/status). Clean session, as the spec requires for edge nodes.
import { connect, type MqttClient } from 'mqtt';
import type { AlertsUpdate } from '../alerts/alerts.js';
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import type { HealthPayload } from '../publish/payloads.js';
import { mqttClientOptions } from '../publish/client-options.js';
import { decodePayload, encodePayload, type Metric } from './sparkplug-codec.js';

export interface SparkplugOptions {
  settings: Settings['sparkplug'];
  mqtt: Settings['mqtt'];
  url: string;
  gatewayId: string;
  alerts: { onUpdate(fn: (u: AlertsUpdate) => void): () => void; sensorStates(): HealthPayload[] };
  /** Class name → component (model classes), for the `component` metric. */
  components: ReadonlyMap<string, string | null>;
  log: Logger;
  now?: () => number;
}

const NAMESPACE = 'spBv1.0';

export class SparkplugNode {
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly now: () => number;
  /** Birth/death sequence: the value in this connection's will and NBIRTH (0-255, +1 per connect). */
  private bdSeq = 0;
  private seq = 0;
  private readonly last = new Map<string, Map<string, string>>();
  private unsubscribe: (() => void) | undefined;
  private readonly node: string;
  readonly stats = { births: 0, data: 0, rebirths: 0 };

  constructor(private readonly opts: SparkplugOptions) {
    this.log = opts.log.child({ component: 'sparkplug' });
    this.limited = new RateLimitedLog(this.log, 30_000);
    this.now = opts.now ?? Date.now;
    this.node = opts.settings.edgeNodeId ?? opts.gatewayId;
  }

  topic(type: string, device?: string): string {
    return `${NAMESPACE}/${this.opts.settings.groupId}/${type}/${this.node}${device ? `/${device}` : ''}`;
  }

  start(): void {
    const base = mqttClientOptions(this.opts.mqtt, this.opts.gatewayId, this.topic('NDEATH'));
    const { properties: _sessionExpiry, ...rest } = base;
    const client = connect(this.opts.url, {
      ...rest, clientId: `${base.clientId}-spb`, clean: true, will: this.will(),
    });
    this.client = client;
    client.on('connect', () => this.born());
    // The next connect is a new session: its will (and then its NBIRTH) carry the next bdSeq.
    client.on('close', () => {
      this.bdSeq = (this.bdSeq + 1) % 256;
      client.options.will = this.will();
    });
    client.on('error', (err) => this.limited.warn('error', { err }, 'sparkplug: mqtt error'));
    client.on('message', (topic, payload) => this.command(topic, payload));
    this.unsubscribe = this.opts.alerts.onUpdate((u) => { if (u.type === 'health') this.data(u.health); });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      // A clean stop says NDEATH itself (spec 7.1): the broker sends no will after DISCONNECT.
      await client.publishAsync(this.topic('NDEATH'), this.deathPayload(), { qos: 1 }).catch(() => undefined);
    }
    await client.endAsync().catch(() => client.end(true));
  }

  private will() {
    return { topic: this.topic('NDEATH'), payload: this.deathPayload(), qos: 1 as const, retain: false };
  }

  private deathPayload(): Buffer {
    return encodePayload({ timestamp: this.now(), metrics: [{ name: 'bdSeq', type: 'Int64', value: this.bdSeq }] });
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  /** NBIRTH then every DBIRTH, seq from 0 (after each connect, and on a rebirth command). */
  private born(): void {
    const client = this.client;
    if (!client) return;
    client.subscribe(this.topic('NCMD'), { qos: 1 });
    this.seq = 0;
    const ts = this.now();
    client.publish(this.topic('NBIRTH'), encodePayload({
      timestamp: ts, seq: this.nextSeq(),
      metrics: [{ name: 'bdSeq', type: 'Int64', value: this.bdSeq }, { name: 'Node Control/Rebirth', type: 'Boolean', value: false }],
    }), { qos: 0 });
    this.last.clear();
    for (const h of this.opts.alerts.sensorStates()) {
      const metrics = this.metrics(h);
      this.last.set(h.sensorId, new Map(metrics.map((m) => [m.name, String(m.value)])));
      client.publish(this.topic('DBIRTH', h.sensorId), encodePayload({ timestamp: ts, seq: this.nextSeq(), metrics }), { qos: 0 });
    }
    this.stats.births++;
    this.log.info({ bdSeq: this.bdSeq, devices: this.last.size }, 'sparkplug: NBIRTH and DBIRTHs sent');
  }

  private metrics(h: HealthPayload): Metric[] {
    const cls = h.lastClass ?? '';
    return [
      { name: 'status', type: 'String', value: h.status },
      { name: 'class', type: 'String', value: cls },
      { name: 'component', type: 'String', value: (cls && this.opts.components.get(cls)) || '' },
      { name: 'confidence', type: 'Double', value: h.confidence ?? 0 },
      { name: 'alert/active', type: 'Boolean', value: h.activeAlert !== null },
      { name: 'alert/class', type: 'String', value: h.activeAlert?.className ?? '' },
    ];
  }

  /** DDATA with the metrics that changed; a device not born yet (added since) waits for the next birth. */
  private data(h: HealthPayload): void {
    const client = this.client;
    const before = this.last.get(h.sensorId);
    if (!client?.connected || !before) return;
    const changed = this.metrics(h).filter((m) => before.get(m.name) !== String(m.value));
    if (changed.length === 0) return;
    for (const m of changed) before.set(m.name, String(m.value));
    this.stats.data++;
    client.publish(this.topic('DDATA', h.sensorId), encodePayload({ timestamp: this.now(), seq: this.nextSeq(), metrics: changed }), { qos: 0 });
  }

  private command(topic: string, payload: Buffer): void {
    if (topic !== this.topic('NCMD')) return;
    try {
      const cmd = decodePayload(payload);
      if (cmd.metrics.some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) {
        this.stats.rebirths++;
        this.log.info('sparkplug: rebirth requested');
        this.born();
      }
    } catch (err) {
      this.limited.warn('ncmd', { err }, 'sparkplug: unreadable NCMD ignored');
    }
  }
}

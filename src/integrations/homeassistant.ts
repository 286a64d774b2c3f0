// Home Assistant MQTT discovery (issue 20; opt-in, homeassistant.enabled): one device per asset, and
// per sensor four entities read from its retained health topic: status, class, confidence and an
// active-alert problem sensor. Availability follows <base>/status (online, and the last will offline).
// The discovery messages are retained, so a Home Assistant that starts later finds them, and sent again
// whenever Home Assistant announces `online` on <prefix>/status (its birth message), as its docs ask.
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
import type { Settings } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Publisher } from '../publish/publisher.js';
import type { SensorMeta } from '../types.js';

export interface HomeAssistantOptions {
  settings: Settings['homeassistant'];
  gatewayId: string;
  sensors: readonly SensorMeta[];
  publisher: Pick<Publisher, 'topics' | 'retain' | 'subscribe'>;
  modelId: string;
  log: Logger;
}

interface Entity {
  component: 'sensor' | 'binary_sensor';
  key: string;
  name: string;
  extra: Record<string, unknown>;
}

const ENTITIES: Entity[] = [
  { component: 'sensor', key: 'status', name: 'status', extra: { value_template: '{{ value_json.status }}', icon: 'mdi:heart-pulse' } },
  { component: 'sensor', key: 'class', name: 'class', extra: { value_template: '{{ value_json.lastClass }}', icon: 'mdi:sine-wave' } },
  { component: 'sensor', key: 'confidence', name: 'confidence', extra: { value_template: '{{ value_json.confidence }}', state_class: 'measurement', icon: 'mdi:percent' } },
  {
    component: 'binary_sensor', key: 'alert', name: 'active alert',
    extra: { value_template: "{{ 'ON' if value_json.activeAlert else 'OFF' }}", device_class: 'problem', json_attributes_topic: '', json_attributes_template: '{{ value_json.activeAlert | tojson }}' },
  },
];

/** Home Assistant object ids: letters, digits, underscore. */
const slug = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

export class HomeAssistantDiscovery {
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: HomeAssistantOptions) {
    this.log = opts.log.child({ component: 'homeassistant' });
  }

  start(): void {
    this.announce();
    this.unsubscribe = this.opts.publisher.subscribe(`${this.opts.settings.discoveryPrefix}/status`, (_topic, payload) => {
      if (payload.toString().trim() !== 'online') return;
      this.log.info('Home Assistant came online: discovery sent again');
      this.announce();
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Every discovery message (topic → payload). */
  messages(): Map<string, string> {
    const { gatewayId, sensors, publisher, settings, modelId } = this.opts;
    const node = slug(`drsnd_${gatewayId}`);
    const out = new Map<string, string>();
    for (const s of sensors) {
      const device = {
        identifiers: [`drsnd_${gatewayId}_${s.asset}`], name: s.asset, manufacturer: 'drsnd', model: modelId,
      };
      const state = publisher.topics.health(s.asset, s.id);
      for (const e of ENTITIES) {
        const objectId = slug(`${s.id}_${e.key}`);
        const extra = { ...e.extra };
        if ('json_attributes_topic' in extra) extra.json_attributes_topic = state;
        const config = {
          name: `${s.id} ${e.name}`, unique_id: `drsnd_${gatewayId}_${objectId}`, object_id: `drsnd_${gatewayId}_${objectId}`,
          state_topic: state, availability_topic: publisher.topics.status(), payload_available: 'online', payload_not_available: 'offline',
          device, origin: { name: 'drsnd' }, ...extra,
        };
        out.set(`${settings.discoveryPrefix}/${e.component}/${node}/${objectId}/config`, JSON.stringify(config));
      }
    }
    return out;
  }

  private announce(): void {
    // Retained and kept by the publisher, which sends them again after every reconnect.
    for (const [topic, payload] of this.messages()) this.opts.publisher.retain(topic, payload);
  }
}

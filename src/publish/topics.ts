// Topic layout (docs/topics.md). Pure: one place decides every topic name drsnd publishes.
//   <base>/status                     retained online|offline (last will)
//   <base>/<asset>/<sensor>/diagnosis  every diagnosis, QoS 1
//   <base>/<asset>/<sensor>/health     retained latest state, expires (MQTT 5)
//   <base>/<asset>/<sensor>/alert      retained while an alert is active, emptied when it clears
//   <base>/events/alert                every alert transition
// Levels never collide: status has one level after <base>, events two, per-sensor topics three.
import { DrsndError, ErrorCodes } from '../errors.js';

/** A topic level may not be empty or contain a separator or wildcard (MQTT 3.1.1 §4.7). */
function level(value: string, what: string): string {
  if (value.length === 0 || /[/+#\u0000]/.test(value)) {
    throw new DrsndError(ErrorCodes.CONFIG_INVALID, `${what} "${value}" cannot be an MQTT topic level (no "/", "+", "#" or empty)`);
  }
  return value;
}

export class Topics {
  readonly base: string;

  /** `baseTopic` may span levels ("plant/drsnd"); `gatewayId` is one level. */
  constructor(baseTopic: string, gatewayId: string) {
    const trimmed = baseTopic.replace(/\/+$/, '');
    trimmed.split('/').forEach((l) => level(l, 'mqtt.baseTopic level'));
    this.base = `${trimmed}/${level(gatewayId, 'gateway.id')}`;
  }

  status(): string {
    return `${this.base}/status`;
  }

  diagnosis(asset: string, sensorId: string): string {
    return this.sensor(asset, sensorId, 'diagnosis');
  }

  health(asset: string, sensorId: string): string {
    return this.sensor(asset, sensorId, 'health');
  }

  alert(asset: string, sensorId: string): string {
    return this.sensor(asset, sensorId, 'alert');
  }

  alertEvents(): string {
    return `${this.base}/events/alert`;
  }

  private sensor(asset: string, sensorId: string, leaf: string): string {
    return `${this.base}/${level(asset, 'asset')}/${level(sensorId, 'sensor id')}/${leaf}`;
  }
}

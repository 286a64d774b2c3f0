// Listeners registered per owner and removed in one call (zigbee2mqtt's eventBus pattern), so a
// component that reconnects or restarts never piles up handlers on a long-lived emitter.
import type { EventEmitter } from 'node:events';

export class ListenerGroup {
  private readonly entries: Array<{ emitter: EventEmitter; event: string; fn: (...args: any[]) => void }> = [];

  on(emitter: EventEmitter, event: string, fn: (...args: any[]) => void): void {
    emitter.on(event, fn);
    this.entries.push({ emitter, event, fn });
  }

  removeAll(): void {
    for (const { emitter, event, fn } of this.entries.splice(0)) emitter.off(event, fn);
  }
}

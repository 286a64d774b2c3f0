// Messages held while the broker is unreachable. Bounded: at maxSize the oldest diagnosis goes first
// (a later diagnosis of the same sensor supersedes it); events only go when no diagnosis is left.
// Retained state (status, health, alert) never enters this queue: the publisher keeps the latest of
// each topic and republishes them on connect.

export type QueuedKind = 'diagnosis' | 'event';

export interface QueuedMessage {
  topic: string;
  payload: string;
  kind: QueuedKind;
}

interface Slot {
  msg: QueuedMessage;
  live: boolean;
}

export class OfflineQueue {
  private slots: Slot[] = [];
  private liveCount = 0;
  /** Index below which no live diagnosis (resp. event) remains: each only moves forward, so drops are O(1) amortized. */
  private diagCursor = 0;
  private eventCursor = 0;
  readonly dropped: Record<QueuedKind, number> = { diagnosis: 0, event: 0 };

  constructor(readonly maxSize: number) {}

  get size(): number {
    return this.liveCount;
  }

  push(msg: QueuedMessage): void {
    this.slots.push({ msg, live: true });
    this.liveCount++;
    while (this.liveCount > this.maxSize) this.dropOne();
    // Compact once dead slots dominate, so a long outage does not keep an ever-growing array.
    if (this.slots.length > 2 * this.maxSize + 64) this.compact();
  }

  /** Removes and returns every queued message, oldest first. */
  drain(): QueuedMessage[] {
    const out = this.slots.filter((s) => s.live).map((s) => s.msg);
    this.slots = [];
    this.liveCount = 0;
    this.diagCursor = 0;
    this.eventCursor = 0;
    return out;
  }

  private dropOne(): void {
    const i = this.oldest('diagnosis') ?? this.oldest('event');
    if (i === undefined) return;
    const slot = this.slots[i];
    slot.live = false;
    this.liveCount--;
    this.dropped[slot.msg.kind]++;
  }

  private oldest(kind: QueuedKind): number | undefined {
    let i = kind === 'diagnosis' ? this.diagCursor : this.eventCursor;
    while (i < this.slots.length && !(this.slots[i].live && this.slots[i].msg.kind === kind)) i++;
    if (kind === 'diagnosis') this.diagCursor = i;
    else this.eventCursor = i;
    return i < this.slots.length ? i : undefined;
  }

  private compact(): void {
    this.slots = this.slots.filter((s) => s.live);
    this.diagCursor = 0;
    this.eventCursor = 0;
  }
}

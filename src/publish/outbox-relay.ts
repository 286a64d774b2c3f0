// Publishes diagnoses and alert events from SQLite (the outbox, src/store/outbox.ts) with QoS 1, in id
// order, and moves each stream's cursor only when the broker acknowledged (PUBACK). Nothing waits in
// memory: while the broker is unreachable rows simply stay unpublished in the database, however long
// the outage; after a reconnect or a restart (even after SIGKILL) everything past the cursor goes out,
// at most mqtt.outbox.ratePerSec messages a second so a reconnect does not flood the broker.
// In normal operation a committed batch is published straight from memory (the rows just written),
// so the latency is what it was before the outbox; only a backlog is read back from SQLite.
// At least once: a message in flight when the daemon dies is sent again; its payload carries the same
// stable id (payloads.ts messageId) for subscribers to de-duplicate. A message the connection failed
// before the broker had it (PublishError.retry, publisher.ts) is sent again on the next connection.
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import type { CommitListener } from '../store/store.js';
import type { OutboxStream, OutboxTables, PendingAlertEvent } from '../store/outbox.js';
import type { Diagnosis } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { alertEventPayload, diagnosisPayload, messageId } from './payloads.js';
import type { PublishDone, PublishError } from './publisher.js';
import type { Topics } from './topics.js';

/** What the relay needs of the store. */
export interface OutboxStore {
  readonly outbox: OutboxTables;
  readonly lastDiagnosisId: number;
  onCommitted(fn: CommitListener): () => void;
}

/** What the relay needs of the MQTT connection (the Publisher). */
export interface OutboxPublisher {
  readonly topics: Topics;
  readonly connected: boolean;
  publish(topic: string, payload: string, done: PublishDone): boolean;
  onConnect(fn: () => void): () => void;
}

export interface OutboxRelaySettings {
  /**
   * Messages sent and not yet acknowledged, at most (bounds memory). Not capped by the broker's MQTT 5
   * Receive Maximum: mosquitto announces 20 (its max_inflight_messages) yet acknowledges QoS 1 as it
   * reads them, and a window of 20 would put a round trip per 20 messages on the live path (at 300
   * channels, 9 per committed batch). mqtt.js does not cap it either; for a broker that enforces it,
   * set mqtt.outbox.maxInflight to its value.
   */
  maxInflight: number;
  /** While catching up on a backlog, messages per second at most. */
  ratePerSec: number;
}

export interface OutboxRelayOptions {
  store: OutboxStore;
  publisher: OutboxPublisher;
  gatewayId: string;
  settings: OutboxRelaySettings;
  log: Logger;
  clock?: Clock;
  /** A live diagnosis was handed to the connection (metrics: window → MQTT latency). */
  onLivePublished?: (d: Diagnosis) => void;
}

export interface OutboxStats {
  /** Diagnoses the broker acknowledged since start. */
  acked: number;
  /** Committed diagnoses the broker has not acknowledged yet. */
  pending: number;
  /** Messages the broker or the client refused for good (counted, skipped). */
  refused: number;
  /** Messages sent again because their connection closed before the broker had them. */
  resent: number;
}

/** Rows read from SQLite per step while catching up. */
const PAGE = 500;
/** The cursor is written to SQLite at most this often (a crash resends at most this much, de-duplicated by id). */
const PERSIST_EVERY_MS = 200;
/** Retry delay after SQLite could not be read (storage failing). */
const RETRY_MS = 1_000;
/** Backlogs from this many rows on are logged when they start and when they are out. */
const LOG_BACKLOG = 1_000;

interface InFlight {
  id: number;
  done: boolean;
}

/** One stream's position: rows up to `acked` are done, up to `sent` handed to the connection. */
class Cursor {
  sent: number;
  acked: number;
  persisted: number;
  /** In flight, but their connection failed them before the broker had them: to be sent again. */
  readonly failed: InFlight[] = [];
  private readonly inflight: InFlight[] = [];
  private head = 0;

  constructor(readonly stream: OutboxStream, acked: number) {
    this.sent = acked;
    this.acked = acked;
    this.persisted = acked;
  }

  get inFlight(): number {
    return this.inflight.length - this.head;
  }

  /** Handed to the connection and not answered yet (the failed ones wait for a connection instead). */
  get awaiting(): number {
    return this.inFlight - this.failed.length;
  }

  add(id: number): InFlight {
    const entry = { id, done: false };
    this.inflight.push(entry);
    this.sent = id;
    return entry;
  }

  /** Drops the newest entry again (the connection refused it before sending). */
  undo(previousSent: number): void {
    this.inflight.pop();
    this.sent = previousSent;
  }

  /** Marks one done; returns how many rows the contiguous cursor moved past. */
  complete(entry: InFlight): number {
    entry.done = true;
    const before = this.acked;
    while (this.head < this.inflight.length && this.inflight[this.head].done) this.head++;
    // Rows retention deleted before they were read leave gaps in the ids: they never block the cursor.
    this.acked = this.head < this.inflight.length ? this.inflight[this.head].id - 1 : this.sent;
    if (this.head > 1024 && this.head * 2 > this.inflight.length) {
      this.inflight.splice(0, this.head);
      this.head = 0;
    }
    return this.acked - before;
  }
}

export class OutboxRelay {
  private readonly store: OutboxStore;
  private readonly pub: OutboxPublisher;
  private readonly gatewayId: string;
  private readonly settings: OutboxRelaySettings;
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly clock: Clock;
  private storeId = '';
  private diagnoses!: Cursor;
  private events!: Cursor;
  /** Id of the newest committed diagnosis. */
  private lastCommitted = 0;
  /** Set when an alert event was committed and not yet read. */
  private eventsWaiting = true;
  private tokens = 0;
  private tokensAt = 0;
  private pumpTimer: TimerHandle | undefined;
  private persistTimer: TimerHandle | undefined;
  private catchingUp: { since: number; backlog: number } | undefined;
  private running = false;
  private started = false;
  private drained: (() => void) | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private counts = { acked: 0, refused: 0, resent: 0 };
  private readonly onLivePublished: ((d: Diagnosis) => void) | undefined;

  constructor(opts: OutboxRelayOptions) {
    this.store = opts.store;
    this.pub = opts.publisher;
    this.gatewayId = opts.gatewayId;
    this.settings = opts.settings;
    this.log = opts.log.child({ component: 'outbox' });
    this.limited = new RateLimitedLog(this.log, 30_000);
    this.clock = opts.clock ?? systemClock;
    this.onLivePublished = opts.onLivePublished;
  }

  get stats(): OutboxStats {
    // After stop too: the daemon's last log line says what waits for the next start.
    return { ...this.counts, pending: this.started ? this.lastCommitted - this.diagnoses.acked : 0 };
  }

  start(): void {
    const outbox = this.store.outbox;
    this.storeId = outbox.storeId;
    this.diagnoses = new Cursor('diagnoses', outbox.cursor('diagnoses').acked);
    this.events = new Cursor('alert_events', outbox.cursor('alert_events').acked);
    this.lastCommitted = this.store.lastDiagnosisId;
    this.tokensAt = this.clock.now();
    this.tokens = this.burst;
    this.running = true;
    this.started = true;
    const backlog = this.lastCommitted - this.diagnoses.acked;
    if (backlog > 0) this.log.info({ diagnoses: backlog }, 'outbox: diagnoses not yet acknowledged by the broker will be published');
    this.unsubscribe.push(this.store.onCommitted((batch, firstId) => this.committed(batch, firstId)));
    this.unsubscribe.push(this.pub.onConnect(() => this.schedule(0)));
    this.schedule(0);
  }

  /** An alert event was committed (the alerts component calls this): it goes out before more diagnoses. */
  alertEventsCommitted(): void {
    this.eventsWaiting = true;
    this.schedule(0);
  }

  /**
   * Sends what is committed and not sent yet (one step: within the in-flight room and the rate), stops
   * publishing, waits up to `timeoutMs` for the PUBACKs of what is in flight (so a clean stop resends
   * nothing), and writes the cursors. Call before the publisher stops, after the store's final commit.
   */
  async stop(timeoutMs = 2_000): Promise<void> {
    if (!this.running) return;
    for (const u of this.unsubscribe.splice(0)) u();
    this.clock.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    // The final batch the app commits at stop goes straight out only when the relay is caught up; behind
    // an alert event or a backlog it waited for a pump that stop cancelled, until the next start.
    this.pump();
    this.running = false;
    this.clock.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    if (this.awaiting > 0 && this.pub.connected) {
      let timer: TimerHandle | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = this.clock.setTimeout(resolve, timeoutMs);
      });
      this.clock.clearTimeout(timer);
      this.drained = undefined;
    }
    this.clock.clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.persist();
  }

  private get burst(): number {
    return Math.max(1, this.settings.ratePerSec / 10);
  }

  private committed(batch: readonly Diagnosis[], firstId: number): void {
    this.lastCommitted = firstId + batch.length - 1;
    const c = this.diagnoses;
    // Caught up, connected, room in flight: straight from memory, no SQLite read on the hot path.
    // Messages to send again go first (the pump), so the stream stays in order.
    if (c.sent === firstId - 1 && !this.eventsWaiting && this.pub.connected && !this.resending
      && this.inFlight + batch.length <= this.settings.maxInflight) {
      for (let i = 0; i < batch.length; i++) {
        if (!this.send(c, firstId + i, this.diagnosisMessage(firstId + i, batch[i]))) break;
        this.onLivePublished?.(batch[i]);
      }
      if (c.sent === this.lastCommitted) return;
    }
    this.schedule(0);
  }

  private get inFlight(): number {
    return this.diagnoses.inFlight + this.events.inFlight;
  }

  private get awaiting(): number {
    return this.diagnoses.awaiting + this.events.awaiting;
  }

  private get resending(): boolean {
    return this.diagnoses.failed.length + this.events.failed.length > 0;
  }

  private schedule(ms: number): void {
    if (!this.running || this.pumpTimer !== undefined) return;
    this.pumpTimer = this.clock.setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, ms);
  }

  /** One step of catching up: events first, then a page of diagnoses within the rate and the in-flight room. */
  private pump(): void {
    if (!this.running || !this.pub.connected) return;
    const limit = this.settings.maxInflight;
    try {
      // What a closed connection failed goes first; it is in flight already, so it needs no room.
      if (!this.resend(this.events) || !this.resend(this.diagnoses)) return;
      if (this.eventsWaiting) {
        const rows = this.store.outbox.alertEvents(this.events.sent, Math.max(0, limit - this.inFlight));
        for (const e of rows) if (!this.send(this.events, e.id, this.eventMessage(e))) return;
        // Fewer than asked for: every committed event is sent.
        if (this.inFlight < limit) this.eventsWaiting = false;
        else return; // an ack makes room and pumps again
      }
      const c = this.diagnoses;
      if (c.sent >= this.lastCommitted) {
        this.caughtUp();
        return;
      }
      if (!this.catchingUp) {
        this.catchingUp = { since: this.clock.now(), backlog: this.lastCommitted - c.sent };
        // A batch or two behind (after an alert event, a full in-flight window) is routine; an outage's backlog is news.
        if (this.catchingUp.backlog >= LOG_BACKLOG) {
          this.log.info({ backlog: this.catchingUp.backlog, ratePerSec: this.settings.ratePerSec }, 'outbox: publishing the backlog');
        }
      }
      this.refill();
      const n = Math.min(PAGE, limit - this.inFlight, Math.floor(this.tokens));
      if (n <= 0) {
        // No room in flight: the next PUBACK pumps again. No tokens: wait until there are some.
        if (this.inFlight < limit) this.waitForToken();
        return;
      }
      const rows = this.store.outbox.diagnoses(c.sent, n);
      this.tokens -= rows.length;
      for (const d of rows) if (!this.send(c, d.id, this.diagnosisMessage(d.id, d))) return;
      // Fewer rows than asked for: nothing else is committed (ids retention removed are skipped).
      if (rows.length < n) c.sent = Math.max(c.sent, this.lastCommitted);
      if (c.sent < this.lastCommitted) this.schedule(0);
      else this.caughtUp();
    } catch (err) {
      this.limited.warn('read', { reason: message(err) }, 'outbox: cannot read unpublished rows from SQLite; retrying');
      this.schedule(RETRY_MS);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) * this.settings.ratePerSec) / 1000);
    this.tokensAt = now;
  }

  private waitForToken(): void {
    this.schedule(Math.ceil(((1 - this.tokens) * 1000) / this.settings.ratePerSec));
  }

  /**
   * Sends again, oldest first and within the rate, what a closed connection failed, reading the rows
   * back from SQLite. True once none is left; false while some wait (for tokens, or a connection).
   */
  private resend(c: Cursor): boolean {
    if (c.failed.length === 0) return true;
    c.failed.sort((a, b) => a.id - b.id);
    this.refill();
    const batch = c.failed.slice(0, Math.min(PAGE, Math.floor(this.tokens)));
    if (batch.length === 0) {
      this.waitForToken();
      return false;
    }
    const first = batch[0].id;
    const span = batch[batch.length - 1].id - first + 1;
    const messages = new Map<number, { topic: string; payload: string }>();
    if (c === this.diagnoses) for (const d of this.store.outbox.diagnoses(first - 1, span)) messages.set(d.id, this.diagnosisMessage(d.id, d));
    else for (const e of this.store.outbox.alertEvents(first - 1, span)) messages.set(e.id, this.eventMessage(e));
    for (const entry of batch) {
      // Out of the list before publishing: mqtt.js may fail it again within the call.
      c.failed.shift();
      const msg = messages.get(entry.id);
      if (!msg) {
        // Retention deleted it meanwhile (the store counts it as lost): it no longer holds the cursor.
        this.completed(c, entry);
        continue;
      }
      if (!this.pub.publish(msg.topic, msg.payload, (err) => this.acknowledged(c, entry, err))) {
        c.failed.unshift(entry);
        return false;
      }
      this.tokens--;
      this.counts.resent++;
    }
    if (c.failed.length === 0) return true;
    this.schedule(0);
    return false;
  }

  private caughtUp(): void {
    if (!this.catchingUp) return;
    if (this.catchingUp.backlog >= LOG_BACKLOG) {
      this.log.info({ backlog: this.catchingUp.backlog, ms: Math.round(this.clock.now() - this.catchingUp.since) }, 'outbox: backlog published');
    }
    this.catchingUp = undefined;
  }

  /** Hands one message to the connection; false (nothing changed) when it is not connected. */
  private send(c: Cursor, id: number, msg: { topic: string; payload: string }): boolean {
    const previous = c.sent;
    const entry = c.add(id);
    const ok = this.pub.publish(msg.topic, msg.payload, (err) => this.acknowledged(c, entry, err));
    if (!ok) c.undo(previous);
    return ok;
  }

  private acknowledged(c: Cursor, entry: InFlight, err?: PublishError): void {
    if (err?.retry) {
      // The connection closed before the broker had it (at stop too): it keeps holding the cursor and
      // goes out again on the next connection, or from the cursor after a restart. Never skipped:
      // skipping lost every row committed while mqtt.js was resending after a reconnect.
      c.failed.push(entry);
      if (!this.running) this.stopDrained();
      // Closed: the next connect pumps. Still connected (mqtt.js failed it otherwise): try again later.
      else if (this.pub.connected) this.schedule(RETRY_MS);
      return;
    }
    if (err) {
      // A refusal for good (oversized, a broker's negative PUBACK): skipping keeps the stream moving.
      this.counts.refused++;
      this.limited.warn('refused', { err, stream: c.stream, id: entry.id }, 'outbox: message refused, skipped');
    }
    this.completed(c, entry);
    if (!this.running) this.stopDrained();
    else if (this.diagnoses.sent < this.lastCommitted || this.eventsWaiting || this.resending) this.schedule(0);
  }

  /** The entry is done (acknowledged, refused, or its row is gone): the cursor may move. */
  private completed(c: Cursor, entry: InFlight): void {
    const moved = c.complete(entry);
    if (c === this.diagnoses) this.counts.acked += moved;
    if (this.running && this.persistTimer === undefined) {
      this.persistTimer = this.clock.setTimeout(() => { this.persistTimer = undefined; this.persist(); }, PERSIST_EVERY_MS);
    }
  }

  private stopDrained(): void {
    if (this.awaiting === 0) this.drained?.();
  }

  private persist(): void {
    for (const c of [this.diagnoses, this.events]) {
      if (c.acked <= c.persisted) continue;
      try {
        this.store.outbox.ack(c.stream, c.acked);
        c.persisted = c.acked;
      } catch (err) {
        // The store reports a failing disk once, with the reason; no stack here either.
        this.limited.warn('persist', { reason: message(err) }, 'outbox: cannot record acknowledged messages in SQLite (they may be sent again)');
      }
    }
  }

  private diagnosisMessage(id: number, d: Diagnosis): { topic: string; payload: string } {
    return {
      topic: this.pub.topics.diagnosis(d.asset, d.sensorId),
      payload: JSON.stringify(diagnosisPayload(this.gatewayId, messageId(this.storeId, 'd', id), d)),
    };
  }

  private eventMessage(e: PendingAlertEvent): { topic: string; payload: string } {
    return {
      topic: this.pub.topics.alertEvents(),
      payload: JSON.stringify(alertEventPayload(this.gatewayId, messageId(this.storeId, 'e', e.id), e.alertId, e)),
    };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

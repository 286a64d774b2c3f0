// The operations the interfaces offer, one implementation for HTTP (src/http/) and MQTT requests
// (src/api/mqtt-requests.ts): parameters arrive as strings (a query string, a JSON payload), are
// checked here, and every failure is a DrsndError whose stable code the interface passes on.
// Queries go to the read thread (read-pool.ts); what only the running daemon knows (sensor state,
// readiness, the model, acknowledging) comes from `live`.
import { DrsndError, ErrorCodes } from '../errors.js';
import type { HealthPayload } from '../publish/payloads.js';
import { alertEventJson, alertJson } from '../store/json.js';
import type { AlertFilter, AlertRecord, HistoryFilter } from '../store/rows.js';
import { parseTime } from '../cli/format.js';
import type { ReadPool } from './read-pool.js';
import { snapshotMetaJson } from './snapshot-format.js';
import { JsonText, ReplyParts } from './pages.js';
import { recordingParts, type Recording } from '../ingest/recorder.js';
import type { Snapshot } from '../store/snapshots.js';
import type { BaselineAction, BaselineStatus } from '../baseline/baselines.js';
import { isoTime } from '../util/iso-time.js';

export type Params = Record<string, string | undefined>;

/** One readiness check: ok, and what to look at when it is not. */
export interface Check {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  broker: Check;
  store: Check;
  engine: Check;
}

/**
 * What only the running daemon knows. Answered at once on the main thread, or by a message to it
 * from the HTTP thread, hence the promises.
 */
export interface LiveState {
  sensors(): HealthPayload[] | Promise<HealthPayload[]>;
  readiness(): Readiness | Promise<Readiness>;
  model(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Throws (rejects with) DRSND_NOT_FOUND for an unknown id. */
  acknowledge(id: number, by: string | null): AlertRecord | Promise<AlertRecord>;
  /** On-site baselines (src/baseline/baselines.ts); absent where the daemon has none to offer. */
  baseline?(action: BaselineAction, sensorId: string | undefined, channel: string | undefined, forMs: number | undefined): BaselineStatus[] | Promise<BaselineStatus[]>;
  /** The sensor's next `seconds` of accepted samples (src/ingest/recorder.ts); MQTT requests only. */
  record?(sensorId: string, seconds: number): Promise<Recording>;
}

export interface ApiOptions {
  reads: Pick<ReadPool, 'query'>;
  live: LiveState;
  maxPageSize: number;
  now?: () => number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next (older) page; null when this is the last one. */
  next: string | null;
}

const DEFAULT_PAGE = 100;

export class ApiService {
  private readonly now: () => number;

  constructor(private readonly opts: ApiOptions) {
    this.now = opts.now ?? Date.now;
  }

  async sensors() {
    return { items: await this.opts.live.sensors() };
  }

  /** The filters of `drsnd history` (sensor, asset, class, since, until), newest first, paged by `cursor`: a Page<diagnosisJson> as JSON text. */
  async diagnoses(p: Params): Promise<JsonText> {
    known(p, ['sensor', 'asset', 'class', 'since', 'until', 'limit', 'cursor']);
    const now = this.now();
    const limit = this.limit(p.limit);
    const filter: HistoryFilter = {
      sensor: text(p.sensor), asset: text(p.asset), className: text(p.class),
      since: p.since === undefined ? undefined : parseTime(p.since, 'since', now),
      until: p.until === undefined ? undefined : parseTime(p.until, 'until', now),
      limit,
    };
    const c = cursor(p.cursor);
    if (c) filter.before = { windowEnd: c[0], id: c[1] };
    return new JsonText(await this.opts.reads.query('historyPage', { ...filter, limit }));
  }

  /** state: active | cleared | all (default all); sensor; newest raised first, paged by `cursor`: a Page<alertJson> as JSON text. */
  async alerts(p: Params): Promise<JsonText> {
    known(p, ['state', 'sensor', 'limit', 'cursor']);
    const limit = this.limit(p.limit);
    const state = p.state ?? 'all';
    if (!['active', 'cleared', 'all'].includes(state)) throw bad(`state must be active, cleared or all (got "${state}")`);
    const filter: AlertFilter = { active: state === 'all' ? undefined : state === 'active', sensor: text(p.sensor), limit };
    const c = cursor(p.cursor);
    if (c) filter.before = { raisedAt: c[0], id: c[1] };
    return new JsonText(await this.opts.reads.query('alertsPage', { ...filter, limit }));
  }

  /** One alert with its events (raised, changed, acknowledged, cleared) and its snapshots (without samples). */
  async alert(idText: string | undefined) {
    const id = positiveId(idText, 'alert id');
    const [alert, events, snapshots] = await Promise.all([
      this.opts.reads.query('alert', id), this.opts.reads.query('alertEvents', id), this.opts.reads.query('snapshots', id),
    ]);
    if (!alert) throw new DrsndError(ErrorCodes.NOT_FOUND, `no alert with id ${id}`);
    return { ...alertJson(alert), events: events.map(alertEventJson), snapshots: snapshots.map(snapshotMetaJson) };
  }

  /** One alert snapshot with its samples. */
  async snapshot(idText: string | undefined): Promise<Snapshot> {
    const id = positiveId(idText, 'snapshot id');
    const s = await this.opts.reads.query('snapshot', id);
    if (!s) throw new DrsndError(ErrorCodes.NOT_FOUND, `no snapshot with id ${id} (the oldest go beyond alerts.snapshots.maxCount / maxBytes)`);
    // Structured clone turned the Float32Array into one again; nothing else to do.
    return s;
  }

  /** Acknowledges an alert; `by` names who (at most 100 characters), else the interface's name. */
  async acknowledge(idText: string | undefined, by: unknown, via: string) {
    const id = positiveId(idText, 'alert id');
    if (by !== undefined && by !== null && (typeof by !== 'string' || by.trim() === '' || by.length > 100)) {
      throw bad('by must be a non-empty string of at most 100 characters');
    }
    return alertJson(await this.opts.live.acknowledge(id, typeof by === 'string' ? by.trim() : via));
  }

  /** Liveness is answering at all; readiness is every check ok. */
  async health() {
    const checks = await this.opts.live.readiness();
    const ready = checks.broker.ok && checks.store.ok && checks.engine.ok;
    return { status: ready ? 'ready' : 'not ready', ready, checks };
  }

  async model() {
    return this.opts.live.model();
  }

  /** `seconds` of a sensor's live samples, as reply parts (recordingParts): `drsnd record` writes them as a recording. */
  async record(p: Params): Promise<ReplyParts> {
    known(p, ['sensor', 'seconds']);
    const sensor = text(p.sensor);
    if (sensor === undefined) throw bad('name a sensor');
    const seconds = Number(p.seconds);
    if (p.seconds === undefined || !(seconds > 0)) throw bad(`seconds must be a positive number (got "${p.seconds ?? ''}")`);
    const fn = this.opts.live.record;
    if (!fn) throw new DrsndError(ErrorCodes.UNAVAILABLE, 'recording is not available in this process');
    return new ReplyParts(recordingParts(await fn(sensor, seconds), RECORD_PART_BYTES));
  }

  /**
   * A sensor's on-site baseline: `action` start (optionally `for` a duration: 30m, 8h, 2d), stop (the
   * learnt statistics become the baseline), cancel (learning dropped) or status (every sensor's without
   * `sensor`); `channel` narrows it to one axis. Answers each channel's status.
   */
  async baseline(p: Params) {
    known(p, ['action', 'sensor', 'channel', 'for']);
    const action = p.action ?? 'status';
    if (!['start', 'stop', 'cancel', 'status'].includes(action)) throw bad(`action must be start, stop, cancel or status (got "${action}")`);
    if (p.for !== undefined && action !== 'start') throw bad('"for" goes with action start');
    const fn = this.opts.live.baseline;
    if (!fn) throw new DrsndError(ErrorCodes.UNAVAILABLE, 'baselines are not available in this process');
    const items = await fn(action as BaselineAction, text(p.sensor), text(p.channel), p.for === undefined ? undefined : duration(p.for, 'for'));
    return { items: items.map(baselineJson) };
  }

  private limit(value: string | undefined): number {
    if (value === undefined) return Math.min(DEFAULT_PAGE, this.opts.maxPageSize);
    if (!/^\d+$/.test(value) || Number(value) < 1) throw bad(`limit must be a positive integer (got "${value}")`);
    return Math.min(Number(value), this.opts.maxPageSize);
  }
}

function bad(message: string): DrsndError {
  return new DrsndError(ErrorCodes.USAGE, message);
}

function known(p: Params, names: string[]): void {
  for (const k of Object.keys(p)) if (!names.includes(k)) throw bad(`unknown parameter "${k}" (known: ${names.join(', ')})`);
}

function text(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === '') throw bad('filters must not be empty');
  return v;
}

function cursor(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)_(\d+)$/.exec(v);
  if (!m) throw bad(`cursor must be the "next" value of a previous page (got "${v}")`);
  return [Number(m[1]), Number(m[2])];
}

const DURATION_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "30m", "8h", "2d", "1w" → ms. */
export function duration(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw bad(`${what} must be a duration like 30m, 8h or 2d (got "${v}")`);
  return Number(m[1]) * DURATION_MS[m[2]];
}

const round = (x: number, digits: number) => Number(x.toPrecision(digits));

export function baselineJson(b: BaselineStatus) {
  return {
    sensorId: b.sensorId, channel: b.channel, state: b.state,
    learning: b.learning && { since: isoTime(b.learning.since), until: b.learning.until === null ? null : isoTime(b.learning.until), windows: b.learning.windows, minWindows: b.learning.minWindows },
    active: b.active && {
      since: isoTime(b.active.since), learntFrom: isoTime(b.active.learntFrom), windows: b.active.windows,
      levels: b.active.levels.map((l) => ({ feature: l.feature, unit: l.unit, baseline: round(l.baseline, 4), alert: round(l.alert, 4), danger: round(l.danger, 4), spreadDb: round(l.spreadDb, 3) })),
    },
    last: b.last && { at: isoTime(b.last.at), level: b.last.level, ratio: round(b.last.ratio, 4), score: round(b.last.score, 4), reason: b.last.reason },
  };
}

/** Reply parts of a recording stay below this (JSON): far under any broker's message limit and mqtt.maxPayloadBytes. */
export const RECORD_PART_BYTES = 256 * 1024;

function positiveId(v: string | undefined, what: string): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw bad(`${what} must be a positive integer (got "${v ?? ''}")`);
  return Number(v);
}

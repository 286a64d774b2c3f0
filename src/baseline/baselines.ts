// On-site baselines (issue 18, "commissioning"; docs/baseline.md), one component: the daemon owns them.
// `drsnd baseline start` makes a sensor's channels learn what their windows look like (the indicators
// and octave-band levels, src/baseline/stats.ts); `stop` makes that the channel's baseline (SQLite);
// from then on every window is judged against it, and a window that departs from it, where nothing
// else named a fault, becomes the verdict `novelty`: the alert state machine raises and clears a
// `novelty` alert from those verdicts like from any other (k of n windows, then m normal ones).
//
// Fed on the main thread with every diagnosis before it is stored (app.ts), so what is stored and
// published is the verdict the alert follows. A few dozen arithmetic operations per window.
import type { Settings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import { bandEdgesFor } from '../physics/indicators.js';
import type { BaselineRecord, BaselineTable } from '../store/baselines.js';
import type { Diagnosis, SensorMeta } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import {
  emptyStats, featureNames, judge, learn, LEVEL_FEATURES, statsMatch, stdDb, windowFeatures,
  type BaselineLevel, type BaselineStats,
} from './stats.js';

/** How often a learning baseline's statistics are saved, so a restart resumes rather than starts over. */
const SAVE_INTERVAL_MS = 30_000;

export type BaselineAction = 'start' | 'stop' | 'cancel' | 'status';

/** One channel's baseline as `drsnd baseline status`, HTTP and MQTT show it. */
export interface BaselineStatus {
  sensorId: string;
  channel: string;
  state: 'none' | 'learning' | 'active';
  learning: { since: number; until: number | null; windows: number; minWindows: number } | null;
  active: {
    since: number; learntFrom: number; windows: number;
    /** The broadband levels' baselines (geometric mean of the learnt windows) and where alert and danger begin. */
    levels: Array<{ feature: string; unit: string; baseline: number; alert: number; danger: number; spreadDb: number }>;
  } | null;
  /** The newest window judged against the active baseline. */
  last: { at: number; level: BaselineLevel; ratio: number; score: number; reason: string } | null;
}

interface Channel {
  sensorId: string;
  channel: string;
  learning?: { id: number; startedAt: number; endsAt: number | null; stats: BaselineStats; dirty: boolean };
  active?: { id: number; startedAt: number; endedAt: number; stats: BaselineStats };
  last?: BaselineStatus['last'];
}

export interface BaselineOptions {
  settings: Readonly<Pick<Settings, 'baseline' | 'alerts' | 'pipeline'>>;
  sensors: readonly SensorMeta[];
  store: { readonly baselines: BaselineTable };
  /** The model's sample rate: the octave bands of its windows (physics/indicators.ts bandEdgesFor). */
  modelRateHz: number;
  log: Logger;
  /** Wall clock, epoch ms (start and end of learning). */
  now?: () => number;
  clock?: Clock;
}

const UNITS: Readonly<Record<string, string>> = { rms: 'g', velocity: 'mm/s' };
const BEARING = new Set(['inner_race', 'outer_race', 'ball']);

export class BaselineComponent {
  private readonly log: Logger;
  private readonly channels = new Map<string, Channel>();
  private readonly features: string[];
  private readonly now: () => number;
  private readonly clock: Clock;
  private saveTimer: TimerHandle | undefined;

  constructor(private readonly opts: BaselineOptions) {
    this.log = opts.log.child({ component: 'baseline' });
    this.features = featureNames(bandEdgesFor(opts.modelRateHz));
    this.now = opts.now ?? Date.now;
    this.clock = opts.clock ?? systemClock;
  }

  start(): void {
    for (const s of this.opts.sensors) for (const c of s.axes) this.channels.set(key(s.id, c), { sensorId: s.id, channel: c });
    for (const r of this.opts.store.baselines.learningAndActive()) this.restore(r);
    this.armSave();
  }

  /** Saves what learning baselines have learnt so far. */
  stop(): void {
    this.clock.clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.saveProgress();
  }

  /**
   * One diagnosis, before it is stored: learnt from while its channel learns; judged against its
   * channel's baseline once one is active, and its verdict becomes `novelty` when the window departs
   * from it and the verdict was `normal` or a bearing fault below the alert threshold (an unconfirmed
   * DRSN call: the departure is the better-founded statement). Sensor faults, `unknown` and confirmed
   * bearing faults keep their verdict; windows whose measurement is in doubt are neither learnt nor judged.
   */
  observe(d: Diagnosis): void {
    if (this.channels.size === 0) return;
    const ch = this.channels.get(key(d.sensorId, d.channel));
    if (!ch || (!ch.learning && !ch.active)) return;
    const p = d.physics;
    if (!p || p.sensorFaults.length > 0 || p.settling) return;
    const x = windowFeatures(p);
    if (!x) return;
    if (ch.learning) {
      learn(ch.learning.stats, x);
      ch.learning.dirty = true;
      const { endsAt, stats } = ch.learning;
      if (endsAt !== null && d.windowEnd >= endsAt && stats.n >= this.opts.settings.baseline.minWindows) {
        try {
          this.finish(ch, 'learning period over');
        } catch (err) {
          // Learning goes on; the next window tries again.
          this.log.error({ err, sensor: ch.sensorId, channel: ch.channel }, 'cannot store the finished baseline');
        }
      }
      return;
    }
    const j = judge(ch.active!.stats, x, this.opts.settings.baseline);
    ch.last = { at: d.windowEnd, level: j.level, ratio: j.ratio.value, score: j.score, reason: j.reason };
    const f = d.fusion;
    if (j.level === 'normal' || !f) return;
    if (f.component !== 'normal' && !(BEARING.has(f.component) && f.confidence < this.opts.settings.alerts.threshold)) return;
    // Confidence 1: the departure is measured, not inferred; the alert's k-of-n rule still applies.
    d.fusion = { component: 'novelty', confidence: 1, severity: j.level === 'danger' ? 'high' : 'medium', reason: `${j.reason}; before the baseline: ${f.reason}` };
  }

  /** start | stop | cancel | status of a sensor's channels (all, or `channel`); status of every sensor without one. */
  request(action: BaselineAction, sensorId: string | undefined, channel?: string, forMs?: number): BaselineStatus[] {
    if (action === 'status' && sensorId === undefined) return [...this.channels.values()].map((c) => this.statusOf(c));
    const chans = this.select(sensorId, channel);
    if (action === 'start') this.begin(chans, forMs ?? null);
    else if (action === 'stop') this.end(chans);
    else if (action === 'cancel') this.cancel(chans);
    return chans.map((c) => this.statusOf(c));
  }

  private select(sensorId: string | undefined, channel: string | undefined): Channel[] {
    if (sensorId === undefined) throw new DrsndError(ErrorCodes.USAGE, 'name a sensor');
    const sensor = this.opts.sensors.find((s) => s.id === sensorId);
    if (!sensor) {
      throw new DrsndError(ErrorCodes.NOT_FOUND, `no sensor "${sensorId}" in this daemon's configuration (sensors: ${this.opts.sensors.map((s) => s.id).join(', ') || 'none'})`);
    }
    if (channel !== undefined && !sensor.axes.includes(channel)) {
      throw new DrsndError(ErrorCodes.NOT_FOUND, `sensor "${sensorId}" has no channel "${channel}" (axes: ${sensor.axes.join(', ')})`);
    }
    return (channel === undefined ? sensor.axes : [channel]).map((c) => this.channels.get(key(sensorId, c))!);
  }

  private begin(chans: Channel[], forMs: number | null): void {
    if (!this.opts.settings.pipeline.physics) {
      throw new DrsndError(ErrorCodes.UNAVAILABLE, 'a baseline learns the windows\' indicators and band levels, which pipeline.physics: false turns off');
    }
    const busy = chans.find((c) => c.learning);
    if (busy) {
      throw new DrsndError(ErrorCodes.CONFLICT, `${busy.sensorId}/${busy.channel} is already learning (since ${new Date(busy.learning!.startedAt).toISOString()}, ${busy.learning!.stats.n} windows): stop or cancel it first`);
    }
    const at = this.now();
    for (const c of chans) {
      const r = this.opts.store.baselines.begin(c.sensorId, c.channel, at, forMs === null ? null : at + forMs);
      c.learning = { id: r.id, startedAt: r.startedAt, endsAt: r.endsAt, stats: emptyStats(this.features), dirty: false };
      this.log.info({ sensor: c.sensorId, channel: c.channel, until: r.endsAt === null ? null : new Date(r.endsAt).toISOString() }, 'baseline learning started');
    }
  }

  private end(chans: Channel[]): void {
    const learning = chans.filter((c) => c.learning);
    if (learning.length === 0) throw new DrsndError(ErrorCodes.CONFLICT, `${chans[0]?.sensorId ?? 'the sensor'} is not learning a baseline (drsnd baseline start first)`);
    const min = this.opts.settings.baseline.minWindows;
    const short = learning.find((c) => c.learning!.stats.n < min);
    if (short) {
      throw new DrsndError(ErrorCodes.CONFLICT, `${short.sensorId}/${short.channel} has learnt ${short.learning!.stats.n} windows, fewer than baseline.minWindows (${min}): let it learn longer, or cancel`);
    }
    for (const c of learning) this.finish(c, 'stopped');
  }

  private cancel(chans: Channel[]): void {
    const learning = chans.filter((c) => c.learning);
    if (learning.length === 0) throw new DrsndError(ErrorCodes.CONFLICT, `${chans[0]?.sensorId ?? 'the sensor'} is not learning a baseline`);
    for (const c of learning) {
      this.opts.store.baselines.discard(c.learning!.id);
      this.log.info({ sensor: c.sensorId, channel: c.channel, windows: c.learning!.stats.n }, 'baseline learning cancelled');
      c.learning = undefined;
    }
  }

  /** The learning baseline becomes the channel's active one (stored first: a failed write changes nothing). */
  private finish(c: Channel, why: string): void {
    const l = c.learning!;
    const at = this.now();
    this.opts.store.baselines.activate(l.id, at, l.stats);
    c.active = { id: l.id, startedAt: l.startedAt, endedAt: at, stats: l.stats };
    c.learning = undefined;
    c.last = undefined;
    this.log.info({ sensor: c.sensorId, channel: c.channel, windows: l.stats.n, why }, 'baseline active');
  }

  private restore(r: BaselineRecord): void {
    const c = this.channels.get(key(r.sensorId, r.channel));
    if (!c) return;
    const usable = r.stats !== null && statsMatch(r.stats, this.features);
    if (r.state === 'learning') {
      c.learning = { id: r.id, startedAt: r.startedAt, endsAt: r.endsAt, stats: usable ? r.stats! : emptyStats(this.features), dirty: false };
      this.log.info({ sensor: r.sensorId, channel: r.channel, windows: c.learning.stats.n }, 'baseline learning resumed');
    } else if (usable) {
      c.active = { id: r.id, startedAt: r.startedAt, endedAt: r.endedAt ?? r.startedAt, stats: r.stats! };
    } else {
      this.log.warn({ sensor: r.sensorId, channel: r.channel }, 'baseline not used: it was learnt with other features (another model rate); learn it again (drsnd baseline start)');
    }
  }

  private armSave(): void {
    this.saveTimer = this.clock.setTimeout(() => {
      this.saveProgress();
      if (this.saveTimer !== undefined) this.armSave();
    }, SAVE_INTERVAL_MS);
    (this.saveTimer as { unref?: () => void }).unref?.();
  }

  private saveProgress(): void {
    for (const c of this.channels.values()) {
      if (!c.learning?.dirty) continue;
      try {
        this.opts.store.baselines.save(c.learning.id, c.learning.stats);
        c.learning.dirty = false;
      } catch (err) {
        this.log.warn({ err, sensor: c.sensorId, channel: c.channel }, 'cannot save the baseline learnt so far (retried)');
      }
    }
  }

  private statusOf(c: Channel): BaselineStatus {
    const { minWindows, alertRatio, dangerRatio, minStdDb } = this.opts.settings.baseline;
    const a = c.active;
    return {
      sensorId: c.sensorId, channel: c.channel, state: c.learning ? 'learning' : a ? 'active' : 'none',
      learning: c.learning ? { since: c.learning.startedAt, until: c.learning.endsAt, windows: c.learning.stats.n, minWindows } : null,
      active: a ? {
        since: a.endedAt, learntFrom: a.startedAt, windows: a.stats.n,
        levels: Object.keys(LEVEL_FEATURES).map((f) => {
          const i = a.stats.features.indexOf(f);
          const base = 10 ** (a.stats.mean[i] / 20);
          return { feature: f, unit: UNITS[f], baseline: base, alert: base * alertRatio, danger: base * dangerRatio, spreadDb: stdDb(a.stats, i, minStdDb) };
        }),
      } : null,
      last: c.last ?? null,
    };
  }
}

const key = (sensorId: string, channel: string) => `${sensorId}\u0000${channel}`;

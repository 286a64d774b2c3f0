// Alert state machine with separate raise and clear rules, because a single threshold flaps on a
// borderline machine (REFERENCE.md, "alert flapping"). Raising needs k fault votes of one class in the
// last n windows; clearing needs m consecutive normal windows; a low-confidence fault does neither, and
// a low-confidence normal window does not count towards clearing.
//
// A diagnosis votes with its fused verdict where it has one (src/physics/fuse.ts): the class of the
// alert is then the component (`outer_race`, `inner_race`, `ball`), or `sensor_fault` / `unknown`,
// which are alerts of their own kind, or `novelty`: the machine departs from its on-site baseline
// (src/baseline/). Without a verdict it votes with the DRSN's class, as before.
import type { Settings } from '../config/schema.js';
import type { AlertEvent, Diagnosis } from '../types.js';

/** The alert rules (config `alerts`); clearConfidence absent: every normal window counts towards clearing. */
export type AlertSettings = Omit<Settings['alerts'], 'snapshots' | 'clearConfidence'> & { clearConfidence?: number };

/** What an alert is about: the bearing (a component), the measurement, input unlike anything known, or a departure from the machine's baseline. */
export type AlertKind = 'bearing' | 'sensor_fault' | 'unknown' | 'novelty';

export function alertKindOf(className: string): AlertKind {
  return className === 'sensor_fault' || className === 'unknown' || className === 'novelty' ? className : 'bearing';
}

/** A diagnosis as the alert machine sees it. */
function verdict(d: Diagnosis): { name: string; normal: boolean; confidence: number } {
  if (d.fusion) return { name: d.fusion.component, normal: d.fusion.component === 'normal', confidence: d.fusion.confidence };
  return { name: d.className, normal: d.kind === 'normal', confidence: d.confidence };
}

interface Vote {
  className: string;
  confidence: number;
}

/**
 * One sensor's alert state. Every diagnosis of the sensor (any channel) is one window in the
 * k-of-n history, since AlertEvent is per sensor.
 */
export class SensorAlertState {
  /** The last raiseN windows: a fault vote or null. */
  private history: (Vote | null)[] = [];
  private normalStreak = 0;
  private activeClass: string | null;

  /** `active`: the fault class of an alert still open from before (e.g. loaded from the store at start-up). */
  constructor(private readonly s: AlertSettings, active: string | null = null) {
    this.activeClass = active;
  }

  get active(): string | null {
    return this.activeClass;
  }

  update(d: Diagnosis): AlertEvent | null {
    const v = verdict(d);
    const vote = !v.normal && v.confidence >= this.s.threshold ? { className: v.name, confidence: v.confidence } : null;
    this.history.push(vote);
    if (this.history.length > this.s.raiseN) this.history.shift();
    // Any non-normal window, confident or not, breaks the run of normal windows needed to clear; an
    // uncertain normal one (below clearConfidence) neither adds to it nor breaks it.
    if (!v.normal) this.normalStreak = 0;
    else if (v.confidence >= (this.s.clearConfidence ?? 0)) this.normalStreak++;

    const event = (transition: AlertEvent['transition'], className: string, previousClassName: string | null, confidence: number): AlertEvent =>
      ({ sensorId: d.sensorId, asset: d.asset, transition, className, previousClassName, confidence, at: d.windowEnd });

    if (this.activeClass !== null && this.normalStreak >= this.s.clearM) {
      const was = this.activeClass;
      this.activeClass = null;
      // Old votes must not re-raise right after a clear when clearM < raiseN.
      this.history = [];
      return event('cleared', was, null, d.confidence);
    }
    const leader = this.leader();
    if (!leader || leader.votes < this.s.raiseK) return null;
    if (this.activeClass === null) {
      this.activeClass = leader.className;
      return event('raised', leader.className, null, leader.confidence);
    }
    // Change only once the active class itself no longer has k votes: with k ≤ n/2 two classes can
    // both hold k votes, and switching whenever the other one reached k would flap between them.
    if (leader.className !== this.activeClass && this.votesFor(this.activeClass) < this.s.raiseK) {
      const was = this.activeClass;
      this.activeClass = leader.className;
      return event('changed', leader.className, was, leader.confidence);
    }
    return null;
  }

  private votesFor(className: string): number {
    let n = 0;
    for (const v of this.history) if (v?.className === className) n++;
    return n;
  }

  /** The class with most votes (ties: the most recently voted), with the mean confidence of its votes. */
  private leader(): { className: string; votes: number; confidence: number } | null {
    const tally = new Map<string, { votes: number; sum: number; last: number }>();
    this.history.forEach((v, i) => {
      if (!v) return;
      const t = tally.get(v.className) ?? { votes: 0, sum: 0, last: 0 };
      t.votes++;
      t.sum += v.confidence;
      t.last = i;
      tally.set(v.className, t);
    });
    let best: [string, { votes: number; sum: number; last: number }] | null = null;
    for (const entry of tally) {
      if (!best || entry[1].votes > best[1].votes || (entry[1].votes === best[1].votes && entry[1].last > best[1].last)) best = entry;
    }
    return best ? { className: best[0], votes: best[1].votes, confidence: best[1].sum / best[1].votes } : null;
  }
}

/** Alert state of every sensor: each diagnosis updates its own sensor's state machine. */
export class AlertTracker {
  private readonly sensors = new Map<string, SensorAlertState>();

  /** `initial`: alerts still open from before, by sensor id (e.g. loaded from the store at start-up). */
  constructor(private readonly settings: AlertSettings, private readonly initial: ReadonlyMap<string, string> = new Map()) {}

  update(d: Diagnosis): AlertEvent | null {
    let state = this.sensors.get(d.sensorId);
    if (!state) this.sensors.set(d.sensorId, (state = new SensorAlertState(this.settings, this.initial.get(d.sensorId) ?? null)));
    return state.update(d);
  }

  /** The fault class of the sensor's open alert, or null. */
  active(sensorId: string): string | null {
    return this.sensors.get(sensorId)?.active ?? this.initial.get(sensorId) ?? null;
  }
}

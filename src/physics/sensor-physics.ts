// One sensor's physics state in the signal path: a ~1 s ring of native-rate samples (in g) per axis for
// the sensor checks and the envelope, block means for drift, and the latest bearing evidence. Fed with
// the sensor's frames (native rate, any unit) and asked for each model window's WindowPhysics.
//
// Why the native rate and not the model's 12 kHz stream: the model's band limit (4.8 kHz) is a property
// of a CWRU-trained network, not of bearings; the resonance that impacts ring may lie anywhere up to the
// sensor's own bandwidth (UESTC records at 20 kHz), and clipping and isolated spikes must be judged on
// the samples as the ADC gave them (resampling smears both). The cost grows with the native rate; the
// envelope runs on the first full buffer (~1.3 s) and then every EVIDENCE_EVERY_SEC, not per window.
import { unitFactor } from '../pipeline/convert-units.js';
import type { Frame, SensorMeta, Window } from '../types.js';
import { EnvelopeAnalyzer } from './envelope.js';
import { scoreEvidence } from './evidence.js';
import { nextPow2 } from './fft.js';
import { bandEdgesFor, bandLevelsDb, WindowAnalyzer } from './indicators.js';
import { NO_MACHINE } from './machine.js';
import { nativePhysics, type NativePhysics } from './native-physics.js';
import {
  clipMinCount, driftCheck, findSpikes, mainsCheck, rawChecks, rawFindings, spikeFinding, trendCheck, SPIKE_ISOLATION, SPIKE_NEIGHBOUR_SHARE, SPIKE_RMS,
  type BlockStat,
} from './sensor-faults.js';
import { estimateShaftHz } from './speed.js';
import type { BearingEvidence, MachineInfo, SensorFaultFinding, SpeedSource, WindowPhysics } from './types.js';

/** The envelope buffer holds at least this long (rounded up to a power of two of samples). */
export const BUFFER_SEC = 1;
/**
 * After the first buffer (after a start or a gap), the envelope and the speed estimate run once per
 * this many seconds, not per buffer: they were ~75 % of the physics' cost per channel, and a bearing's
 * evidence changes over hours, not seconds. Each diagnosis carries its evidence's time (`evidence.at`).
 */
export const EVIDENCE_EVERY_SEC = 4;
const MAX_BUFFER = 1 << 17;
/** Drift is judged on this many blocks of the buffer. */
const BLOCKS = 8;
/** Before this many blocks (after a start or a gap) a slow drift cannot be told yet: the window is `settling`. */
export const SETTLED_BLOCKS = 3;
/** The kurtogram's band is kept this long before it is chosen again (it is the costly part). */
const BAND_KEEP_SEC = 30;
/** Below this mean harmonic strength no shaft speed is believed (estimate mode). */
const SPEED_MIN_DB = 3;
/** The envelope spectrum reaches this multiple of the highest defect frequency (3 harmonics + sidebands). */
const ENVELOPE_SPAN = 3.6;

// Scratch shared by every sensor of a thread (a DSP worker holds up to hundreds): the analyses run one
// at a time and finish synchronously, so one envelope analyzer per buffer size and one copy buffer do.
// Per sensor they held up to ~0.5 MiB each: shared, the daemon's RSS at 300 channels fell by ~100 MiB
// (bench/results/physics-ab-2026-12-06/e2e-300-physics-ab.txt).
const envelopes = new Map<string, EnvelopeAnalyzer>();
function sharedEnvelope(n: number, rateHz: number): EnvelopeAnalyzer {
  const key = `${n}@${rateHz}`;
  let e = envelopes.get(key);
  if (!e) envelopes.set(key, (e = new EnvelopeAnalyzer(n, rateHz)));
  return e;
}
const scratches = new Map<string, Float64Array>();
/** A thread-wide scratch array of at least `n` (its first n used; valid until the next call for `name`). */
function scratch(name: 'buffer' | 'span', n: number): Float64Array {
  let a = scratches.get(name);
  if (!a || a.length < n) scratches.set(name, (a = new Float64Array(n)));
  return a;
}
// The native loops' outputs (native/physics.c), read right after each call: one set per thread.
const frameBlocks = new Float64Array(2 * BLOCKS);
const frameSpikes = new Int32Array(256);
const spanOut = new Float64Array(9);

interface Channel {
  /**
   * The last n samples as the frames carried them (sample i at i % n), in the sensor's unit: scaled to g
   * when read (`copyOut`, bit for bit the values the checks saw before). Float32 and written once: a
   * quarter of the bytes per sample of the mirrored Float64 ring it replaced, for 150 channels per worker
   * whose rings do not stay in cache (the daemon's CPU change was inside its A/B's spread; its RSS fell).
   */
  ring: Float32Array;
  /** The frames' unit → g. */
  k: number;
  /** Samples written since the last discontinuity. */
  fill: number;
  /** Samples written ever (absolute index of the next one). */
  total: number;
  /** Epoch ms of the latest sample. */
  endT: number;
  blocks: BlockStat[];
  /** The unfinished block: [samples, Σ, Σ²] (in g), and two slots the native frame pass reports in. */
  block: Float64Array;
  /** driftCheck(blocks), worked out once per new block (windows overlap: several read the same blocks). */
  drift: SensorFaultFinding | null | undefined;
  /** Absolute indices of isolated spikes, oldest first. */
  spikes: number[];
  sinceEvidence: number;
  /** True once a buffer was analysed since the last discontinuity. */
  analysed: boolean;
  evidence: BearingEvidence | null;
  note: string;
  band: { hz: [number, number]; at: number; source: 'kurtogram' | 'configured' } | null;
  shaftHz: number | null;
}

export class SensorPhysics {
  private readonly machine: MachineInfo;
  /** Samples in the envelope buffer (a power of two, ≥ BUFFER_SEC). */
  readonly n: number;
  private readonly blockLen: number;
  /** Samples between analyses once the first buffer was analysed (at least one buffer). */
  private readonly evidenceEvery: number;
  private readonly channels: Channel[];
  private readonly envelope: EnvelopeAnalyzer;
  private readonly window: WindowAnalyzer;
  private readonly bandEdges: number[];
  /** The C loops, where the addon is built (else the TypeScript below). */
  private readonly native: NativePhysics | null = nativePhysics();
  /** Latest speed carried by frames (machine.speed topic). */
  private topicHz: number | null = null;

  /** `evidenceEverySec`: seconds between envelope analyses after the first (0: every buffer). */
  constructor(private readonly sensor: SensorMeta, private readonly modelRateHz: number, windowLength: number, evidenceEverySec = EVIDENCE_EVERY_SEC) {
    this.machine = sensor.machine ?? NO_MACHINE;
    this.n = Math.min(MAX_BUFFER, nextPow2(sensor.rateHz * BUFFER_SEC));
    this.blockLen = this.n / BLOCKS;
    this.evidenceEvery = Math.max(this.n, Math.round(sensor.rateHz * evidenceEverySec));
    this.channels = sensor.axes.map(() => ({
      ring: new Float32Array(this.n), k: 1, fill: 0, total: 0, endT: 0, blocks: [], block: new Float64Array(5), drift: undefined,
      spikes: [], sinceEvidence: 0, analysed: false, evidence: null, note: this.initialNote(), band: null, shaftHz: null,
    }));
    this.envelope = sharedEnvelope(this.n, sensor.rateHz);
    this.window = new WindowAnalyzer(windowLength, modelRateHz);
    this.bandEdges = bandEdgesFor(modelRateHz);
  }

  private initialNote(): string {
    const m = this.machine;
    if (!m.orders && !m.speed) return 'physics evidence unavailable: no machine metadata (sensor machine.bearing and machine.speed)';
    if (!m.orders) return 'physics evidence unavailable: no bearing (machine.bearing)';
    if (!m.speed) return 'physics evidence unavailable: no shaft speed (machine.speed)';
    return 'physics evidence: collecting the first buffer';
  }

  /** A frame of the sensor (before resampling). Runs the envelope analysis when a buffer is complete. */
  onFrame(f: Frame): void {
    // A frame without a speed means the topic fell silent (stampSpeed stops stamping stale speeds).
    if (this.machine.speed?.mode === 'topic') this.topicHz = f.shaftHz !== undefined && f.shaftHz > 0 ? f.shaftHz : null;
    const k = unitFactor(f.unit, 'g');
    const n = this.n;
    const len = f.channels[0]?.length ?? 0;
    f.channels.forEach((samples, c) => {
      const ch = this.channels[c];
      if (!ch) return;
      if (f.discontinuity) {
        ch.fill = 0;
        ch.blocks = [];
        ch.block.fill(0);
        ch.drift = undefined;
        ch.sinceEvidence = 0;
        ch.analysed = false;
      }
      ch.k = k;
      if (this.native) this.nativeFrame(this.native, ch, samples, k);
      else this.frameLoop(ch, samples, k);
      ch.total += len;
      ch.fill = Math.min(n, ch.fill + len);
      ch.endT = f.t0 + ((len - 1) * 1000) / f.rateHz;
      while (ch.spikes.length > 0 && ch.spikes[0] < ch.total - n) ch.spikes.shift();
      if (ch.spikes.length > 256) ch.spikes.splice(0, ch.spikes.length - 256);
      ch.sinceEvidence += len;
      if (ch.fill === n && ch.sinceEvidence >= (ch.analysed ? this.evidenceEvery : n)) {
        ch.sinceEvidence = 0;
        ch.analysed = true;
        this.analyseBuffer(ch);
      }
    });
  }

  /** One frame through native/physics.c framePass: ring, blocks and spikes in one C call. */
  private nativeFrame(c: NativePhysics, ch: Channel, samples: Float32Array, k: number): void {
    const first = ch.total;
    c.framePass(samples, ch.ring, first % this.n, k, this.blockLen, ch.block, frameBlocks, frameSpikes, SPIKE_RMS, SPIKE_NEIGHBOUR_SHARE, SPIKE_ISOLATION);
    const nb = ch.block[3];
    const capB = frameBlocks.length / 2;
    for (let j = Math.max(0, nb - capB); j < nb; j++) this.pushBlock(ch, frameBlocks[2 * (j % capB)], frameBlocks[2 * (j % capB) + 1]);
    const ns = ch.block[4];
    const capS = frameSpikes.length;
    for (let j = Math.max(0, ns - capS); j < ns; j++) ch.spikes.push(first + frameSpikes[j % capS]);
  }

  private pushBlock(ch: Channel, mean: number, rms: number): void {
    ch.blocks.push({ mean, rms });
    if (ch.blocks.length > BLOCKS) ch.blocks.shift();
    ch.drift = undefined;
  }

  /** The TypeScript frame pass (the reference of native/physics.c framePass). */
  private frameLoop(ch: Channel, samples: Float32Array, k: number): void {
    const n = this.n;
    const len = samples.length;
    const first = ch.total;
    // Hot: every sample of every channel. Locals and a modulo per frame, not per sample (the loop
    // with them on the channel object was the physics' largest single cost in the worker profile).
    const ring = ch.ring;
    const blockLen = this.blockLen;
    let p = first % n;
    let bn = ch.block[0];
    let bsum = ch.block[1];
    let bsum2 = ch.block[2];
    // The frame's own Σx, Σx² for the spike search, in this pass rather than one of its own.
    let fsum = 0;
    let fsum2 = 0;
    for (let i = 0; i < len; i++) {
      const s = samples[i];
      fsum += s;
      fsum2 += s * s;
      ring[p] = s;
      if (++p === n) p = 0;
      const v = s * k;
      bn++;
      bsum += v;
      bsum2 += v * v;
      if (bn === blockLen) {
        const mean = bsum / bn;
        this.pushBlock(ch, mean, Math.sqrt(Math.max(0, bsum2 / bn - mean * mean)));
        bn = 0;
        bsum = 0;
        bsum2 = 0;
      }
    }
    ch.block[0] = bn;
    ch.block[1] = bsum;
    ch.block[2] = bsum2;
    // Spikes in this frame, on its own samples: the test is relative to the frame's RMS, so the unit
    // does not matter.
    findSpikes(samples, 0, len, (i) => ch.spikes.push(first + i), { sum: fsum, sum2: fsum2 });
  }

  /** Samples [from, to] (absolute indices, inside the ring) in g into `out` from 0; returns their sum. */
  private copyOut(ch: Channel, from: number, to: number, out: Float64Array): number {
    const n = this.n;
    const ring = ch.ring;
    const k = ch.k;
    let p = from % n;
    let sum = 0;
    for (let j = 0, len = to - from + 1; j < len; j++) {
      const v = ring[p] * k;
      out[j] = v;
      sum += v;
      if (++p === n) p = 0;
    }
    return sum;
  }

  private speed(amp: Float64Array | null): { hz: number; source: SpeedSource } | { note: string } {
    const s = this.machine.speed;
    if (!s) return { note: 'no shaft speed (machine.speed)' };
    if (s.mode === 'fixed') return { hz: s.hz, source: 'fixed' };
    if (s.mode === 'topic') return this.topicHz ? { hz: this.topicHz, source: 'topic' } : { note: `no speed received on ${s.topic} yet` };
    const est = amp && estimateShaftHz(amp, this.envelope.df, s.minHz, s.maxHz);
    if (!est || est.strengthDb < SPEED_MIN_DB) return { note: `no shaft speed found between ${Math.round(s.minHz * 60)} and ${Math.round(s.maxHz * 60)} rpm` };
    return { hz: est.hz, source: 'estimated' };
  }

  /** The latest buffer → shaft speed, envelope band and squared-envelope evidence of one channel. */
  private analyseBuffer(ch: Channel): void {
    const orders = this.machine.orders;
    const needsSpectrum = this.machine.speed?.mode === 'estimate' || orders !== null;
    if (!needsSpectrum) return;
    const buffer = scratch('buffer', this.n);
    this.copyOut(ch, ch.total - this.n, ch.total - 1, buffer);
    const s = this.machine.speed;
    // The speed estimate reads the spectrum up to 4× the top of its range (plus its floor's width).
    const ampBins = s?.mode === 'estimate' ? Math.ceil((4 * s.maxHz) / this.envelope.df) + 32 : 0;
    const { amp } = this.envelope.spectrum(buffer.subarray(0, this.n), ampBins);
    const speed = this.speed(amp);
    ch.shaftHz = 'hz' in speed ? speed.hz : null;
    if (!orders) return;
    if ('note' in speed) {
      ch.evidence = null;
      ch.note = `physics evidence unavailable: ${speed.note}`;
      return;
    }
    const maxLine = Math.max(orders.bpfo, orders.bpfi, 2 * orders.bsf) * speed.hz;
    const maxHz = ENVELOPE_SPAN * maxLine + 2 * speed.hz;
    const configured = this.machine.envelopeBandHz;
    if (configured) {
      ch.band = { hz: configured, at: ch.endT, source: 'configured' };
    } else if (!ch.band || ch.endT - ch.band.at > BAND_KEEP_SEC * 1000) {
      // The band must be wide enough for the envelope to carry the lines up to maxHz.
      const k = this.envelope.kurtogram(maxHz);
      ch.band = { hz: k.bandHz, at: ch.endT, source: 'kurtogram' };
    }
    const env = this.envelope.squaredEnvelope(ch.band.hz, maxHz);
    const scored = scoreEvidence({ ses: env.ses, df: env.df, sk: env.sk, shaftHz: speed.hz, orders });
    ch.evidence = { shaftHz: speed.hz, speedSource: speed.source, bandHz: env.bandHz, band: ch.band.source, bandSk: env.sk, ...scored, at: ch.endT };
    ch.note = '';
  }

  /** The physics of one model window (its samples in the model's unit, `toG` converts them to g). */
  onWindow(w: Window, toG: number): WindowPhysics {
    const c = this.sensor.axes.indexOf(w.channel);
    const ch = this.channels[c];
    const indicators = this.window.analyse(w.data, toG, this.machine.isoZones);
    const faults: SensorFaultFinding[] = [];
    if (ch) {
      // The window's span in the native ring, located by time (windows end near the newest frame).
      const rate = this.sensor.rateHz;
      const newest = ch.total - 1;
      const iEnd = Math.min(newest, newest - Math.round(((ch.endT - w.end) * rate) / 1000));
      const iStart = iEnd - Math.round(((w.end - w.start) * rate) / 1000);
      const oldest = ch.total - ch.fill;
      const from = Math.max(iStart, oldest);
      if (iEnd - from > 0.5 * (iEnd - iStart)) {
        const len = iEnd - from + 1;
        // The span copied out (in g) only for the TypeScript checks or the trend fit of the first ~1.4 s.
        let span: Float64Array | null = null;
        let sum: number;
        if (this.native) {
          this.native.spanStats(ch.ring, from % this.n, len, ch.k, clipMinCount(len), spanOut);
          sum = spanOut[4];
          for (const f of rawFindings(spanOut, len)) faults.push(f);
        } else {
          span = scratch('span', len);
          sum = this.copyOut(ch, from, iEnd, span);
          for (const f of rawChecks(span, 0, len)) faults.push(f);
        }
        let spikes = 0;
        for (const s of ch.spikes) if (s >= from && s <= iEnd) spikes++;
        const sp = spikeFinding(spikes, iEnd - from + 1);
        if (sp) faults.push(sp);
        if (!faults.some((f) => f.kind === 'flatline')) {
          // The window's own line/step fit only until the drift history is full (~1.4 s after a start
          // or a gap): from then on the block means see any drift or step that fit would (a step in the
          // newest, unfinished block one block later), and the fit was ~15 % of a window's physics.
          if (ch.drift === undefined) ch.drift = driftCheck(ch.blocks);
          let drift = ch.drift;
          if (!drift && ch.blocks.length < BLOCKS) {
            if (!span) {
              span = scratch('span', len);
              this.copyOut(ch, from, iEnd, span);
            }
            drift = trendCheck(span, 0, len, sum);
          }
          if (drift) faults.push(drift);
        }
      }
    }
    if (!faults.some((f) => f.kind === 'flatline')) {
      const mains = mainsCheck(this.window.spectrum, ch?.shaftHz ?? this.knownShaftHz());
      if (mains) faults.push(mains);
    }
    const physics: WindowPhysics = { indicators, evidence: ch?.evidence ?? null, sensorFaults: faults, bandsDb: bandLevelsDb(this.window.spectrum, this.bandEdges) };
    if (ch && ch.blocks.length < SETTLED_BLOCKS) physics.settling = true;
    if (!physics.evidence) physics.evidenceNote = ch?.note ?? 'physics evidence unavailable';
    return physics;
  }

  private knownShaftHz(): number | null {
    const s = this.machine.speed;
    return s?.mode === 'fixed' ? s.hz : s?.mode === 'topic' ? this.topicHz : null;
  }
}

/**
 * Runs the analysis once on a synthetic signal (one buffer and a window), so a worker's first real
 * windows do not pay for compiling it: the first window with physics took ~70 ms instead of < 1 ms
 * (measured under tsx). Call while the engine loads.
 */
export function warmUpPhysics(): void {
  const rate = 12_000;
  const sensor: SensorMeta = {
    id: 'warm-up', asset: 'warm-up', rateHz: rate, unit: 'g', axes: ['x'],
    machine: { orders: { bpfo: 3.585, bpfi: 5.415, bsf: 2.357, ftf: 0.398 }, speed: { mode: 'estimate', minHz: 20, maxHz: 40 }, isoZones: [1.4, 2.8, 4.5], envelopeBandHz: null },
  };
  const p = new SensorPhysics(sensor, rate, 2048);
  const x = new Float32Array(2048);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin((2 * Math.PI * 30 * i) / rate) + (i % 107 === 0 ? 3 : 0);
  const frames = Math.ceil(p.n / x.length);
  for (let k = 0; k < frames; k++) p.onFrame({ sensorId: sensor.id, t0: (k * x.length * 1000) / rate, rateHz: rate, unit: 'g', axes: ['x'], channels: [x] });
  const end = ((frames * x.length - 1) * 1000) / rate;
  p.onWindow({ sensorId: sensor.id, asset: sensor.asset, channel: 'x', start: end - (2047 * 1000) / rate, end, data: x, completedAt: 0 }, 1);
}

// The one schema: it yields the Settings type, the defaults and the validation (STYLE rule 3).
// config/default.yaml documents every key; tests/unit/config.test.ts checks the two agree.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" or "." (it becomes an MQTT topic level)');
const unit = z.enum(['g', 'm/s2', 'mg']);
const positive = z.number().positive();
const axes = z.array(z.string().min(1)).min(1).default(['x']);

const reconnect = z.strictObject({
  initialMs: positive.default(500),
  maxMs: positive.default(30_000),
}).prefault({});

const csvFormat = z.strictObject({
  /** Column names in order; axis columns are matched to `axes`, `timestampColumn` holds epoch ms or ISO time. */
  columns: z.array(z.string().min(1)).min(1).optional(),
  header: z.boolean().default(false),
  timestampColumn: z.string().optional(),
  delimiter: z.string().length(1).default(','),
  /** Samples per emitted frame; lines are gathered into frames so the pipeline never sees single samples. */
  frameSamples: z.int().positive().default(256),
}).prefault({});

const serialSource = z.strictObject({
  type: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.int().positive().default(921_600),
  format: z.enum(['csv', 'frame']).default('csv'),
  csv: csvFormat,
  /** Physical value = raw × scale (int16 counts → unit). */
  scale: z.number().default(1),
  reconnect,
});

const mqttSource = z.strictObject({
  type: z.literal('mqtt'),
  /** Topic filter; `+` and `#` wildcards allowed. */
  topic: z.string().min(1),
  format: z.enum(['json', 'float32', 'int16']).default('json'),
  scale: z.number().default(1),
});

const replaySource = z.strictObject({
  type: z.literal('replay'),
  file: z.string().min(1),
  format: z.enum(['f32', 'csv', 'mat']).optional(),
  /** For .mat files: variable to play, e.g. X105_DE_time; default: the first *_DE_time. */
  variable: z.string().optional(),
  /** Playback speed relative to real time (1 = real time). */
  speed: positive.default(1),
  loop: z.boolean().default(true),
  frameSamples: z.int().positive().default(1024),
});

const simulatorSource = z.strictObject({
  type: z.literal('simulator'),
  condition: z.enum(['normal', 'inner_race', 'outer_race', 'ball']).default('normal'),
  /** Defect impulse amplitude relative to the healthy vibration level. */
  severity: z.number().nonnegative().default(1),
  rpm: positive.default(1797),
  noiseRms: z.number().nonnegative().default(0.02),
  seed: z.int().default(1),
  frameSamples: z.int().positive().default(1024),
  speed: positive.default(1),
});

export const sourceSchema = z.discriminatedUnion('type', [serialSource, mqttSource, replaySource, simulatorSource]);

export const sensorSchema = z.strictObject({
  id,
  asset: id,
  rateHz: positive.max(1_000_000),
  unit: unit.default('g'),
  axes,
  /** |value| above this (in the sensor's unit) is rejected as implausible. */
  range: positive.default(500),
  source: sourceSchema,
});

export const settingsSchema = z.strictObject({
  gateway: z.strictObject({ id: id.default('gateway') }).prefault({}),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    badInputIntervalMs: positive.default(10_000),
  }).prefault({}),
  mqtt: z.strictObject({
    /** Broker URL (mqtt://, mqtts://). Unset: drsnd starts an embedded broker on `embedded`. */
    url: z.string().nullable().default(null),
    embedded: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.int().min(0).max(65535).default(1883) }).prefault({}),
    baseTopic: z.string().min(1).default('drsnd'),
    clientId: z.string().nullable().default(null),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    healthExpirySec: z.int().positive().default(600),
    /** A sensor's health goes out at once when its status, class or alert changes, otherwise at most this
     *  often (the newest state follows when the interval ends). 0: after every committed batch. At 12
     *  windows/s per sensor, health per diagnosis doubled the MQTT messages (BENCHMARKS.md). */
    healthIntervalMs: z.int().min(0).default(1_000),
    /**
     * Diagnoses and alert events are published from SQLite (the outbox) and marked when the broker
     * acknowledged them; what an outage or a restart held back goes out after it, in order.
     */
    outbox: z.strictObject({
      /** Messages sent and not yet acknowledged (PUBACK), at most. A broker that enforces a smaller MQTT 5 Receive Maximum needs this lowered to it. */
      maxInflight: z.int().positive().max(65_535).default(2_000),
      /** Messages per second at most while publishing a backlog; must exceed the live rate (~11.7 per channel) to catch up. */
      ratePerSec: z.int().positive().default(5_000),
    }).prefault({}),
    maxPayloadBytes: z.int().positive().default(4 * 1024 * 1024),
    reconnectMs: positive.default(2_000),
  }).prefault({}),
  store: z.strictObject({
    path: z.string().default('./data/drsnd.db'),
    /** NORMAL in WAL mode: a power cut can lose the last transactions, never corrupt the file. */
    synchronous: z.enum(['OFF', 'NORMAL', 'FULL']).default('NORMAL'),
    batchMaxRows: z.int().positive().default(500),
    /** Bounds the latency to MQTT (published after commit): 250 ms gave p99 ≈ 680 ms end to end, 50 ms ≈ 230 ms (BENCHMARKS.md). */
    batchMaxMs: positive.default(50),
    /**
     * Where the WAL is folded into the database: `inline` is SQLite's own automatic checkpoint inside a
     * commit (every 1,000 WAL pages); `worker` (a thread with its own connection, every 250 ms) keeps the
     * checkpoint and its fsync out of the event loop: lower loop delay below capacity and on slow
     * storage, but less capacity at saturation on 2 cores (BENCHMARKS.md item 10).
     */
    checkpoint: z.enum(['worker', 'inline']).default('inline'),
    retention: z.strictObject({
      maxAgeDays: positive.default(90),
      maxRows: z.int().positive().default(5_000_000),
      intervalSec: positive.default(60),
      /** Rows deleted per step; small steps keep each write transaction short. */
      stepRows: z.int().positive().default(2_000),
    }).prefault({}),
  }).prefault({}),
  model: z.strictObject({
    /** Model folder (relative paths resolve against the working directory). */
    dir: z.string().default('models/drsn-cw-cwru'),
  }).prefault({}),
  inference: z.strictObject({
    /** auto = native where npm run build compiled it for this CPU, else onnx, else tfjs (README, Inference engines). */
    engine: z.enum(['auto', 'native', 'onnx', 'tfjs']).default('auto'),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    /** Worker threads; 0 = one per core. */
    workers: z.int().min(0).default(0),
    /**
     * Windows per engine call. 64, not 16: onnxruntime runs the shipped graph ~20 % faster per window at 64,
     * which is what holds 300 channels on 2 cores; below saturation a call waits at most batchMaxWaitMs
     * (BENCHMARKS.md item 11).
     */
    batchSize: z.int().positive().default(64),
    batchMaxWaitMs: positive.default(50),
    /** Split pipeline: windows waiting for inference; at the bound the oldest waiting window is dropped and counted. */
    queueLimit: z.int().positive().default(1024),
  }).prefault({}),
  pipeline: z.strictObject({
    /** Hop between window starts in samples at the model rate; default = half a window (50% overlap). */
    hop: z.int().positive().nullable().default(null),
    /** A timestamp jump larger than this many sample periods is a gap: the window restarts. */
    gapTolerancePeriods: positive.default(2),
    /**
     * Worker threads for the per-sensor signal path (resample, band-limit, window, normalize); 0 runs it
     * on the main thread. One worker takes ~300 channels at 12 kHz off the main thread (BENCHMARKS.md).
     */
    workers: z.int().min(0).max(64).default(1),
    /**
     * Run the signal path inside the inference workers (inference.workers threads), which then send
     * back diagnoses, not windows: one busy thread fewer on a small CPU. pipeline.workers and
     * inference.queueLimit then do not apply; the frame queue bounds memory instead.
     */
    fused: z.boolean().default(true),
  }).prefault({}),
  alerts: z.strictObject({
    /** A window counts as a fault vote when its fault class has at least this confidence. */
    threshold: z.number().min(0).max(1).default(0.8),
    raiseK: z.int().positive().default(3),
    raiseN: z.int().positive().default(5),
    /** Consecutive normal windows needed to clear an active alert. */
    clearM: z.int().positive().default(5),
  }).prefault({}),
  sensors: z.array(sensorSchema).default([]),
}).superRefine((s, ctx) => {
  // Runs even when fields failed (`when` below: zod skips refinements after a wrong type or enum value),
  // so one pass reports every problem; the values may therefore be malformed here and are checked first.
  const sensors: unknown[] = Array.isArray(s.sensors) ? s.sensors : [];
  const seen = new Set<string>();
  sensors.forEach((sensor, i) => {
    const id = (sensor as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['sensors', i, 'id'], message: `duplicate sensor id "${id}"` });
    seen.add(id);
  });
  const { raiseK, raiseN } = (s.alerts ?? {}) as { raiseK?: unknown; raiseN?: unknown };
  if (typeof raiseK === 'number' && typeof raiseN === 'number' && raiseK > raiseN) {
    ctx.addIssue({ code: 'custom', path: ['alerts', 'raiseK'], message: `must be <= alerts.raiseN (${raiseN})` });
  }
}, { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

export type Settings = z.infer<typeof settingsSchema>;
export type SensorSettings = z.infer<typeof sensorSchema>;
export type SourceSettings = z.infer<typeof sourceSchema>;
export type SerialSourceSettings = z.infer<typeof serialSource>;
export type MqttSourceSettings = z.infer<typeof mqttSource>;
export type ReplaySourceSettings = z.infer<typeof replaySource>;
export type SimulatorSourceSettings = z.infer<typeof simulatorSource>;

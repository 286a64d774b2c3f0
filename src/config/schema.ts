// The one schema: it yields the Settings type, the defaults and the validation (STYLE rule 3).
// config/default.yaml documents every key; tests/unit/config.test.ts checks the two agree.
import { z } from 'zod';
import { knownDesignations, lookupBearing } from '../physics/bearing.js';

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
  /** Physical value (in the sensor's unit) = recorded value × scale: e.g. a recording in volts of a
   *  10.22 mV/(m/s²) accelerometer is unit m/s2 with scale 97.85 (1 / 0.01022). */
  scale: z.number().positive().default(1),
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

/** Exactly one of the object's keys `keys` is set (zod unions report poorly: this says which keys to use). */
function exactlyOne<T extends z.ZodObject>(schema: T, keys: string[]): T {
  return schema.superRefine((v, ctx) => {
    const set = keys.filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    if (set.length !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of ${keys.join(', ')} (got ${set.length ? set.join(', ') : 'none'})` });
  }) as unknown as T;
}

/**
 * What drsnd knows of the machine a sensor sits on, for physics evidence (src/physics/). All optional:
 * without `bearing` and `speed` there is no envelope evidence and every diagnosis says so.
 */
const machineSchema = z.strictObject({
  bearing: exactlyOne(z.strictObject({
    /** A designation from the shipped table (src/physics/bearing.ts): 6205, 6203, 6305, UER204, UC204. */
    designation: z.string().min(1).refine((d) => lookupBearing(d) !== undefined, { message: `unknown bearing; known: ${knownDesignations().join(', ')} (or give geometry or orders)` }).optional(),
    geometry: z.strictObject({
      balls: z.int().min(3),
      ballDiameterMm: positive,
      pitchDiameterMm: positive,
      contactAngleDeg: z.number().min(0).max(60).default(0),
    }).optional(),
    /** Defect frequencies per shaft Hz, e.g. from the bearing maker. */
    orders: z.strictObject({ bpfo: positive, bpfi: positive, bsf: positive, ftf: positive }).optional(),
  }), ['designation', 'geometry', 'orders']).optional(),
  speed: exactlyOne(z.strictObject({
    /** Fixed shaft speed. */
    rpm: positive.optional(),
    /** An MQTT topic carrying the speed in rpm (a number, or JSON with an `rpm` field). */
    topic: z.string().min(1).optional(),
    /** Estimated from the spectrum (1x and harmonics) within this range. */
    estimate: z.strictObject({ minRpm: positive, maxRpm: positive }).refine((e) => e.maxRpm > e.minRpm, 'maxRpm must be above minRpm').optional(),
  }), ['rpm', 'topic', 'estimate']).optional(),
  /** ISO 10816/20816 velocity zones: a group and foundation (10816-3), a class (10816-1), or your own A/B, B/C, C/D limits in mm/s. */
  iso: exactlyOne(z.strictObject({
    group: z.union([z.literal(1), z.literal(2)]).optional(),
    foundation: z.enum(['rigid', 'flexible']).default('rigid'),
    class: z.enum(['I', 'II', 'III', 'IV']).optional(),
    zones: z.tuple([positive, positive, positive]).optional(),
  }), ['group', 'class', 'zones']).optional(),
  /** A fixed resonance band for the envelope [low, high] Hz; absent: chosen by spectral kurtosis. */
  envelopeBandHz: z.tuple([positive, positive]).refine(([a, b]) => b > a, 'the band\'s high edge must be above its low edge').optional(),
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
  machine: machineSchema.optional(),
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
    embedded: z.strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.int().min(0).max(65535).default(1883),
      /** Set both and the embedded broker refuses clients without them (drsnd's own clients use them). */
      username: z.string().nullable().default(null),
      password: z.string().nullable().default(null),
    }).prefault({}),
    baseTopic: z.string().min(1).default('drsnd'),
    clientId: z.string().nullable().default(null),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    /** TLS for mqtts:// URLs (publisher and MQTT sensors): PEM file paths, relative to the working directory. */
    tls: z.strictObject({
      /** CA certificate(s) that signed the broker's certificate; null: the system's CAs. */
      ca: z.string().nullable().default(null),
      /** Client certificate and key for mutual TLS; both or neither. */
      cert: z.string().nullable().default(null),
      key: z.string().nullable().default(null),
      /** Name expected in the broker's certificate when it differs from the URL's host (SNI too). */
      servername: z.string().nullable().default(null),
      /** Verify the broker's certificate (rejectUnauthorized). false only for a test bench. */
      verify: z.boolean().default(true),
    }).prefault({}),
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
    /** Request/response on <base>/request/<op> (README, "MQTT requests"); the broker's ACL says who may. */
    requests: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
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
    /**
     * Model folder (relative paths resolve against the working directory). The default is the model best
     * on both of issue 18's tables (CWRU with noise, UESTC zero-shot); models/drsn-cw-cwru holds 2-4x the
     * channels per core (README, "The model").
     */
    dir: z.string().default('models/drsn-cw-wide-x2-cwru'),
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
     * Device timestamps (serial and MQTT sensors) more than this far ahead of the gateway's clock are
     * rejected without moving the sensor's clock; null: no check. One frame a day ahead used to silence
     * its sensor until restart (issue 19).
     */
    futureToleranceMs: positive.nullable().default(60_000),
    /**
     * A sensor's timestamps jumping back by more than this (a device restarting its clock) restart its
     * stream, once the next frame continues the new timeline; a smaller step back is an overlap and
     * those frames are rejected, for at most this long.
     */
    clockResetMs: positive.default(5_000),
    /**
     * systemd watchdog: WATCHDOG=1 is withheld (and systemd restarts drsnd) when sensors keep sending
     * accepted frames but no window came out for this long. No frames at all is not a stall (idle
     * machine; the sources retry by themselves); with no sensors only the event loop is watched.
     * null: the event loop only. Must exceed the time one window takes to fill.
     */
    stallTimeoutSec: positive.nullable().default(300),
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
    /**
     * Condition indicators, sensor checks and bearing evidence on every window (src/physics/, docs/physics.md).
     * false: the DRSN alone, as before issue 18 (for A/B cost measurements; `npm run bench -- --set pipeline.physics=false`).
     */
    physics: z.boolean().default(true),
  }).prefault({}),
  alerts: z.strictObject({
    /** A window counts as a fault vote when its fault class has at least this confidence. */
    threshold: z.number().min(0).max(1).default(0.8),
    raiseK: z.int().positive().default(3),
    raiseN: z.int().positive().default(5),
    /** Consecutive normal windows needed to clear an active alert. */
    clearM: z.int().positive().default(5),
    /**
     * A normal window counts towards clearing only with at least this confidence; a less certain one
     * (the fusion's "DRSN fault not confirmed by the physics" is normal at 0.5) neither clears nor
     * breaks the run. Without it a machine at the edge of that rule raised and cleared every few seconds.
     */
    clearConfidence: z.number().min(0).max(1).default(0.6),
    /** The raw window that raised or changed an alert, kept in SQLite (README, "Alert snapshots"). */
    snapshots: z.strictObject({
      enabled: z.boolean().default(true),
      /** Recent windows each inference thread keeps per channel to answer from (~8 KiB each at 2,048 samples). */
      ringWindows: z.int().min(1).max(64).default(8),
      /** Snapshots kept at most; the oldest go first. */
      maxCount: z.int().positive().default(1_000),
      /** Bytes of samples kept at most (1,000 windows of 2,048 float32 are 8 MiB). */
      maxBytes: z.int().positive().default(32 * 1024 * 1024),
    }).prefault({}),
  }).prefault({}),
  /**
   * On-site baselines (docs/baseline.md): `drsnd baseline start|stop <sensor>` learns a channel's healthy
   * indicators and band levels; a window that departs from them becomes the verdict `novelty` (alert kind
   * `novelty`, raised and cleared by the alerts.* rule). Levels relative to the machine's own baseline, as
   * ISO 13373-1 and ISO 20816-1's annex on alarms advise; the factors are a common starting point, not
   * values from those standards: set them per machine.
   */
  baseline: z.strictObject({
    /** RMS acceleration or RMS velocity this many times its baseline: alert (2 = +6 dB). */
    alertRatio: z.number().gt(1).default(2),
    /** ... and danger (4 = +12 dB). */
    dangerRatio: z.number().gt(1).default(4),
    /** Novelty score (root mean square of the features' rises in standard deviations) for alert ... */
    alertScore: positive.default(3),
    /** ... and danger. */
    dangerScore: positive.default(6),
    /** Smallest spread a feature is given, dB: a steadier machine alerts on no change smaller than ~alertScore × this. */
    minStdDb: positive.default(0.5),
    /** Windows a channel must have learnt before its baseline can be made active (~11.7 windows/s per channel). */
    minWindows: z.int().min(2).default(100),
  }).prefault({}),
  /** The HTTP interface (README, "HTTP API"): JSON API, Prometheus /metrics, the dashboard. */
  http: z.strictObject({
    enabled: z.boolean().default(true),
    /** Loopback by default; any other address needs `token`. */
    host: z.string().min(1).default('127.0.0.1'),
    /** 0: any free port (the log line "http listening" says which). */
    port: z.int().min(0).max(65535).default(8080),
    /** Bearer token every request must carry (`Authorization: Bearer <token>`); required off loopback. */
    token: z.string().min(16, 'use at least 16 characters').nullable().default(null),
    /** Most rows one page of /diagnoses or /alerts returns (a request asking for more gets this many). */
    maxPageSize: z.int().positive().max(10_000).default(1_000),
    /** MQTT requests' queries waiting for their read thread; past this a request is answered DRSND_BUSY at once. */
    maxPendingReads: z.int().positive().default(64),
    /** Live-stream (server-sent events) clients at once; more are refused with 503. */
    maxStreamClients: z.int().positive().default(16),
    /** Share of one core the HTTP thread may use; past it requests wait (src/http/cpu-budget.ts). 1: no cap. */
    cpuShare: z.number().gt(0).max(1).default(0.25),
    /** Requests waiting for the CPU budget at most; past this a request is refused at once with DRSND_BUSY. */
    maxQueuedRequests: z.int().positive().default(1000),
    metrics: z.boolean().default(true),
    dashboard: z.boolean().default(true),
  }).prefault({}),
  /** Home Assistant MQTT discovery (README, "Home Assistant"); opt-in. */
  homeassistant: z.strictObject({
    enabled: z.boolean().default(false),
    /** Home Assistant's discovery prefix (its MQTT integration's setting). */
    discoveryPrefix: z.string().min(1).regex(/^[^#+]+$/, 'no MQTT wildcards').default('homeassistant'),
  }).prefault({}),
  /** Sparkplug B edge node (README, "Sparkplug B"); opt-in. */
  sparkplug: z.strictObject({
    enabled: z.boolean().default(false),
    groupId: id.default('drsnd'),
    /** The edge node id; null: gateway.id. */
    edgeNodeId: id.nullable().default(null),
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
  const mqtt = (s.mqtt ?? {}) as { url?: unknown; tls?: { ca?: unknown; cert?: unknown; key?: unknown }; embedded?: { username?: unknown; password?: unknown } };
  const tls = mqtt.tls ?? {};
  if ((typeof tls.cert === 'string') !== (typeof tls.key === 'string')) {
    ctx.addIssue({ code: 'custom', path: ['mqtt', 'tls', typeof tls.cert === 'string' ? 'key' : 'cert'], message: 'set both tls.cert and tls.key (mutual TLS), or neither' });
  }
  const tlsSet = [tls.ca, tls.cert, tls.key].some((v) => typeof v === 'string');
  if (tlsSet && typeof mqtt.url === 'string' && !/^(mqtts|wss|ssl|tls):\/\//i.test(mqtt.url)) {
    ctx.addIssue({ code: 'custom', path: ['mqtt', 'tls'], message: 'set, but mqtt.url is not mqtts:// (or wss://): the connection would not use TLS' });
  }
  const emb = mqtt.embedded ?? {};
  if ((typeof emb.username === 'string') !== (typeof emb.password === 'string')) {
    ctx.addIssue({ code: 'custom', path: ['mqtt', 'embedded', typeof emb.username === 'string' ? 'password' : 'username'], message: 'set both embedded.username and embedded.password, or neither' });
  }
  const http = (s.http ?? {}) as { enabled?: unknown; host?: unknown; token?: unknown };
  if (http.enabled !== false && typeof http.host === 'string' && !isLoopback(http.host) && (http.token === null || http.token === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['http', 'token'], message: `required when http.host (${http.host}) is not a loopback address: anyone on the network could read and acknowledge alerts` });
  }
  const b = (s.baseline ?? {}) as { alertRatio?: unknown; dangerRatio?: unknown; alertScore?: unknown; dangerScore?: unknown };
  if (typeof b.alertRatio === 'number' && typeof b.dangerRatio === 'number' && b.dangerRatio < b.alertRatio) {
    ctx.addIssue({ code: 'custom', path: ['baseline', 'dangerRatio'], message: `must be >= baseline.alertRatio (${b.alertRatio})` });
  }
  if (typeof b.alertScore === 'number' && typeof b.dangerScore === 'number' && b.dangerScore < b.alertScore) {
    ctx.addIssue({ code: 'custom', path: ['baseline', 'dangerScore'], message: `must be >= baseline.alertScore (${b.alertScore})` });
  }
  const { raiseK, raiseN } = (s.alerts ?? {}) as { raiseK?: unknown; raiseN?: unknown };
  if (typeof raiseK === 'number' && typeof raiseN === 'number' && raiseK > raiseN) {
    ctx.addIssue({ code: 'custom', path: ['alerts', 'raiseK'], message: `must be <= alerts.raiseN (${raiseN})` });
  }
}, { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

/** 127.0.0.0/8, ::1, localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type Settings = z.infer<typeof settingsSchema>;
export type SensorSettings = z.infer<typeof sensorSchema>;
export type SourceSettings = z.infer<typeof sourceSchema>;
export type SerialSourceSettings = z.infer<typeof serialSource>;
export type MqttSourceSettings = z.infer<typeof mqttSource>;
export type ReplaySourceSettings = z.infer<typeof replaySource>;
export type SimulatorSourceSettings = z.infer<typeof simulatorSource>;
export type MachineSettings = z.infer<typeof machineSchema>;

// Schema history. Append a step, never edit one that has shipped: a gateway's database is at
// `PRAGMA user_version` = number of steps applied, and db.ts applies the rest in order, each in
// its own transaction, so a power cut mid-upgrade leaves the file at the last complete step.
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';

export type Migration = (db: Database) => void;

export const migrations: readonly Migration[] = [
  // 1: initial schema.
  (db) => db.exec(`
    CREATE TABLE sensors (
      id         TEXT PRIMARY KEY,
      asset      TEXT NOT NULL,
      rate_hz    REAL,
      unit       TEXT,
      axes       TEXT,             -- JSON array of axis names
      first_seen INTEGER NOT NULL, -- epoch ms
      last_seen  INTEGER           -- epoch ms of the last committed diagnosis
    ) STRICT;

    -- No foreign key to sensors: a diagnosis must never be lost because config and data disagree.
    CREATE TABLE diagnoses (
      id            INTEGER PRIMARY KEY,
      sensor        TEXT NOT NULL,
      asset         TEXT NOT NULL,
      channel       TEXT NOT NULL,
      window_start  INTEGER NOT NULL, -- epoch ms
      window_end    INTEGER NOT NULL, -- epoch ms; "the time" of a diagnosis in queries and retention
      class_index   INTEGER NOT NULL,
      class_name    TEXT NOT NULL,
      kind          TEXT NOT NULL CHECK (kind IN ('normal', 'fault')),
      confidence    REAL NOT NULL,
      probabilities BLOB NOT NULL,    -- float32 little-endian, one per class (4 bytes/class vs ~15 as JSON)
      model_id      TEXT NOT NULL,
      model_version TEXT NOT NULL,
      latency_ms    REAL NOT NULL,
      created_at    INTEGER NOT NULL  -- epoch ms, gateway clock at commit
    ) STRICT;
    CREATE INDEX diagnoses_sensor_time ON diagnoses (sensor, window_end);
    CREATE INDEX diagnoses_asset_time  ON diagnoses (asset, window_end);
    CREATE INDEX diagnoses_class_time  ON diagnoses (class_name, window_end);
    CREATE INDEX diagnoses_time        ON diagnoses (window_end);

    CREATE TABLE alerts (
      id               INTEGER PRIMARY KEY,
      sensor           TEXT NOT NULL,
      asset            TEXT NOT NULL,
      class_name       TEXT NOT NULL,
      state            TEXT NOT NULL CHECK (state IN ('active', 'cleared')),
      raised_at        INTEGER NOT NULL,
      cleared_at       INTEGER,
      last_changed_at  INTEGER NOT NULL,
      acknowledged_at  INTEGER,
      acknowledged_by  TEXT,
      peak_confidence  REAL NOT NULL
    ) STRICT;
    -- At most one active alert per sensor: the alert state machine is per sensor.
    CREATE UNIQUE INDEX alerts_one_active ON alerts (sensor) WHERE state = 'active';
    CREATE INDEX alerts_raised ON alerts (raised_at);

    CREATE TABLE alert_events (
      id                  INTEGER PRIMARY KEY,
      alert_id            INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
      transition          TEXT NOT NULL CHECK (transition IN ('raised', 'changed', 'cleared')),
      class_name          TEXT NOT NULL,
      previous_class_name TEXT,
      confidence          REAL NOT NULL,
      at                  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX alert_events_alert ON alert_events (alert_id, at);
  `),

  // 2: diagnoses split over 8 tables used as a ring (partitions.ts), behind a view that keeps the name
  // `diagnoses` for every reader. Retention at the row cap then empties the oldest table in one statement
  // instead of deleting rows one by one: at 250 channels that deletion wrote ~0.23 WAL pages per row and
  // doubled the daemon's p99 latency (BENCHMARKS.md item 13). The old table becomes diagnoses_p0 with its
  // rows and index names; its row count is taken once here (a full scan, once per upgrade).
  (db) => {
    db.exec('ALTER TABLE diagnoses RENAME TO diagnoses_p0');
    const tables = ['diagnoses_p0'];
    for (let k = 1; k < 8; k++) {
      const t = `diagnoses_p${k}`;
      tables.push(t);
      db.exec(`
        CREATE TABLE ${t} (
          id            INTEGER PRIMARY KEY,
          sensor        TEXT NOT NULL,
          asset         TEXT NOT NULL,
          channel       TEXT NOT NULL,
          window_start  INTEGER NOT NULL,
          window_end    INTEGER NOT NULL,
          class_index   INTEGER NOT NULL,
          class_name    TEXT NOT NULL,
          kind          TEXT NOT NULL CHECK (kind IN ('normal', 'fault')),
          confidence    REAL NOT NULL,
          probabilities BLOB NOT NULL,
          model_id      TEXT NOT NULL,
          model_version TEXT NOT NULL,
          latency_ms    REAL NOT NULL,
          created_at    INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX ${t}_sensor_time ON ${t} (sensor, window_end);
        CREATE INDEX ${t}_asset_time  ON ${t} (asset, window_end);
        CREATE INDEX ${t}_class_time  ON ${t} (class_name, window_end);
        CREATE INDEX ${t}_time        ON ${t} (window_end);`);
    }
    db.exec(`CREATE VIEW diagnoses AS ${tables.map((t) => `SELECT * FROM ${t}`).join(' UNION ALL ')}`);
    // Row counts kept in step with every commit and deletion, so retention never needs count(*).
    db.exec(`
      CREATE TABLE diagnosis_partitions (
        part    INTEGER PRIMARY KEY,  -- k of diagnoses_pk
        rows    INTEGER NOT NULL,
        current INTEGER NOT NULL CHECK (current IN (0, 1))  -- the one new rows go to
      ) STRICT;`);
    const rows0 = (db.prepare('SELECT count(*) AS n FROM diagnoses_p0').get() as { n: number }).n;
    const add = db.prepare('INSERT INTO diagnosis_partitions (part, rows, current) VALUES (?, ?, ?)');
    for (let k = 0; k < 8; k++) add.run(k, k === 0 ? rows0 : 0, k === 0 ? 1 : 0);
  },

  // 3: SQLite is the outbox (issue 19): what reached the broker is recorded here, not in memory, so an
  // outage of any length or a restart (even after SIGKILL) resends exactly what is missing. Per stream,
  // `acked`: every row with id <= acked was acknowledged by the broker (PUBACK), or deleted by retention
  // before it was (then counted in `lost`); `last_id`: the highest id ever given to a row, so ids are
  // never reused even when retention empties every table, and a subscriber de-duplicating by id never
  // drops a new message. Rows present at the upgrade count as published: the older drsnd sent them
  // live, and resending a whole history at the first start would flood the broker. `store_id` tells
  // two databases apart in message ids (a deleted or replaced file starts ids again).
  // alerts.retained_acked: the state whose retained alert message (payload, or empty once cleared) the
  // broker acknowledged, so a clear cut short by a crash is sent again at the next start.
  (db) => {
    const maxDiagnosisId = Math.max(0, ...Array.from({ length: 8 }, (_, k) =>
      (db.prepare(`SELECT max(id) AS v FROM diagnoses_p${k}`).get() as { v: number | null }).v ?? 0));
    const maxEventId = (db.prepare('SELECT max(id) AS v FROM alert_events').get() as { v: number | null }).v ?? 0;
    db.exec(`
      CREATE TABLE outbox (
        stream  TEXT PRIMARY KEY CHECK (stream IN ('diagnoses', 'alert_events')),
        acked   INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        lost    INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      ALTER TABLE alerts ADD COLUMN retained_acked TEXT CHECK (retained_acked IN ('active', 'cleared'));
      UPDATE alerts SET retained_acked = state;`);
    const add = db.prepare('INSERT INTO outbox (stream, acked, last_id) VALUES (?, ?, ?)');
    add.run('diagnoses', maxDiagnosisId, maxDiagnosisId);
    add.run('alert_events', maxEventId, maxEventId);
    db.prepare(`INSERT INTO store_meta (key, value) VALUES ('store_id', ?)`).run(randomBytes(6).toString('hex'));
  },

  // 4: the fused verdict, condition indicators, shaft speed and envelope evidence of each diagnosis
  // (issue 18; store/physics-columns.ts). Nullable: rows from before, and diagnoses made without the
  // physics, have none. No index: queries on them also name a sensor or a time range, which are indexed.
  (db) => {
    for (let k = 0; k < 8; k++) {
      for (const col of [
        'component TEXT', 'fused_confidence REAL', 'severity TEXT', 'reason TEXT',
        'rms_g REAL', 'peak_g REAL', 'crest REAL', 'kurtosis REAL', 'velocity_mm_s REAL', 'iso_zone TEXT',
        'shaft_hz REAL', 'speed_source TEXT', 'ev_outer REAL', 'ev_inner REAL', 'ev_ball REAL', 'ev_cage REAL', 'sensor_faults TEXT',
      ]) db.exec(`ALTER TABLE diagnoses_p${k} ADD COLUMN ${col}`);
    }
    // The view's column list is fixed when it is created: make it again so it shows the new columns.
    db.exec('DROP VIEW diagnoses');
    db.exec(`CREATE VIEW diagnoses AS ${Array.from({ length: 8 }, (_, k) => `SELECT * FROM diagnoses_p${k}`).join(' UNION ALL ')}`);
  },

  // 5: the interfaces (issue 20). An acknowledgement is an alert event like a transition, so it reaches
  // MQTT through the outbox whoever made it (CLI, HTTP, MQTT): alert_events takes 'acknowledged' and
  // who acknowledged (`by`); SQLite cannot change a CHECK, so the table is copied (it is small: one row
  // per transition). alert_snapshots: the raw window that raised or changed an alert (float32 LE in the
  // sensor's unit converted to the model's, at the model's rate), bounded in count and bytes by the
  // store (alerts.snapshots), deleted with its alert.
  (db) => {
    db.exec(`
      CREATE TABLE alert_events_v5 (
        id                  INTEGER PRIMARY KEY,
        alert_id            INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        transition          TEXT NOT NULL CHECK (transition IN ('raised', 'changed', 'cleared', 'acknowledged')),
        class_name          TEXT NOT NULL,
        previous_class_name TEXT,
        confidence          REAL NOT NULL,
        at                  INTEGER NOT NULL,
        by                  TEXT
      ) STRICT;
      INSERT INTO alert_events_v5 (id, alert_id, transition, class_name, previous_class_name, confidence, at)
        SELECT id, alert_id, transition, class_name, previous_class_name, confidence, at FROM alert_events;
      DROP TABLE alert_events;
      ALTER TABLE alert_events_v5 RENAME TO alert_events;
      CREATE INDEX alert_events_alert ON alert_events (alert_id, at);

      CREATE TABLE alert_snapshots (
        id           INTEGER PRIMARY KEY,
        alert_id     INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        event_id     INTEGER NOT NULL,  -- the transition (raised / changed) whose window this is
        sensor       TEXT NOT NULL,
        channel      TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        window_end   INTEGER NOT NULL,
        rate_hz      REAL NOT NULL,
        unit         TEXT NOT NULL,
        class_name   TEXT NOT NULL,
        confidence   REAL NOT NULL,
        samples      BLOB NOT NULL,     -- float32 little-endian
        created_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX alert_snapshots_alert ON alert_snapshots (alert_id);`);
  },

  // 6: on-site baselines (docs/baseline.md): per sensor channel, what `drsnd baseline start` is learning
  // and the baseline windows are judged against, as Welford statistics in JSON (a few hundred bytes).
  // A finished baseline becomes active and the previous one retired (kept: when the machine was
  // commissioned, and what it looked like then).
  (db) => db.exec(`
    CREATE TABLE baselines (
      id         INTEGER PRIMARY KEY,
      sensor     TEXT NOT NULL,
      channel    TEXT NOT NULL,
      state      TEXT NOT NULL CHECK (state IN ('learning', 'active', 'retired')),
      started_at INTEGER NOT NULL,  -- epoch ms
      ends_at    INTEGER,           -- learning: becomes active by itself at this window time (start --for)
      ended_at   INTEGER,           -- when learning ended
      retired_at INTEGER,
      windows    INTEGER NOT NULL DEFAULT 0,
      stats      TEXT               -- JSON (src/baseline/stats.ts BaselineStats); while learning, as of the last save
    ) STRICT;
    CREATE UNIQUE INDEX baselines_one_learning ON baselines (sensor, channel) WHERE state = 'learning';
    CREATE UNIQUE INDEX baselines_one_active ON baselines (sensor, channel) WHERE state = 'active';`),
];

export const SCHEMA_VERSION = migrations.length;

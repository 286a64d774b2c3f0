// Schema history. Append a step, never edit one that has shipped: a gateway's database is at
// `PRAGMA user_version` = number of steps applied, and db.ts applies the rest in order, each in
// its own transaction, so a power cut mid-upgrade leaves the file at the last complete step.
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
];

export const SCHEMA_VERSION = migrations.length;

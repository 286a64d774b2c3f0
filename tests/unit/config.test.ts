import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { envPaths, loadSettings } from '../../src/config/load.js';
import { settingsSchema } from '../../src/config/schema.js';
import { isDrsndError } from '../../src/errors.js';
import { projectRoot } from '../helpers/data.js';

// One folder for the whole file, removed at its end (the tests only write small YAML files into it).
const root = mkdtempSync(path.join(os.tmpdir(), 'drsnd-cfg-'));
after(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(path.join(root, 'c-'));

function writeYaml(text: string): string {
  const f = path.join(tmp(), 'c.yaml');
  writeFileSync(f, text);
  return f;
}

function configError(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(isDrsndError(e, 'DRSND_CONFIG_INVALID'), `expected a config error, got ${String(e)}`);
    return e.details;
  }
  assert.fail('expected the configuration to be refused');
}

test('config/default.yaml is valid and documents every setting with a comment', () => {
  const file = path.join(projectRoot, 'config', 'default.yaml');
  const s = loadSettings({ file });
  assert.ok(s.sensors.length >= 2, 'the demo config has simulated sensors');
  assert.ok(s.sensors.some((x) => x.source.type === 'simulator' && x.source.condition === 'normal'));
  assert.ok(s.sensors.some((x) => x.source.type === 'simulator' && x.source.condition !== 'normal'));
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const keyPath of envPaths().values()) {
    let cur: unknown = doc;
    for (const k of keyPath) cur = (cur as Record<string, unknown> | undefined)?.[k];
    assert.notEqual(cur, undefined, `default.yaml does not document ${keyPath.join('.')}`);
  }
  // Defaults in the file agree with the schema's defaults (the schema is the source of truth).
  const defaults = settingsSchema.parse({});
  const fileNoSensors = loadSettings({ file, overrides: { sensors: [] } });
  assert.deepEqual({ ...fileNoSensors, gateway: defaults.gateway, sensors: [] }, { ...defaults, gateway: defaults.gateway, sensors: [] });
});

test('config/gateway.example.yaml is valid and shows serial and MQTT sensors', () => {
  const s = loadSettings({ file: path.join(projectRoot, 'config', 'gateway.example.yaml') });
  assert.ok(s.sensors.filter((x) => x.source.type === 'serial').length >= 2);
  assert.ok(s.sensors.some((x) => x.source.type === 'mqtt'));
  assert.ok(s.mqtt.url, 'a real deployment names its broker');
});

test('every error is reported as "path: message", all at once', () => {
  const f = writeYaml(`
gateway: { id: "bad id" }
mqtt: { protocolVersion: 7, bogus: 1 }
store: { retention: { maxAgeDays: -1 } }
sensors:
  - { id: s1, asset: a, rateHz: 0, source: { type: serial } }
  - { id: s2, asset: a, rateHz: 12000, unit: furlongs, source: { type: mqtt, topic: t } }
`);
  const errors = configError(() => loadSettings({ file: f }));
  const expectPaths = ['gateway.id', 'mqtt.protocolVersion', 'mqtt.bogus', 'store.retention.maxAgeDays', 'sensors.0.rateHz', 'sensors.0.source.path', 'sensors.1.unit'];
  for (const p of expectPaths) assert.ok(errors.some((e) => e.startsWith(`${p}: `)), `missing error for ${p}: ${errors.join(' | ')}`);
});

test('duplicate sensor ids and inconsistent alert rules are refused', () => {
  const errors = configError(() =>
    loadSettings({
      overrides: {
        alerts: { raiseK: 6, raiseN: 5 },
        sensors: [
          { id: 's', asset: 'a', rateHz: 12000, source: { type: 'simulator' } },
          { id: 's', asset: 'b', rateHz: 12000, source: { type: 'simulator' } },
        ],
      },
    }),
  );
  assert.ok(errors.some((e) => e.startsWith('sensors.1.id: duplicate')));
  assert.ok(errors.some((e) => e.startsWith('alerts.raiseK: ')));
});

test('cross-field errors are reported together with per-field errors, not after they are fixed', () => {
  const errors = configError(() =>
    loadSettings({
      overrides: {
        store: { batchMaxRows: -1, synchronous: 'SOMETIMES' },
        mqtt: { protocolVersion: 7 },
        alerts: { raiseK: 6, raiseN: 5 },
        sensors: [
          { id: 's', asset: 'a', rateHz: 0, source: { type: 'simulator' } },
          { id: 's', asset: 'b', rateHz: 12000, source: { type: 'simulator' } },
        ],
      },
    }),
  );
  for (const p of ['store.batchMaxRows', 'store.synchronous', 'mqtt.protocolVersion', 'sensors.0.rateHz', 'sensors.1.id', 'alerts.raiseK']) {
    assert.ok(errors.some((e) => e.startsWith(`${p}: `)), `missing error for ${p}: ${errors.join(' | ')}`);
  }
});

test('YAML syntax errors name the file', () => {
  const f = writeYaml('mqtt: [unclosed\n');
  try {
    loadSettings({ file: f });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isDrsndError(e, 'DRSND_CONFIG_INVALID'));
    assert.match(e.message, new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }
});

test('a missing config file is its own error', () => {
  assert.throws(() => loadSettings({ file: '/nonexistent/drsnd.yaml' }), (e) => isDrsndError(e, 'DRSND_CONFIG_NOT_FOUND'));
});

test('DRSND_<PATH> environment variables override the file, typed by the schema', () => {
  const f = writeYaml('mqtt: { url: "mqtt://file:1883" }\nstore: { retention: { maxAgeDays: 30 } }\n');
  const s = loadSettings({
    file: f,
    env: { DRSND_MQTT_URL: 'mqtt://env:1883', DRSND_STORE_RETENTION_MAX_AGE_DAYS: '7', DRSND_INFERENCE_ENGINE: 'tfjs', PATH: '/bin' },
  });
  assert.equal(s.mqtt.url, 'mqtt://env:1883');
  assert.equal(s.store.retention.maxAgeDays, 7);
  assert.equal(s.inference.engine, 'tfjs');
  const errors = configError(() => loadSettings({ env: { DRSND_INFERENCE_ENGINE: 'gpu', DRSND_NO_SUCH_THING: '1' } }));
  assert.ok(errors.some((e) => e.startsWith('inference.engine: ')));
  assert.ok(errors.some((e) => e.startsWith('DRSND_NO_SUCH_THING: unknown')));
});

test('settings are frozen', () => {
  const s = loadSettings({});
  assert.throws(() => {
    (s.mqtt as { url: string | null }).url = 'x';
  }, TypeError);
});

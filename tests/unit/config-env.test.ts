// The DRSND_ environment namespace (issue 19 item 7): settings, the tools' own variables, and typos.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { envPaths, isNonSettingEnv, loadSettings } from '../../src/config/load.js';
import { pythonExecutable } from '../../src/cli/train.js';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { runCli } from '../helpers/daemon.js';
import { projectRoot } from '../helpers/data.js';

const TOOL_VARS = {
  DRSND_NATIVE: '0', DRSND_NATIVE_CFLAGS: '-O2', DRSND_NATIVE_OUT: '/tmp/x', DRSND_PYTHON: '/usr/bin/python3',
  DRSND_CWRU_DIR: '/nonexistent', DRSND_CI: '1', DRSND_CONFIG: '/nonexistent.yaml',
};

test('the tools\' documented variables (native build, Python, CWRU data, CI) do not stop the config loader', () => {
  const s = loadSettings({ env: { ...TOOL_VARS, DRSND_MQTT_URL: 'mqtt://h:1883' } });
  assert.equal(s.mqtt.url, 'mqtt://h:1883');
});

test('a misspelt setting is still refused, and the message names the variables that are passed over', () => {
  assert.throws(() => loadSettings({ env: { DRSND_MQTT_URLL: 'mqtt://h:1883' } }), (e: unknown) =>
    isDrsndError(e, ErrorCodes.CONFIG_INVALID) && /DRSND_MQTT_URLL: unknown environment setting/.test(e.message) && /DRSND_NATIVE\*/.test(e.message));
});

test('drsnd check-config runs with DRSND_NATIVE=0 and DRSND_PYTHON set, as the README documents them', () => {
  const r = runCli(['check-config', '--json'], { DRSND_NATIVE: '0', DRSND_PYTHON: '/usr/bin/python3', DRSND_CONFIG: path.join(projectRoot, 'config', 'default.yaml') });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /configuration OK/);
});

test('every DRSND_ name written in the repository is a setting, an error code, or a listed tool variable', () => {
  const codes = new Set<string>(Object.values(ErrorCodes));
  const settings = envPaths();
  // Not BENCHMARKS.md or bench/results: they record past runs with the settings of their day.
  const roots = ['src', 'tests', 'bench', 'native', 'docs', 'config', 'systemd', '.ci', 'README.md'];
  const unexplained = new Map<string, string>();
  const visit = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) { for (const e of readdirSync(p)) visit(path.join(p, e)); return; }
    if (!/\.(ts|mts|mjs|js|md|yaml|service|example|py)$|\/run$/.test(p)) return;
    // The config tests name unknown variables on purpose.
    if (/tests\/unit\/config(-env)?\.test\.ts$/.test(p) || p.includes(`${path.sep}bench${path.sep}results${path.sep}`)) return;
    for (const m of readFileSync(p, 'utf8').matchAll(/\bDRSND_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      const name = m[0];
      if (!settings.has(name) && !codes.has(name) && !isNonSettingEnv(name)) unexplained.set(name, path.relative(projectRoot, p));
    }
  };
  for (const r of roots) visit(path.join(projectRoot, r));
  assert.deepEqual(Object.fromEntries(unexplained), {}, 'add it to NON_SETTING_ENV (src/config/load.ts) and the README, or rename it');
});

test('one name for the Python override: DRSND_PYTHON; DRSN_PYTHON still works with one deprecation note', () => {
  const notes: string[] = [];
  const warn = (m: string) => notes.push(m);
  assert.equal(pythonExecutable('/flag/python', { DRSND_PYTHON: '/a', DRSN_PYTHON: '/b' }, warn), '/flag/python');
  assert.equal(pythonExecutable(undefined, { DRSND_PYTHON: '/a', DRSN_PYTHON: '/b' }, warn), '/a');
  assert.equal(notes.length, 0);
  assert.equal(pythonExecutable(undefined, { DRSN_PYTHON: '/b' }, warn), '/b');
  assert.equal(pythonExecutable(undefined, { DRSN_PYTHON: '/b' }, warn), '/b');
  assert.equal(notes.length, 1);
  assert.match(notes[0], /DRSN_PYTHON is deprecated; set DRSND_PYTHON/);
  assert.equal(pythonExecutable(undefined, {}, warn), '/usr/bin/python3');
});

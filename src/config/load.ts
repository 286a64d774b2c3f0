// Settings: YAML file → DRSND_* environment overlay → schema validation → frozen object.
// Every problem is reported as "path: message", all of them at once, so a user fixes the file in one go.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DrsndError, ErrorCodes } from '../errors.js';
import { settingsSchema, type Settings } from './schema.js';

export const ENV_PREFIX = 'DRSND_';

/**
 * DRSND_* variables that are not settings: other parts of the project read them (the launcher, the native
 * build, the trainer, the tests, CI). The loader passes over them, so a documented variable such as
 * DRSND_NATIVE=0 never stops the daemon (issue 19), while a misspelt setting still does.
 * tests/unit/config-env.test.ts checks that every DRSND_ name written anywhere in the repository is a
 * setting, an error code, or listed here.
 */
export const NON_SETTING_ENV: Readonly<Record<string, string>> = Object.freeze({
  DRSND_CONFIG: 'the configuration file when --config is not given',
  DRSND_PYTHON: 'the Python with PyTorch for train, eval and the tests (DRSN_PYTHON is the deprecated old name)',
  DRSND_CWRU_DIR: 'where tests and benchmarks find the CWRU data',
  DRSND_UESTC_DIR: 'where tests find the UESTC data (the unseen machine)',
  DRSND_CHROMIUM: "the Chromium the dashboard test drives (default: Debian's /usr/bin/chromium)",
  DRSND_CI: '1 in .ci/run: a skipped test or the broker fallback fails the run',
  DRSND_ARM64_NODE: 'the arm64 Node version npm run bench:arm runs under qemu',
  DRSND_ARMV7_NODE: 'the armv7 Node version npm run bench:arm runs under qemu',
});

/**
 * Prefixes of non-setting variables: DRSND_NATIVE, DRSND_NATIVE_CFLAGS, DRSND_NATIVE_OUT (native/build.mjs),
 * DRSND_NATIVE_FFT (src/physics/fft.ts, src/physics/native-physics.ts);
 * DRSND_CI_NODES, DRSND_CI_CACHE, DRSND_CI_ARM (.ci/run's Node matrix and ARM run).
 */
export const NON_SETTING_ENV_PREFIXES: readonly string[] = Object.freeze(['DRSND_NATIVE', 'DRSND_CI']);

export function isNonSettingEnv(name: string): boolean {
  return Object.hasOwn(NON_SETTING_ENV, name) || NON_SETTING_ENV_PREFIXES.some((p) => name === p || name.startsWith(`${p}_`));
}

export interface LoadOptions {
  /** Path of the YAML file; undefined = defaults only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings merged over the file before the env overlay (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

export function loadSettings(opts: LoadOptions = {}): Readonly<Settings> {
  let raw: unknown = {};
  if (opts.file !== undefined) {
    if (!existsSync(opts.file)) {
      throw new DrsndError(ErrorCodes.CONFIG_NOT_FOUND, `config file not found: ${opts.file}`);
    }
    raw = parseConfigText(readFileSync(opts.file, 'utf8'), opts.file);
  }
  let obj = isPlainObject(raw) ? raw : {};
  if (opts.overrides) obj = deepMerge(obj, opts.overrides);
  const envErrors: string[] = [];
  obj = applyEnv(obj, opts.env ?? {}, envErrors);
  const result = settingsSchema.safeParse(obj);
  const errors = [...envErrors, ...(result.success ? [] : formatIssues(result.error.issues))];
  if (!result.success || errors.length > 0) {
    const where = opts.file ? ` in ${opts.file}` : '';
    throw new DrsndError(ErrorCodes.CONFIG_INVALID, `invalid configuration${where}:\n  ${errors.join('\n  ')}`, { details: errors });
  }
  return deepFreeze(result.data);
}

function parseConfigText(text: string, file: string): unknown {
  try {
    const doc = parseYaml(text, { prettyErrors: true });
    if (doc !== null && doc !== undefined && !isPlainObject(doc)) {
      throw new DrsndError(ErrorCodes.CONFIG_INVALID, `invalid configuration in ${file}:\n  (root): expected a mapping of settings`);
    }
    return doc ?? {};
  } catch (e) {
    if (e instanceof YAMLParseError) {
      throw new DrsndError(ErrorCodes.CONFIG_INVALID, `invalid configuration in ${file}:\n  ${e.message}`, { cause: e, details: [e.message] });
    }
    throw e;
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    // A sensor's source is a discriminated union: zod reports "invalid union" at the source, which says little.
    const p = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push(`${p === '(root)' ? k : `${p}.${k}`}: unknown key (check spelling; see config/default.yaml)`);
      continue;
    }
    out.push(`${p}: ${issue.message}`);
  }
  return out;
}

/**
 * DRSND_<PATH>: the path in UPPER_SNAKE_CASE, levels joined by "_" (mqtt.baseTopic → DRSND_MQTT_BASE_TOPIC).
 * Resolved against the schema, so underscores are unambiguous. Values are parsed as YAML (numbers, booleans,
 * null, [lists]). Sensors are a list: set them in the file, not the environment.
 */
function applyEnv(obj: Record<string, unknown>, env: NodeJS.ProcessEnv, errors: string[]): Record<string, unknown> {
  const paths = envPaths();
  let out = obj;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const keyPath = paths.get(name);
    if (!keyPath) {
      if (isNonSettingEnv(name)) continue;
      errors.push(`${name}: unknown environment setting (known: ${[...paths.keys()].slice(0, 6).join(', ')}, …; ` +
        `not settings, and ignored: ${[...Object.keys(NON_SETTING_ENV), ...NON_SETTING_ENV_PREFIXES.map((p) => `${p}*`)].join(', ')})`);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = value === '' ? null : parseYaml(value);
    } catch {
      parsed = value;
    }
    out = setPath(out, keyPath, parsed);
  }
  return out;
}

let cachedEnvPaths: Map<string, string[]> | undefined;

/** Every leaf setting reachable without going through an array, keyed by its environment variable name. */
export function envPaths(): Map<string, string[]> {
  if (cachedEnvPaths) return cachedEnvPaths;
  const map = new Map<string, string[]>();
  const walk = (schema: z.ZodType, at: string[]) => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [k, v] of Object.entries(inner.shape as Record<string, z.ZodType>)) walk(v, [...at, k]);
      return;
    }
    if (inner instanceof z.ZodArray && at.length === 1 && at[0] === 'sensors') return;
    map.set(ENV_PREFIX + at.map(toSnake).join('_'), at);
  };
  walk(settingsSchema, []);
  cachedEnvPaths = map;
  return map;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur: z.ZodType = s;
  for (let i = 0; i < 10; i++) {
    if (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault || cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) {
      cur = cur.unwrap() as z.ZodType;
    } else if (cur instanceof z.ZodPipe) {
      cur = cur.in as z.ZodType;
    } else break;
  }
  return cur;
}

const toSnake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function setPath(obj: Record<string, unknown>, keyPath: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = keyPath;
  const child = obj[head!];
  return {
    ...obj,
    [head!]: rest.length === 0 ? value : setPath(isPlainObject(child) ? child : {}, rest, value),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** b over a, recursing into objects both have; arrays and scalars in b replace. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

// Loading the native addon (native/drsn.c + native/fft.c, built by `npm run build` for the CPU it was
// built on): refused with a clear ENGINE_UNAVAILABLE where it was not built, was built for another
// platform or CPU, or speaks another plan version. Apart from native.ts (the engine) so that
// src/physics/fft.ts can load it without importing the engine and the model's metadata.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DrsndError, ErrorCodes } from '../../errors.js';
import { packageRoot } from '../../util/package-root.js';

/** The plan layout drsn.c reads (native.ts builds it). */
export const PLAN_VERSION = 2;

export interface NativeAddon {
  planVersion: number;
  create(plan: Int32Array, params: Float32Array): unknown;
  run(handle: unknown, windows: Float32Array, n: number, out: Float32Array): void;
  /** The physics' FFTs (native/fft.c); absent from an addon built before them. */
  rfft?(x: Float64Array, re: Float64Array, im: Float64Array, w?: Float64Array): void;
  cfft?(re: Float64Array, im: Float64Array, inverse: boolean): void;
}

/** What native/build.mjs records beside the addon. */
interface BuildInfo {
  platform: string;
  arch: string;
  cflags: string;
  /** CPU feature flags of the build machine (x86 `flags`, arm `Features`); -march=native may use any of them. */
  cpuFlags: string[];
}

export function nativeBuildDir(): string {
  return path.join(packageRoot(), 'build', 'native');
}

/**
 * The CPU's feature words from /proc/cpuinfo text: `flags` on x86, `Features` on ARM. Only the line of
 * the running architecture counts: qemu-user (before 8.2) shows an emulated ARM process the x86 host's
 * file, and x86 words say nothing about an ARM CPU. No such line: empty (cannot tell, nothing refused).
 */
export function cpuFeatures(cpuinfo: string, arch: string = process.arch): string[] {
  const key = arch === 'arm' || arch === 'arm64' ? 'Features' : 'flags';
  const line = cpuinfo.split('\n').find((l) => new RegExp(`^${key}\\s*:`).test(l));
  return line ? line.split(':')[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** Words that name the same capability: an aarch64 kernel lists `asimd` where a 32-bit one lists `neon`. */
const SAME_FEATURE: Record<string, string[]> = { neon: ['asimd'] };

/** The features a build requires that this CPU's words do not show. */
export function missingFeatures(required: readonly string[], have: readonly string[]): string[] {
  const present = new Set(have);
  return required.filter((f) => !present.has(f) && !(SAME_FEATURE[f] ?? []).some((alias) => present.has(alias)));
}

function cpuFlags(): string[] {
  try {
    return cpuFeatures(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return [];
  }
}

const loaded = new Map<string, NativeAddon>();

/** Loads the built addon, or throws ENGINE_UNAVAILABLE saying why (not built, built for another CPU). */
export function loadNativeAddon(dir = nativeBuildDir()): NativeAddon {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const file = path.join(dir, 'drsn.node');
  const infoFile = path.join(dir, 'drsn.json');
  if (!existsSync(file) || !existsSync(infoFile)) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: not built (${file} is missing; npm run build compiles it where a C compiler and Node's headers exist)`);
  }
  let info: BuildInfo;
  try {
    info = JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo;
  } catch (e) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: cannot read ${infoFile} (${(e as Error).message}; run npm run build)`, { cause: e });
  }
  if (info.platform !== process.platform || info.arch !== process.arch) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: built for ${info.platform}/${info.arch}, this is ${process.platform}/${process.arch} (run npm run build here)`);
  }
  // Built with -march=native: an instruction this CPU lacks would kill the process with SIGILL, so refuse first.
  const have = cpuFlags();
  const missing = have.length === 0 ? [] : missingFeatures(info.cpuFlags, have);
  if (missing.length > 0) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: built on a CPU with features this one lacks (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}); run npm run build on this machine`);
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: ${file} does not load (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
  if (addon.planVersion !== PLAN_VERSION) {
    throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `native engine: the built addon speaks plan version ${addon.planVersion}, this code ${PLAN_VERSION} (run npm run build)`);
  }
  loaded.set(dir, addon);
  return addon;
}

/** Why the addon cannot load here, or null when it can (benchmarks and tests ask what `auto` would run). */
export function nativeUnavailable(): string | null {
  try {
    loadNativeAddon();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

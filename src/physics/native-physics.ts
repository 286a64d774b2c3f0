// The physics' per-frame and per-window loops in C (native/physics.c), where `npm run build` compiled the
// addon: at 300 channels each runs ~3,500 times a second, and in TypeScript they (with the garbage they
// made) were most of the physics' extra CPU (docs/physics.md, "Cost"). The TypeScript in indicators.ts,
// sensor-faults.ts and sensor-physics.ts stays the reference and the fallback: DRSND_NATIVE_FFT=0 keeps
// to it (as for the FFTs), and tests compare both.
import { nativeFft } from './fft.js';

export interface NativePhysics {
  /** WindowAnalyzer.analyse: fills `power`; out = [rms, peak, m2, m4, vms, ac]. */
  windowStats(data: Float32Array, toG: number, hann: Float64Array, norm: number, velW2: Float64Array, power: Float64Array, out: Float64Array): void;
  /** Ring write, drift blocks and spike search of one frame (native/physics.c documents the layout). */
  framePass(samples: Float32Array, ring: Float32Array, pos: number, k: number, blockLen: number, state: Float64Array,
    blocks: Float64Array, spikes: Int32Array, spikeRms: number, neighbourShare: number, isolation: number): void;
  /** rawChecks' statistics of a ring span: out = [min, max, nMin, nMax, Σ, atMax, nearMax, atMin, nearMin]. */
  spanStats(ring: Float32Array, from: number, len: number, k: number, minCount: number, out: Float64Array): void;
}

let native: NativePhysics | null | undefined;

/** The addon's physics loops, or null (not built, built before them, or DRSND_NATIVE_FFT=0). */
export function nativePhysics(): NativePhysics | null {
  if (native === undefined) {
    const addon = nativeFft() as unknown as Partial<NativePhysics> | null;
    native = addon?.windowStats && addon.framePass && addon.spanStats ? (addon as NativePhysics) : null;
  }
  return native;
}

/** For tests: use (true) or bypass (false) the native loops in this thread (objects made after the call). */
export function useNativePhysics(on: boolean): void {
  native = on ? undefined : null;
  if (on) nativePhysics();
}

// The native engine's CPU check (build record vs this CPU) on the machines gateways use: x86 `flags`,
// aarch64 and armv7 `Features`, a 32-bit process under an aarch64 kernel, and qemu-user showing an
// emulated ARM process the x86 host's /proc/cpuinfo.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpuFeatures, missingFeatures } from '../../src/model/engines/native.js';

// Lines as kernels print them: an x86-64 host, a Raspberry Pi 4 (64-bit kernel), a Pi 3 (32-bit
// kernel), a VFP-only armv7 without NEON (e.g. Tegra 2).
const X86 = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme sse sse2 avx avx2 fma\nbugs\t\t: sysret_ss_attrs\n';
const AARCH64 = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\n';
const ARMV7 = 'processor\t: 0\nmodel name\t: ARMv7 Processor rev 3 (v7l)\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt\n';
const ARMV7_NO_NEON = 'processor\t: 0\nmodel name\t: ARMv7 Processor rev 1 (v7l)\nFeatures\t: half thumb fastmult vfp edsp vfpv3 vfpv3d16 tls\n';

test('each architecture reads its own line of /proc/cpuinfo', () => {
  assert.deepEqual(cpuFeatures(X86, 'x64'), ['fpu', 'vme', 'sse', 'sse2', 'avx', 'avx2', 'fma']);
  assert.deepEqual(cpuFeatures(AARCH64, 'arm64'), ['fp', 'asimd', 'evtstrm', 'crc32', 'cpuid']);
  assert.ok(cpuFeatures(ARMV7, 'arm').includes('neon'));
});

test('an emulated ARM process shown the x86 host file reads no features (cannot tell), not x86 words', () => {
  assert.deepEqual(cpuFeatures(X86, 'arm64'), []);
  assert.deepEqual(cpuFeatures(X86, 'arm'), []);
  assert.deepEqual(cpuFeatures(AARCH64, 'x64'), []);
});

test('a cross-built arm64 addon (asimd) loads on any aarch64; an armv7 NEON build is refused without NEON', () => {
  assert.deepEqual(missingFeatures(['asimd'], cpuFeatures(AARCH64, 'arm64')), []);
  assert.deepEqual(missingFeatures(['neon'], cpuFeatures(ARMV7, 'arm')), []);
  assert.deepEqual(missingFeatures(['neon'], cpuFeatures(ARMV7_NO_NEON, 'arm')), ['neon']);
});

test('an armv7 NEON build runs under an aarch64 kernel, which calls NEON asimd', () => {
  assert.deepEqual(missingFeatures(['neon'], cpuFeatures(AARCH64, 'arm')), []);
  // The alias goes one way only: x86 and aarch64 words are never stretched to cover each other.
  assert.deepEqual(missingFeatures(['asimd'], ['neon']), ['asimd']);
  assert.deepEqual(missingFeatures(['avx2', 'fma'], cpuFeatures(X86, 'x64')), []);
  assert.deepEqual(missingFeatures(['avx512f'], cpuFeatures(X86, 'x64')), ['avx512f']);
});

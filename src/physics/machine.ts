// A sensor's `machine` settings → what the analysis needs: fault orders, speed mode, ISO zone limits.
import type { MachineSettings } from '../config/schema.js';
import { faultOrders, lookupBearing } from './bearing.js';
import type { IsoZone, MachineInfo } from './types.js';

/**
 * Broadband velocity limits (mm/s RMS, 10-1000 Hz) between zones A/B, B/C and C/D.
 * ISO 10816-3:2009 Table A.1 (REFERENCE.md): group 1 = 300 kW-50 MW, group 2 = 15-300 kW.
 * ISO 10816-1:1995 Annex B, Table B.1: class I (small machines, < 15 kW) … IV (large machines on
 * flexible supports); the B/C limits (1.8, 2.8, 4.5, 7.1) are REFERENCE.md's.
 */
export const ISO_10816_3 = {
  1: { rigid: [2.3, 4.5, 7.1], flexible: [3.5, 7.1, 11.0] },
  2: { rigid: [1.4, 2.8, 4.5], flexible: [2.3, 4.5, 7.1] },
} as const;
export const ISO_10816_1 = {
  I: [0.71, 1.8, 4.5],
  II: [1.12, 2.8, 7.1],
  III: [1.8, 4.5, 11.2],
  IV: [2.8, 7.1, 18.0],
} as const;

export const NO_MACHINE: MachineInfo = { orders: null, speed: null, isoZones: null, envelopeBandHz: null };

export function resolveMachine(m: MachineSettings | undefined): MachineInfo {
  if (!m) return NO_MACHINE;
  const b = m.bearing;
  const orders = !b ? null
    : b.orders ? { ...b.orders }
    : b.geometry ? faultOrders(b.geometry)
    : b.designation ? faultOrders(lookupBearing(b.designation)!.geometry) : null;
  const s = m.speed;
  const speed: MachineInfo['speed'] = !s ? null
    : s.rpm !== undefined ? { mode: 'fixed', hz: s.rpm / 60 }
    : s.topic !== undefined ? { mode: 'topic', topic: s.topic }
    : s.estimate ? { mode: 'estimate', minHz: s.estimate.minRpm / 60, maxHz: s.estimate.maxRpm / 60 } : null;
  const iso = m.iso;
  const isoZones: MachineInfo['isoZones'] = !iso ? null
    : iso.zones ? [...iso.zones]
    : iso.class ? [...ISO_10816_1[iso.class]]
    : iso.group ? [...ISO_10816_3[iso.group][iso.foundation]] : null;
  return { orders, speed, isoZones, envelopeBandHz: m.envelopeBandHz ? [...m.envelopeBandHz] : null };
}

export function isoZone(velocityMmS: number, zones: readonly [number, number, number] | null): IsoZone | null {
  if (!zones || !Number.isFinite(velocityMmS)) return null;
  return velocityMmS < zones[0] ? 'A' : velocityMmS < zones[1] ? 'B' : velocityMmS < zones[2] ? 'C' : 'D';
}

// Labelled vibration records: what every reader (CWRU manifest, CWRU .mat folder, a user's own
// recordings) hands to dataset preparation. One record = one channel of one recording.
import type { ModelClass, Unit } from '../types.js';

export interface LabeledRecord {
  /** Unique within a dataset and safe as a file name, e.g. "105_DE". */
  id: string;
  /** Index into the class list the record was loaded with. */
  label: number;
  className: string;
  kind: 'normal' | 'fault';
  component: string | null;
  sizeIn: number | null;
  loadHp: number | null;
  rpm: number | null;
  rateHz: number;
  unit: Unit;
  /** Fault orders of the bearing whose faults the labels describe; what an envelope-order input needs (with rpm). */
  faultOrders?: { bpfo: number; bpfi: number; bsf?: number };
  data: Float32Array;
  /** File the samples came from. */
  source: string;
}

/**
 * The classic 10-class CWRU set, in the order of the data README's table (Normal, then ball,
 * inner race, outer race @6:00, each by 7/14/21 mil). Papers order these differently, so readers
 * map by fault type + diameter (cwruClassFor), never by a file's position or label number.
 */
export const CWRU_CLASSES: ModelClass[] = [
  { index: 0, name: 'Normal', kind: 'normal', component: null, sizeIn: null },
  { index: 1, name: 'B007', kind: 'fault', component: 'ball', sizeIn: 0.007 },
  { index: 2, name: 'B014', kind: 'fault', component: 'ball', sizeIn: 0.014 },
  { index: 3, name: 'B021', kind: 'fault', component: 'ball', sizeIn: 0.021 },
  { index: 4, name: 'IR007', kind: 'fault', component: 'inner_race', sizeIn: 0.007 },
  { index: 5, name: 'IR014', kind: 'fault', component: 'inner_race', sizeIn: 0.014 },
  { index: 6, name: 'IR021', kind: 'fault', component: 'inner_race', sizeIn: 0.021 },
  { index: 7, name: 'OR007@6', kind: 'fault', component: 'outer_race', sizeIn: 0.007 },
  { index: 8, name: 'OR014@6', kind: 'fault', component: 'outer_race', sizeIn: 0.014 },
  { index: 9, name: 'OR021@6', kind: 'fault', component: 'outer_race', sizeIn: 0.021 },
];

/** The CWRU class for a fault type ('normal' | 'ball' | 'inner_race' | 'outer_race') and diameter in inches. */
export function cwruClassFor(faultType: string, diameterIn: number | null): ModelClass | undefined {
  if (faultType === 'normal') return CWRU_CLASSES[0];
  // Diameters are stored as 0.007 etc.; compare in mils so float noise (0.014000001) cannot miss.
  const mils = diameterIn === null ? NaN : Math.round(diameterIn * 1000);
  return CWRU_CLASSES.find((c) => c.component === faultType && c.sizeIn !== null && Math.round(c.sizeIn * 1000) === mils);
}

// Bearing fault orders (defect frequencies as multiples of shaft speed), from geometry, from the
// maker's orders, or from a small table of common designations. Formulas: REFERENCE.md, after
// Randall & Antoni, "Rolling element bearing diagnostics - A tutorial", MSSP 25 (2011), eq. (1)-(4).

export interface BearingGeometry {
  balls: number;
  ballDiameterMm: number;
  pitchDiameterMm: number;
  contactAngleDeg: number;
}

/** Defect frequencies per shaft Hz: outer race, inner race, ball spin (one ball turn), cage. */
export interface FaultOrders {
  bpfo: number;
  bpfi: number;
  bsf: number;
  ftf: number;
}

export function faultOrders(g: BearingGeometry): FaultOrders {
  const r = (g.ballDiameterMm / g.pitchDiameterMm) * Math.cos((g.contactAngleDeg * Math.PI) / 180);
  return {
    bpfo: (g.balls / 2) * (1 - r),
    bpfi: (g.balls / 2) * (1 + r),
    bsf: (g.pitchDiameterMm / (2 * g.ballDiameterMm)) * (1 - r * r),
    ftf: (1 - r) / 2,
  };
}

export interface BearingEntry {
  geometry: BearingGeometry;
  /** Where the numbers come from. */
  source: string;
}

const IN = 25.4;

const UER204: BearingEntry = {
  geometry: { balls: 8, ballDiameterMm: 7.92, pitchDiameterMm: 34.55, contactAngleDeg: 0 },
  source: 'LDK UER204 insert as documented for the XJTU-SY bearing data set (B. Wang et al., IEEE Trans. Reliability 69(1):401-412, 2020): 8 balls, 7.92 mm, pitch 34.55 mm',
};

/**
 * Designations drsnd knows. Prefer the maker's own geometry or orders for your bearing (sensor
 * `machine.bearing.geometry` / `.orders`): makers differ in ball count and size for one designation.
 */
export const BEARINGS: Readonly<Record<string, BearingEntry>> = {
  '6205': {
    geometry: { balls: 9, ballDiameterMm: 0.3126 * IN, pitchDiameterMm: 1.537 * IN, contactAngleDeg: 0 },
    source: 'SKF 6205-2RS JEM, CWRU Bearing Data Center "Bearing specifications" (drive end): 9 balls, 0.3126 in, pitch 1.537 in; orders BPFO 3.5848, BPFI 5.4152',
  },
  '6203': {
    geometry: { balls: 8, ballDiameterMm: 0.2656 * IN, pitchDiameterMm: 1.122 * IN, contactAngleDeg: 0 },
    source: 'SKF 6203-2RS JEM, CWRU Bearing Data Center "Bearing specifications" (fan end): 8 balls, 0.2656 in, pitch 1.122 in; orders BPFO 3.0530, BPFI 4.9469',
  },
  '6305': {
    geometry: { balls: 8, ballDiameterMm: 10.319, pitchDiameterMm: 43.5, contactAngleDeg: 0 },
    source: 'ESTIMATE: ISO 15 boundary dimensions 25 x 62 x 17 mm, pitch diameter taken as (bore + OD) / 2; 8 balls of 13/32 in as commonly fitted. No maker sheet was at hand: give your bearing\'s geometry or orders instead where you can',
  },
  UER204: UER204,
  // A UC204 insert is the same 204-series 20 mm insert ball bearing.
  UC204: { geometry: UER204.geometry, source: `UC204 taken as the UER204 insert: ${UER204.source}` },
};

/** Looks a designation up, ignoring case, maker names ("SKF 6205 JEM") and seal/clearance suffixes ("6205-2RS1/C3"). */
export function lookupBearing(designation: string): BearingEntry | undefined {
  for (const word of designation.trim().toUpperCase().split(/\s+/)) {
    const entry = BEARINGS[word.split(/[-/]/)[0]];
    if (entry) return entry;
  }
  return undefined;
}

export const knownDesignations = (): string[] => Object.keys(BEARINGS);

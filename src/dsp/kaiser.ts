// Kaiser-window FIR design (Kaiser & Schafer 1980; Oppenheim & Schafer, Discrete-Time Signal
// Processing, 3rd ed., §7.6.1). The empirical formulas give beta and the length from the wanted
// stopband attenuation A (dB) and the transition width, with equal ripple in both bands.

/** Zeroth-order modified Bessel function of the first kind, by its power series (converges fast for the betas used here). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's beta for a stopband attenuation of `atten` dB. */
export function kaiserBeta(atten: number): number {
  if (atten > 50) return 0.1102 * (atten - 8.7);
  if (atten >= 21) return 0.5842 * (atten - 21) ** 0.4 + 0.07886 * (atten - 21);
  return 0;
}

/** Taps needed for `atten` dB with a transition of `transition` cycles/sample (0..0.5). */
export function kaiserLength(atten: number, transition: number): number {
  return Math.ceil((atten - 7.95) / (2.285 * 2 * Math.PI * transition)) + 1;
}

/**
 * Windowed-sinc low-pass of odd length 2·half+1, centred on tap `half`, cutoff `fc` in cycles/sample
 * (the −6 dB point), normalized to unit DC gain.
 */
export function kaiserLowpass(half: number, fc: number, beta: number): Float64Array {
  const n = 2 * half + 1;
  const h = new Float64Array(n);
  const i0b = besselI0(beta);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const t = j - half;
    const r = half === 0 ? 0 : t / half;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    const s = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    h[j] = s * w;
    sum += h[j];
  }
  for (let j = 0; j < n; j++) h[j] /= sum;
  return h;
}

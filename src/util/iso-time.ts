// ISO 8601 UTC timestamps for payloads, equal to Date#toISOString but ~10x cheaper: every diagnosis
// carries two, and at 300 channels (3,500 diagnoses/s) toISOString was 3 % of the main thread
// (BENCHMARKS.md, profile notes). The date and minute change rarely, so their text is cached.
let cachedMinute = Number.NaN;
let cachedPrefix = '';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** Epoch ms → 'YYYY-MM-DDTHH:MM:SS.mmmZ'; fractional ms are truncated, as Date does. Throws on a non-finite time like toISOString. */
export function isoTime(ms: number): string {
  const t = Math.trunc(ms);
  // Outside 1970..9999 (negative years, 6-digit years) the slow path keeps toISOString's exact format.
  if (!(t >= 0 && t < 253_402_300_800_000)) return new Date(ms).toISOString();
  const minute = Math.floor(t / 60_000);
  if (minute !== cachedMinute) {
    cachedPrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    cachedMinute = minute;
  }
  const r = t - minute * 60_000;
  const s = Math.floor(r / 1000);
  return `${cachedPrefix}${pad2(s)}.${pad3(r - s * 1000)}Z`;
}

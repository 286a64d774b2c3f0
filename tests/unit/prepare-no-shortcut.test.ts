// Issue 3, "No shortcuts": CWRU's normal record was recorded at 48 kHz and its usual 12 kHz copy was
// decimated with scipy's anti-alias filter, while the fault records come straight off a 12 kHz DAQ with
// a different roll-off. On that raw data the *spectral roll-off* (the frequency below which 99.9 % /
// 99.99 % of the power lies, the classic audio/vibration feature) alone tells normal from every fault.
// After prepareDataset (one band-limit filter for all records) it must not: the normal record's
// roll-off falls inside the range of the fault records, so no threshold on it separates the classes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadCwruRecords } from '../../src/data/cwru.js';
import { prepareDataset, readPreparedRecord } from '../../src/data/prepare.js';
import { CWRU_CLASSES } from '../../src/data/records.js';
import { cwruDir } from '../helpers/data.js';
import { tempDir } from '../helpers/temp.js';
import { fft } from '../../src/data/spectrum.js';

const RATE = 12_000;
const NFFT = 2048;


/** Welch PSD (Hann, 50 % overlap), one-sided bins 0..NFFT/2. */
function welch(x: Float32Array): Float64Array {
  const psd = new Float64Array(NFFT / 2 + 1);
  const win = Float64Array.from({ length: NFFT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / NFFT));
  for (let s = 0; s + NFFT <= x.length; s += NFFT / 2) {
    let mean = 0;
    for (let i = 0; i < NFFT; i++) mean += x[s + i];
    mean /= NFFT;
    const re = Float64Array.from({ length: NFFT }, (_, i) => (x[s + i] - mean) * win[i]);
    const im = new Float64Array(NFFT);
    fft(re, im);
    for (let k = 0; k <= NFFT / 2; k++) psd[k] += re[k] * re[k] + im[k] * im[k];
  }
  return psd;
}

/** Frequency (Hz) below which a fraction q of the power lies. */
function rolloffHz(p: Float64Array, q: number): number {
  const total = p.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let k = 0; k < p.length; k++) {
    acc += p[k];
    if (acc >= q * total) return (k * RATE) / NFFT;
  }
  return RATE / 2;
}

interface Spread { normal: number; faultMin: number; faultMax: number }

function spread(records: { label: number; psd: Float64Array }[], q: number): Spread {
  const normal = records.filter((r) => CWRU_CLASSES[r.label].kind === 'normal').map((r) => rolloffHz(r.psd, q));
  const faults = records.filter((r) => CWRU_CLASSES[r.label].kind === 'fault').map((r) => rolloffHz(r.psd, q));
  assert.equal(normal.length, 1);
  assert.ok(faults.length >= 30);
  return { normal: normal[0], faultMin: Math.min(...faults), faultMax: Math.max(...faults) };
}

const separable = (s: Spread) => s.normal < s.faultMin || s.normal > s.faultMax;

test('after band-limiting, the normal record is not separable from the faults by its spectral roll-off (it is on the raw data)', (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const records = loadCwruRecords(dir);
  // "Raw": what most CWRU papers feed a net: fault records as recorded, normal = the 12 kHz copy of 97.
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as
    { records: { cwru_file_number: number; channels: { file: string; channel: string; sampling_rate_hz: number }[] }[] };
  const raw = records.map((r) => {
    const num = Number(r.id.split('_')[0]);
    const ch = manifest.records.find((m) => m.cwru_file_number === num)!.channels
      .find((c) => c.channel === 'DE' && c.sampling_rate_hz === RATE)!;
    const buf = readFileSync(path.join(dir, ch.file));
    return { label: r.label, psd: welch(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)) };
  });

  const out = tempDir(t, 'drsnd-prepare-');
  const index = prepareDataset(records, CWRU_CLASSES, {
    outDir: out, sampleRateHz: RATE, bandLimitHz: 4800, windowLength: 2048, split: { train: 0.7, val: 0.15, test: 0.15 },
  });
  const prepared = index.records.map((r) => ({ label: r.label, psd: welch(readPreparedRecord(out, r)) }));

  for (const q of [0.999, 0.9999]) {
    const before = spread(raw, q);
    const after = spread(prepared, q);
    t.diagnostic(`roll-off ${q * 100}%: raw normal ${before.normal.toFixed(0)} Hz vs faults [${before.faultMin.toFixed(0)}, ${before.faultMax.toFixed(0)}]; ` +
      `prepared normal ${after.normal.toFixed(0)} Hz vs faults [${after.faultMin.toFixed(0)}, ${after.faultMax.toFixed(0)}]`);
    assert.ok(separable(before), `raw data: expected the shortcut to exist at ${q} (normal ${before.normal} Hz, faults ${before.faultMin}-${before.faultMax} Hz)`);
    assert.ok(!separable(after), `prepared data: normal roll-off ${after.normal} Hz must lie inside the faults' range ${after.faultMin}-${after.faultMax} Hz`);
  }
});

// How an alert snapshot leaves drsnd: JSON with its waveform and amplitude spectrum (HTTP, dashboard),
// CSV (time in seconds from the window start, value) or raw float32 little-endian (the format
// `replay` sources and `train` recordings read, docs/recordings.md).
import { magnitudeSpectrum } from '../data/spectrum.js';
import type { Snapshot, SnapshotMeta } from '../store/snapshots.js';
import { isoTime as iso } from '../util/iso-time.js';

export function snapshotMetaJson(s: SnapshotMeta) {
  return {
    id: s.id, alertId: s.alertId, eventId: s.eventId, sensorId: s.sensorId, channel: s.channel,
    windowStart: iso(s.windowStart), windowEnd: iso(s.windowEnd), rateHz: s.rateHz, unit: s.unit,
    className: s.className, confidence: Math.round(s.confidence * 1e6) / 1e6, length: s.length, createdAt: iso(s.createdAt),
  };
}

/**
 * With the samples and their Hann-windowed amplitude spectrum (single-sided, in the samples' unit).
 * `evidence` is the hook for issue 18's physics: once a diagnosis carries envelope-spectrum evidence,
 * it goes here as { envelope: { binHz, magnitude[] }, markers: [{ name, hz }] } (fault frequencies:
 * BPFO, BPFI, BSF, FTF and harmonics); the dashboard draws the envelope and the markers when present.
 */
export function snapshotJson(s: Snapshot, evidence: unknown = null) {
  const spec = magnitudeSpectrum(s.samples, s.rateHz);
  const r = (x: number) => Math.round(x * 1e7) / 1e7;
  return {
    ...snapshotMetaJson(s),
    samples: Array.from(s.samples, r),
    spectrum: { binHz: spec.df, magnitude: Array.from(spec.mag, r) },
    evidence,
  };
}

export function snapshotCsv(s: Snapshot): string {
  const lines = [`t_s,${s.channel}_${s.unit}`];
  for (let i = 0; i < s.samples.length; i++) lines.push(`${(i / s.rateHz).toFixed(6)},${s.samples[i]}`);
  return lines.join('\n') + '\n';
}

export function snapshotF32(s: Snapshot): Buffer {
  const b = Buffer.alloc(s.samples.length * 4);
  for (let i = 0; i < s.samples.length; i++) b.writeFloatLE(s.samples[i], i * 4);
  return b;
}

// Runs bench/peer_torch.py on the same model folder and the same windows, and pairs its numbers
// with ours: our/peer ratios at equal batch size and equal cores (workers vs torch threads).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineResults, ThroughputRow } from './engines.js';
import type { BenchModel } from './lib/model.js';
import { PYTHON, ROOT } from './lib/paths.js';
import { round } from './lib/stats.js';
import type { BenchWindows } from './lib/windows.js';

export interface PeerRow { mode: string; threads: number; batch: number; windowsPerSec: number }
export interface PeerResults {
  available: boolean;
  reason?: string;
  torch?: string;
  throughput: PeerRow[];
  latency: { mode: string; threads: number; p50Ms: number; p99Ms: number; samples: number }[];
  /** Largest |p_ours − p_torch| over the first 16 windows, per engine: proves the same weights ran. */
  maxAbsProbDiff: Record<string, number>;
  ratios: { engine: string; cores: number; batch: number; ours: number; peerEager: number; peerTorchscript: number; vsEager: number; vsTorchscript: number }[];
  /** The peer's probabilities of the first 16 windows; removed by comparePeer (not reported). */
  probs?: number[][];
}

/** The windows as a raw float32 file for peer_torch.py, and its common arguments. */
function peerInput(model: BenchModel, w: BenchWindows): { tmp: string; args: string[] } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'drsnd-bench-peer-'));
  const file = path.join(tmp, 'windows.f32');
  writeFileSync(file, Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return { tmp, args: [path.join(ROOT, 'bench', 'peer_torch.py'), '--model', model.dir, '--windows', file, '--count', String(w.count), '--length', String(model.meta.input.windowLength)] };
}

/** `extra`: more peer_torch.py flags, e.g. ['--modes', 'torchscript', '--no-latency'] (bench/ratio.ts). */
export async function runPeer(model: BenchModel, w: BenchWindows, seconds: number, batches: number[], threads: number[], say: (s: string) => void, extra: string[] = []): Promise<PeerResults> {
  const { tmp, args: common } = peerInput(model, w);
  const args = [...common, '--batches', batches.join(','), '--threads', threads.join(','), '--seconds', String(seconds), ...extra];
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(PYTHON, args, { maxBuffer: 16 * 2 ** 20 }, (err, out, errText) => {
        if (err) reject(new Error(`${PYTHON} peer_torch.py failed: ${(errText || err.message).trim().split('\n').pop()}`));
        else resolve(out);
      });
      child.stderr?.on('data', (d: Buffer) => d.toString().split('\n').filter((l) => l.trim()).forEach((l) => say(l)));
    });
    const r = JSON.parse(stdout) as { torch: string; throughput: PeerRow[]; latency: PeerResults['latency']; probs: number[][] };
    return { available: true, torch: r.torch, throughput: r.throughput, latency: r.latency, maxAbsProbDiff: {}, ratios: [], probs: r.probs };
  } catch (e) {
    return { available: false, reason: (e as Error).message, throughput: [], latency: [], maxAbsProbDiff: {}, ratios: [] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Fills ratios and probability differences once both sides have run. */
export function comparePeer(peer: PeerResults, ours: EngineResults): void {
  if (!peer.available) return;
  const peerProbs = peer.probs;
  delete peer.probs;
  if (peerProbs) {
    for (const [k, probs] of Object.entries(ours.probs)) {
      let m = 0;
      probs.forEach((row, i) => row.forEach((p, j) => { m = Math.max(m, Math.abs(p - (peerProbs[i]?.[j] ?? NaN))); }));
      peer.maxAbsProbDiff[k] = Number.isNaN(m) ? NaN : Number(m.toExponential(2));
    }
  }
  const find = (mode: string, threads: number, batch: number) => peer.throughput.find((r) => r.mode === mode && r.threads === threads && r.batch === batch)?.windowsPerSec;
  const byKey = new Map<string, ThroughputRow>();
  for (const r of ours.throughput) byKey.set(`${r.engine}/${r.backend}/${r.workers}/${r.intraOp}/${r.batch}`, r);
  for (const r of byKey.values()) {
    // Equal cores: our workers × intra-op threads against torch.set_num_threads.
    const cores = r.workers * r.intraOp;
    const e = find('eager', cores, r.batch);
    const s = find('torchscript', cores, r.batch);
    if (e === undefined || s === undefined) continue;
    const how = r.intraOp > 1 ? `${r.workers} worker × ${r.intraOp} threads` : `${r.workers} worker${r.workers > 1 ? 's' : ''}`;
    peer.ratios.push({ engine: `${r.engine}/${r.backend} (${how})`, cores, batch: r.batch, ours: r.windowsPerSec, peerEager: e, peerTorchscript: s, vsEager: round(r.windowsPerSec / e, 2), vsTorchscript: round(r.windowsPerSec / s, 2) });
  }
}

/**
 * TorchScript in `procs` single-threaded processes side by side: the peer parallelised the way our
 * engine is (one single-threaded session per worker), rather than by torch's own threads. The
 * processes wait at a barrier before each batch size (peer_torch.py --sync), so they time the same
 * seconds; the result is the sum of their rates.
 */
export async function runPeerProcesses(model: BenchModel, w: BenchWindows, seconds: number, batches: number[], procs: number): Promise<PeerRow[]> {
  const { tmp, args: common } = peerInput(model, w);
  const args = [...common, '--batches', batches.join(','), '--threads', '1', '--seconds', String(seconds), '--modes', 'torchscript', '--no-latency', '--sync'];
  try {
    const children = Array.from({ length: procs }, () => spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    // A process that died takes its stdin with it; the 'close' handler below reports why.
    for (const c of children) c.stdin.on('error', () => {});
    let ready = 0;
    const outputs = children.map((child) => new Promise<PeerRow[]>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0 && out.startsWith('ready')) {
          out = out.slice(nl + 1);
          // The last process to reach the barrier releases all of them.
          if (++ready % procs === 0) for (const c of children) c.stdin.write('go\n');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) {
          // The others would wait at the barrier for ever.
          for (const c of children) if (c !== child) c.kill();
          reject(new Error(`${PYTHON} peer_torch.py --sync exited ${code}: ${err.trim().split('\n').pop() ?? ''}`));
          return;
        }
        try { resolve((JSON.parse(out) as { throughput: PeerRow[] }).throughput); } catch (e) { reject(e as Error); }
      });
    }));
    const rows = await Promise.all(outputs);
    return batches.map((batch) => ({ mode: `torchscript ${procs} processes`, threads: procs, batch,
      windowsPerSec: rows.reduce((sum, r) => sum + (r.find((x) => x.batch === batch)?.windowsPerSec ?? NaN), 0) }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

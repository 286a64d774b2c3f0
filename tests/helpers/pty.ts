// Real pseudo-terminal pairs from socat for serial tests: the source opens `a`, the test writes to `b`.
// `kill()` is an unplug (socat exits on SIGTERM and removes both links, as udev removes a device's
// symlink); `restart()` plugs it back in under the same link path.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PtyPair {
  dir: string;
  /** Link to the end the source opens. */
  a: string;
  /** Link to the end the test writes to. */
  b: string;
  /** Writes bytes to `b` (opens it on first use after each start). */
  write(data: Uint8Array | string): void;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Temp dir for links; `start: false` only reserves the paths (a port that does not exist yet). */
export async function ptyPair(opts: { start?: boolean } = {}): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  let child: ChildProcess | undefined;
  let fd: number | undefined;

  const closeWriter = () => {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* already gone */ } }
    fd = undefined;
  };
  const kill = async () => {
    closeWriter();
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGTERM'); });
  };
  const start = async () => {
    const c = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const deadline = Date.now() + 5000;
    while (!(stderr.includes('starting data transfer loop') && existsSync(a) && existsSync(b))) {
      if (c.exitCode !== null || Date.now() > deadline) {
        await kill();
        throw new Error(`socat did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  if (opts.start !== false) await start();
  return {
    dir, a, b,
    write(data) {
      if (fd === undefined) fd = openSync(b, 'w');
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    },
    kill,
    restart: start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

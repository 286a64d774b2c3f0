// systemd notify protocol (sd_notify(3)), as zigbee2mqtt's lib/util/sd-notify.ts does it:
// READY=1 only when the daemon is really ready, WATCHDOG=1 at half of WatchdogSec from the event loop (a hung process stops pinging),
// STOPPING=1 on shutdown. Without NOTIFY_SOCKET (not under systemd, or Type=simple) everything is a no-op.
// Node cannot send unix datagrams itself; `unix-dgram` is an optional native dependency built at install.
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
}

export interface SdNotifier {
  ready(): void;
  stopping(): void;
  status(text: string): void;
  /** Starts WATCHDOG=1 pings at half the interval while `alive()` returns true. */
  startWatchdog(alive: () => boolean): void;
  stopWatchdog(): void;
  stop(): void;
}

const noop: SdNotifier = { ready() {}, stopping() {}, status() {}, startWatchdog() {}, stopWatchdog() {}, stop() {} };

export function createSdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): SdNotifier {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return noop;
  let socket: DgramSocket;
  try {
    const require = createRequire(import.meta.url);
    const unixDgram = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket & { on(e: string, f: (err: Error) => void): void } };
    const s = unixDgram.createSocket('unix_dgram');
    s.on('error', (err) => log.warn({ err }, 'sd_notify socket error'));
    socket = s;
  } catch (err) {
    log.warn({ err }, 'NOTIFY_SOCKET is set but unix-dgram is not installed: systemd will not get READY=1 (use Type=simple or reinstall with optional dependencies)');
    return noop;
  }
  // Abstract namespace sockets are given as "@name" and sent with a leading NUL byte.
  const target = socketPath.startsWith('@') ? `\0${socketPath.slice(1)}` : socketPath;
  const send = (msg: string) => {
    const buf = Buffer.from(msg);
    try {
      socket.send(buf, 0, buf.length, target, (err) => {
        if (err) log.warn({ err, msg }, 'sd_notify send failed');
      });
    } catch (err) {
      log.warn({ err, msg }, 'sd_notify send failed');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    ready: () => send('READY=1'),
    stopping: () => send('STOPPING=1'),
    status: (text) => send(`STATUS=${text}`),
    startWatchdog(alive) {
      const usec = Number(env.WATCHDOG_USEC);
      if (!Number.isFinite(usec) || usec <= 0) return;
      const pid = env.WATCHDOG_PID;
      if (pid && Number(pid) !== process.pid) return;
      const everyMs = Math.max(100, Math.floor(usec / 1000 / 2));
      timer = setInterval(() => {
        if (alive()) send('WATCHDOG=1');
        else log.error('pipeline stalled (frames arrive, no window comes out): withholding WATCHDOG=1 so systemd restarts the service');
      }, everyMs);
      timer.unref();
    },
    stopWatchdog() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      try { socket.close(); } catch { /* already closed */ }
    },
  };
}

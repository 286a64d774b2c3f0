// Test harness broker: a real mosquitto (Debian package) on a free loopback port, aedes only where
// mosquitto is not installed. Every test that talks MQTT goes through here.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedBroker } from '../../src/publish/embedded-broker.js';

export interface TestBroker {
  url: string;
  port: number;
  kind: 'mosquitto' | 'aedes';
  stop(): Promise<void>;
  /** Kills the broker (for outage tests); `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export function mosquittoPath(): string | undefined {
  return MOSQUITTO_PATHS.find((p) => existsSync(p));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`broker did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a loopback-only config (plus `extraConf` lines) and spawns mosquitto until it listens on `port`. */
export async function spawnMosquitto(bin: string, port: number, conf: string, extraConf: string[] = []): Promise<ChildProcess> {
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', ...extraConf, ''].join('\n'));
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    await waitForPort(port);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`mosquitto failed to start: ${stderr}`, { cause: e });
  }
  return child;
}

export interface TestBrokerOptions {
  /**
   * mosquitto keeps sessions (a persistent subscriber's subscription and its queued messages) and
   * retained messages in a file, saved after every change, so they survive a SIGKILL and restart.
   * Only with mosquitto; aedes is in-memory.
   */
  persistence?: boolean;
  /**
   * mosquitto publishes its own log (connections, disconnections, takeovers of a client id) on
   * $SYS/broker/log/#, so a test can wait for what the broker saw instead of sleeping (brokerLog()).
   * Only with mosquitto.
   */
  logTopic?: boolean;
}

export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const bin = mosquittoPath();
  const port = await freePort();
  if (!bin) {
    // In CI (.ci/run sets DRSND_CI=1) a missing mosquitto is a failure, not a quieter test on aedes.
    if (process.env.DRSND_CI === '1') throw new Error('mosquitto is not installed, and DRSND_CI=1 forbids the aedes fallback (apt-get install mosquitto)');
    let broker = await startEmbeddedBroker('127.0.0.1', port);
    return {
      url: broker.url, port, kind: 'aedes',
      stop: () => broker.stop(),
      kill: () => broker.stop(),
      restart: async () => { broker = await startEmbeddedBroker('127.0.0.1', port); },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drsnd-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  let child: ChildProcess | undefined;
  // autosave_on_changes with an interval of 1 saves the database after each change; no queue limits, so a
  // subscriber that is away while the broker restarts misses nothing the broker accepted.
  const extra = opts.persistence
    ? ['persistence true', `persistence_location ${dir}/`, 'autosave_on_changes true', 'autosave_interval 1', 'max_queued_messages 0', 'max_inflight_messages 0']
    : [];
  if (opts.logTopic) extra.push('log_dest topic', 'log_type all');
  const launch = async () => {
    child = await spawnMosquitto(bin, port, conf, extra);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`, port, kind: 'mosquitto',
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BrokerLog {
  /** The broker's log lines so far, oldest first. */
  lines: string[];
  /**
   * Resolves once every line the broker logged before this call has arrived: a QoS 1 marker this
   * subscriber publishes to itself is routed after the log messages the broker queued for it earlier.
   */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

/** Follows the log of a broker started with `logTopic: true`. */
export async function brokerLog(url: string): Promise<BrokerLog> {
  const { connectAsync } = await import('mqtt');
  const c = await connectAsync(url, { clientId: `log-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const marker = `test/log-marker/${c.options.clientId}`;
  const lines: string[] = [];
  const waiting = new Map<string, () => void>();
  c.on('message', (topic, payload) => {
    if (topic === marker) waiting.get(payload.toString())?.();
    else lines.push(payload.toString());
  });
  await c.subscribeAsync(['$SYS/broker/log/#', marker], { qos: 1 });
  let n = 0;
  return {
    lines,
    async sync() {
      const token = String(n++);
      const arrived = new Promise<void>((resolve) => waiting.set(token, resolve));
      await c.publishAsync(marker, token, { qos: 1 });
      await arrived;
    },
    stop: () => c.endAsync(true),
  };
}

// Embedded MQTT broker (aedes) for the out-of-the-box default: a newcomer needs no broker installed.
// On a plant, point mqtt.url at the site broker instead. It listens on loopback by default; with
// credentials set it refuses every client that does not present them (a local user could otherwise
// publish a retained fake alert under drsnd's topics: issue 19).
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { Aedes } from 'aedes';
import { DrsndError, ErrorCodes } from '../errors.js';

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedBrokerAuth {
  username: string;
  password: string;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** What to tell the operator about a broker bound to `host`; undefined on loopback. */
export function exposureWarning(host: string, withAuth: boolean): string | undefined {
  if (isLoopback(host)) return undefined;
  return withAuth
    ? 'embedded MQTT broker reachable from the network, without TLS: credentials and data cross it in clear; prefer a site broker with TLS (mqtt.url)'
    : 'embedded MQTT broker reachable from the network and accepting anyone: anybody can publish fake alerts; set mqtt.embedded.username and password, or bind 127.0.0.1';
}

const sameSecret = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export async function startEmbeddedBroker(host = '127.0.0.1', port = 1883, auth?: EmbeddedBrokerAuth): Promise<EmbeddedBroker> {
  const user = auth ? Buffer.from(auth.username) : undefined;
  const pass = auth ? Buffer.from(auth.password) : undefined;
  const aedes = await Aedes.createBroker(user && pass ? {
    authenticate: (_client, username, password, done) => {
      const ok = username !== undefined && password !== undefined && sameSecret(Buffer.from(username), user) && sameSecret(Buffer.from(password), pass);
      if (ok) done(null, true);
      // 4 = "bad user name or password" (MQTT 3.1.1 CONNACK return code).
      else done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }), false);
    },
  } : {});
  const server = net.createServer(aedes.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      aedes.close();
      if (err.code === 'EADDRINUSE') {
        reject(new DrsndError(ErrorCodes.CONFIG_INVALID,
          `cannot start the embedded MQTT broker: ${host}:${port} is already in use (another broker?). ` +
          `Use it with mqtt.url (DRSND_MQTT_URL=mqtt://${host}:${port}) or pick another mqtt.embedded.port.`, { cause: err }));
      } else reject(err);
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    url: `mqtt://${host}:${addr.port}`,
    port: addr.port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

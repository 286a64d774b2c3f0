// Embedded MQTT broker (aedes) for the out-of-the-box default: a newcomer needs no broker installed.
// On a plant, point mqtt.url at the site broker instead.
import net from 'node:net';
import { Aedes } from 'aedes';
import { DrsndError, ErrorCodes } from '../errors.js';

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startEmbeddedBroker(host = '127.0.0.1', port = 1883): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
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

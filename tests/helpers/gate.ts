// A TCP relay in front of a real broker: closed, nothing listens on its port, so a client's connects
// are refused exactly as with a broker that is down, while observers connected to the broker itself
// stay connected. Used for outages seen from one side only (tests and bench/delivery.ts).
import net from 'node:net';

export class Gate {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly brokerPort: number) {}

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((inbound) => {
      const outbound = net.connect(this.brokerPort, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { inbound.destroy(); outbound.destroy(); });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Cuts every relayed connection and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

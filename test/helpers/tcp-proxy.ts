// A TCP proxy on the loopback interface that a test controls, to make a server unreachable on
// purpose: `cut()` tears down every open connection (both sides see a reset) and stops accepting,
// so new connections are refused; `restore()` listens again on the same port.
import net from 'node:net';

export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections open right now. */
  open(): number;
  /** Resets every open connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      // A reset on one side resets the other; errors are the point of a cut, not a failure.
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const port = await listen(0);
  const resetAll = () => {
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
  };
  return {
    port,
    accepted: () => accepted,
    open: () => [...sockets].filter((s) => !s.destroyed).length / 2,
    async cut() {
      // Stop accepting first, so nothing slips in between the reset and the close.
      const closed = stopListening();
      resetAll();
      await closed;
    },
    async restore() {
      await listen(port);
    },
    async close() {
      const closed = stopListening();
      resetAll();
      await closed;
    },
  };
}

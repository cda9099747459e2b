// A TCP proxy on loopback in front of MariaDB, so a test can take the database away from the
// plugin (and give it back) while the server itself, and the test's own connection, stay up.
import * as net from 'node:net';

/** How the database goes away: packets dropped (connections hang) or connections reset at once. */
export type Outage = 'blackhole' | 'reset';

export interface TcpProxy {
  readonly port: number;
  /** Breaks every open connection, and treats new ones as `outage` says until `restore()`. */
  cut(outage?: Outage): void;
  /** Forwards again; connections held by a blackhole go through now, as if the network came back. */
  restore(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'up' | Outage = 'up';
  let accepted = 0;
  const live = new Set<net.Socket>();
  const held = new Set<net.Socket>();

  const forward = (client: net.Socket): void => {
    const upstream = net.connect(target.port, target.host);
    live.add(client);
    live.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const server = net.createServer((client) => {
    accepted += 1;
    client.on('error', () => client.destroy());
    if (state === 'up') return forward(client);
    if (state === 'reset') return void client.resetAndDestroy();
    // Blackhole: accept and say nothing, like a host whose packets are dropped.
    held.add(client);
    client.on('close', () => held.delete(client));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    cut(outage = 'blackhole') {
      state = outage;
      for (const socket of live) socket.resetAndDestroy();
      live.clear();
      if (outage === 'reset') {
        for (const socket of held) socket.resetAndDestroy();
        held.clear();
      }
    },
    restore() {
      state = 'up';
      for (const client of held) {
        held.delete(client);
        client.removeAllListeners('close');
        if (!client.destroyed) forward(client);
      }
    },
    async close() {
      for (const socket of [...live, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

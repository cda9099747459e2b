// A TCP proxy on loopback in front of MariaDB, so a test can take the database away from the
// plugin (and give it back) while the server itself, and the test's own connection, stay up.
import * as net from 'node:net';

/**
 * How the database goes away. `reset`: connections are reset at once and new ones refused (a
 * dropped route that answers with RST). `blackhole`: packets are dropped; open connections stop
 * forwarding both ways without closing, new ones are accepted and never answered.
 */
export type Outage = 'blackhole' | 'reset';

export interface TcpProxy {
  readonly port: number;
  /** Breaks every open connection as `outage` says, and treats new ones so until `restore()`. */
  cut(outage?: Outage): void;
  /**
   * Freezes connections open now: nothing more is forwarded either way, and a side that closes
   * is not told to the other (as when the network fails between them). `which`: every open
   * connection, or only the one that last carried an answer from the server (the statement that
   * just returned). New connections are forwarded as usual. `restore()` thaws them.
   */
  freeze(which?: 'all' | 'last'): void;
  /**
   * Forwards again, as if the network came back: frozen connections carry what was held back
   * (or, when one side closed meanwhile, the other side is closed now), held ones go through.
   */
  restore(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections forwarded now (both sides open, frozen or not). */
  readonly open: number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'up' | Outage = 'up';
  let accepted = 0;
  const pairs = new Set<Pair>();
  let lastAnswered: Pair | null = null;
  const held = new Set<net.Socket>();

  const end = (pair: Pair): void => {
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };

  const forward = (client: net.Socket): void => {
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, frozen: false };
    pairs.add(pair);
    // A frozen pair keeps its other side open: the close is "lost in the network" until restore().
    const closed = () => {
      if (!pair.frozen) end(pair);
    };
    client.on('error', closed).on('close', closed);
    upstream.on('error', closed).on('close', closed);
    upstream.on('data', () => {
      lastAnswered = pair;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const freeze = (pair: Pair): void => {
    pair.frozen = true;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
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
    get open() {
      return [...pairs].filter((p) => !p.client.destroyed && !p.upstream.destroyed).length;
    },
    cut(outage = 'blackhole') {
      state = outage;
      if (outage === 'reset') {
        for (const pair of pairs) {
          pair.client.resetAndDestroy();
          pair.upstream.resetAndDestroy();
        }
        pairs.clear();
        for (const socket of held) socket.resetAndDestroy();
        held.clear();
      } else {
        for (const pair of pairs) freeze(pair);
      }
    },
    freeze(which = 'all') {
      if (which === 'all') for (const pair of pairs) freeze(pair);
      else if (lastAnswered && pairs.has(lastAnswered)) freeze(lastAnswered);
    },
    restore() {
      state = 'up';
      for (const pair of [...pairs]) {
        if (!pair.frozen) continue;
        pair.frozen = false;
        if (pair.client.destroyed || pair.upstream.destroyed) {
          end(pair);
          continue;
        }
        pair.client.pipe(pair.upstream);
        pair.upstream.pipe(pair.client);
      }
      for (const client of held) {
        held.delete(client);
        client.removeAllListeners('close');
        if (!client.destroyed) forward(client);
      }
    },
    async close() {
      for (const pair of pairs) end(pair);
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

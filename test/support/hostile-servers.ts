// Servers that attack the DNS Check instead of serving it: they flood, trickle, send oversized
// answers, or list more MX hosts than any real domain. All listen on 127.0.0.1 only, and count
// what they were sent and what they managed to send, so tests can assert the check stayed bounded.
import * as dgram from 'node:dgram';
import * as https from 'node:https';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Issued } from './tls';

export interface HostileServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** The most connections open at once. */
  readonly peakConnections: number;
  /** Bytes written to clients (that the kernel took). */
  readonly bytesSent: number;
  close(): Promise<void>;
}

/**
 * How a hostile SMTP server answers EHLO: `long-lines` floods 2,000-byte `250-` lines (hits the
 * byte bound first), `short-lines` floods short ones (hits the line bound first), `trickle` sends
 * the greeting one byte every `trickleMs`, `plain` is a harmless server without STARTTLS.
 */
export type SmtpAttack = 'long-lines' | 'short-lines' | 'trickle' | 'plain';

class Counted implements HostileServer {
  connections = 0;
  peakConnections = 0;
  bytesSent = 0;
  private open = new Set<net.Socket>();
  constructor(private readonly server: net.Server) {}

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  accept(socket: net.Socket): void {
    this.connections += 1;
    this.open.add(socket);
    this.peakConnections = Math.max(this.peakConnections, this.open.size);
    socket.on('close', () => this.open.delete(socket));
    socket.on('error', () => {});
  }

  /** Writes `next()` chunks as fast as the client reads them, until it goes away. */
  flood(socket: net.Socket, next: () => string): void {
    const pump = () => {
      while (!socket.destroyed && socket.writable) {
        const chunk = next();
        this.bytesSent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
  }

  close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function listen(server: net.Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}

export async function startHostileSmtp(attack: SmtpAttack, options: { trickleMs?: number } = {}): Promise<HostileServer> {
  const server = net.createServer();
  const counted = new Counted(server);
  server.on('connection', (socket) => {
    counted.accept(socket);
    if (attack === 'trickle') {
      const greeting = '220 slow.test ESMTP\r\n';
      let at = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || at >= greeting.length) return clearInterval(timer);
        counted.bytesSent += 1;
        socket.write(greeting[at++]);
      }, options.trickleMs ?? 50);
      socket.on('close', () => clearInterval(timer));
      return;
    }
    socket.write('220 hostile.test ESMTP\r\n');
    socket.once('data', () => {
      if (attack === 'plain') return void socket.write('250-hostile.test\r\n250 8BITMIME\r\n');
      const line = attack === 'long-lines' ? `250-${'X'.repeat(1996)}\r\n` : '250-PIPELINING\r\n';
      // Many lines per write keep the server side cheap; the client sees an endless reply.
      const chunk = line.repeat(Math.max(1, Math.floor(16384 / line.length)));
      counted.flood(socket, () => chunk);
    });
  });
  await listen(server);
  return counted;
}

/** An HTTPS server whose policy response is huge: an endless body, or endless headers. */
export async function startHostileHttps(issued: Issued, attack: 'huge-body' | 'huge-headers'): Promise<HostileServer> {
  const server = https.createServer({ key: issued.key, cert: issued.cert });
  const counted = new Counted(server);
  server.on('secureConnection', (socket) => counted.accept(socket));
  server.on('request', (_req, res) => {
    const socket = res.socket as net.Socket;
    if (attack === 'huge-headers') {
      // Written raw: node:http itself refuses to send a header block this size.
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n');
      const header = `X-Filler: ${'y'.repeat(1000)}\r\n`.repeat(16);
      counted.flood(socket, () => header);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    const chunk = 'mx: mail.example.org\r\n'.repeat(1000);
    const pump = () => {
      while (!res.destroyed && !res.writableEnded) {
        counted.bytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await listen(server);
  return counted;
}

export interface HostileDns {
  readonly address: string;
  /** Bytes sent over TCP and UDP together. */
  readonly bytesSent: number;
  close(): Promise<void>;
}

/**
 * A DNS server on one port (UDP and TCP) that floods: over UDP, endless datagrams with the wrong
 * id (which the resolver must ignore) for `udp-flood`, or a truncated answer that sends the
 * resolver to TCP for `tcp-flood`; over TCP, endless full-size (65,535-byte) frames answering
 * with the wrong id.
 */
export async function startHostileDns(attack: 'udp-flood' | 'tcp-flood'): Promise<HostileDns> {
  let bytesSent = 0;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  for (let attempt = 0; attempt < 20 && tcp === undefined; attempt++) {
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp!.bind(0, '127.0.0.1', resolve));
    const candidate = net.createServer();
    const port = udp.address().port;
    const ok = await new Promise<boolean>((resolve) => {
      candidate.once('error', () => resolve(false));
      candidate.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) tcp = candidate;
    else await new Promise<void>((resolve) => udp!.close(() => resolve()));
  }
  if (udp === undefined || tcp === undefined) throw new Error('could not bind UDP and TCP to one port');
  const wrongId = (query: dnsPacket.DecodedPacket, size: number): Buffer => {
    const question = query.questions?.[0] ?? { name: 'x', type: 'A' as const };
    // TXT padding up to `size`: a valid, decodable answer, just never the one asked for.
    const filler = Array.from({ length: Math.max(1, Math.floor(size / 260)) }, () => 'z'.repeat(250));
    return dnsPacket.encode({
      type: 'response',
      id: ((query.id ?? 0) + 1) & 0xffff,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: [question],
      answers: [{ name: question.name, type: 'TXT', class: 'IN', ttl: 1, data: filler }],
    });
  };
  udp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    if (attack === 'tcp-flood') {
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.AUTHORITATIVE_ANSWER,
        questions: query.questions,
      });
      bytesSent += reply.length;
      return void udp.send(reply, rinfo.port, rinfo.address);
    }
    const datagram = wrongId(query, 60_000);
    let sent = 0;
    const timer = setInterval(() => {
      // Bounded on this side too, so a broken resolver cannot make the test run forever.
      if (sent++ > 400) return clearInterval(timer);
      bytesSent += datagram.length;
      udp.send(datagram, rinfo.port, rinfo.address, () => {});
    }, 1);
    timers.add(timer);
  });
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (data) => {
      let query: dnsPacket.DecodedPacket;
      try {
        query = dnsPacket.decode(data.subarray(2));
      } catch {
        return void socket.destroy();
      }
      const body = wrongId(query, 65_000);
      const frame = Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
      const pump = () => {
        while (!socket.destroyed && socket.writable) {
          bytesSent += frame.length;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
  const port = udp.address().port;
  return {
    address: `127.0.0.1:${port}`,
    get bytesSent() {
      return bytesSent;
    },
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

/**
 * Counts this process's TCP sockets to `port` while they are open (from connect() to 'close'):
 * the client side's own count, which a server cannot see exactly (it learns of a close later).
 */
export function countClientSockets(port: number): { readonly peak: number; readonly open: number; stop(): void } {
  const original = net.Socket.prototype.connect;
  let open = 0;
  let peak = 0;
  net.Socket.prototype.connect = function counting(this: net.Socket, ...args: unknown[]) {
    // net.connect() hands over its arguments normalized: an array of [options, callback].
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = first as { port?: number } | number;
    if ((typeof options === 'object' && options !== null && Number(options.port) === port) || options === port) {
      open += 1;
      peak = Math.max(peak, open);
      this.once('close', () => {
        open -= 1;
      });
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  return {
    get peak() {
      return peak;
    },
    get open() {
      return open;
    },
    stop: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

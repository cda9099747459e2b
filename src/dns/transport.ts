// One DNS exchange with one server over UDP or TCP. Knows nothing about
// record types or retries; the resolver decides what an outcome means.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface ServerAddress {
  host: string;
  port: number;
  family: 4 | 6;
  label: string;
}

export type TransportOutcome =
  { kind: 'answer'; packet: dnsPacket.DecodedPacket } | { kind: 'timeout' } | { kind: 'malformed' } | { kind: 'unreachable'; reason: string };

/**
 * What one exchange reads at most. A TCP frame may claim up to 65535 bytes, so one full frame and
 * a second one fit; UDP allows a few full-size datagrams of noise before the real reply. Past it
 * the server is flooding, and the exchange ends as malformed instead of reading on until the
 * timeout.
 */
export const MAX_TCP_BYTES = 2 * (2 + 65535);
export const MAX_UDP_BYTES = 4 * 65535;

/** Decides whether a decoded packet is the reply to our query (id, question). */
export type ReplyFilter = (packet: dnsPacket.DecodedPacket) => boolean;

function tryDecode(buf: Buffer): dnsPacket.DecodedPacket | undefined {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

function describeError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused, nothing is listening there';
  if (err.code === 'ENETUNREACH' || err.code === 'EHOSTUNREACH') return 'network unreachable';
  return err.message;
}

/**
 * Sends `query` over a fresh UDP socket and waits for a reply accepted by
 * `accept`. Replies that do not match are ignored rather than trusted, so an
 * off-path spoofer has to guess both the id and the question.
 */
export function queryUdp(server: ServerAddress, query: Buffer, accept: ReplyFilter, timeoutMs: number): Promise<TransportOutcome> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let sawUndecodable = false;
    let settled = false;
    const settle = (outcome: TransportOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed after an error: nothing left to release
      }
      resolve(outcome);
    };
    // Undecodable packets might be noise while the real answer is still on
    // its way, so they only decide the outcome if nothing valid arrives.
    const timer = setTimeout(() => settle(sawUndecodable ? { kind: 'malformed' } : { kind: 'timeout' }), timeoutMs);
    socket.on('error', (err) => settle({ kind: 'unreachable', reason: describeError(err) }));
    let read = 0;
    socket.on('message', (msg) => {
      read += msg.length;
      if (read > MAX_UDP_BYTES) return settle({ kind: 'malformed' });
      const packet = tryDecode(msg);
      if (!packet) sawUndecodable = true;
      else if (accept(packet)) settle({ kind: 'answer', packet });
    });
    // A connected socket lets the kernel drop datagrams from other peers and
    // report ICMP port-unreachable as ECONNREFUSED instead of a silent timeout.
    socket.connect(server.port, server.host, () => {
      socket.send(query, (err) => {
        if (err) settle({ kind: 'unreachable', reason: describeError(err) });
      });
    });
  });
}

/** Same exchange over TCP with the 2-byte length framing of RFC 1035 4.2.2. */
export function queryTcp(server: ServerAddress, query: Buffer, accept: ReplyFilter, timeoutMs: number): Promise<TransportOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let pending = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: TransportOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    socket.on('error', (err) => settle({ kind: 'unreachable', reason: describeError(err) }));
    socket.on('close', () => settle({ kind: 'unreachable', reason: 'closed the TCP connection without answering' }));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    let read = 0;
    socket.on('data', (chunk) => {
      read += chunk.length;
      if (read > MAX_TCP_BYTES) return settle({ kind: 'malformed' });
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < 2 + size) return;
        const packet = tryDecode(pending.subarray(2, 2 + size));
        pending = pending.subarray(2 + size);
        // Unlike UDP, a bad frame on a stream cannot be noise from elsewhere.
        if (!packet) return settle({ kind: 'malformed' });
        if (accept(packet)) return settle({ kind: 'answer', packet });
      }
    });
  });
}

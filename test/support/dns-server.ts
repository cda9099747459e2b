// A real authoritative DNS server on 127.0.0.1 for tests, so the resolver is
// exercised over actual sockets, including the ways real servers misbehave.
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface ZoneRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'TLSA' | 'CAA';
  ttl?: number;
  data: any; // passed to dns-packet as is, so tests can write any shape it encodes
}
export type Fault = 'drop' | 'servfail' | 'refused' | 'garbage' | 'wrong-id' | 'wrong-question' | 'truncate';
/** What a reply mutator is told about the query it answers. */
export interface ReplyContext {
  id: number;
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}
/** Turns the reply the server would send into the bytes it does send; null sends nothing. */
export type ReplyMutator = (reply: Buffer, query: ReplyContext) => Buffer | null;
export interface TestDnsServer {
  readonly port: number;
  readonly address: string;
  setZone(records: ZoneRecord[]): void;
  setFault(fault: Fault | null, match?: { name?: string; type?: string }): void;
  setDelay(ms: number): void;
  /**
   * The "mutate" fault: every reply (to queries matching `match`, over UDP and TCP) goes through
   * `mutate` first, which may return the reply changed, any other bytes (a given packet), or null.
   * Applied after `setFault`, so a fault's reply can be mutated too. null switches it off.
   */
  setReplyMutator(mutate: ReplyMutator | null, match?: { name?: string; type?: string }): void;
  readonly queries: Array<{ name: string; type: string; transport: 'udp' | 'tcp' }>;
  close(): Promise<void>;
}

type Transport = 'udp' | 'tcp';
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
// Faults that describe a broken server rather than a UDP quirk also hit TCP.
const TCP_FAULTS: ReadonlySet<Fault> = new Set<Fault>(['drop', 'servfail', 'refused', 'garbage']);

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function garbage(): Buffer {
  const bytes = randomBytes(48);
  // Claim 65535 questions in 36 bytes so the packet can never decode by luck.
  bytes.writeUInt16BE(0xffff, 4);
  return bytes;
}

class Server implements TestDnsServer {
  readonly queries: Array<{ name: string; type: string; transport: Transport }> = [];
  private zone: ZoneRecord[] = [];
  private fault: { fault: Fault; name?: string; type?: string } | null = null;
  private delayMs = 0;
  private mutator: { mutate: ReplyMutator; name?: string; type?: string } | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly connections = new Set<net.Socket>();

  constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly port: number,
  ) {
    // A reply to a resolver that already gave up must not crash the test run.
    udp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      this.respond(msg, 'udp', (reply) => udp.send(reply, rinfo.port, rinfo.address));
    });
    tcp.on('connection', (socket) => this.serveStream(socket));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setZone(records: ZoneRecord[]): void {
    this.zone = records.map((r) => ({ ...r }));
  }

  setFault(fault: Fault | null, match: { name?: string; type?: string } = {}): void {
    this.fault = fault ? { fault, name: match.name && norm(match.name), type: match.type?.toUpperCase() } : null;
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  setReplyMutator(mutate: ReplyMutator | null, match: { name?: string; type?: string } = {}): void {
    this.mutator = mutate ? { mutate, name: match.name && norm(match.name), type: match.type?.toUpperCase() } : null;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.connections) socket.destroy();
    await Promise.all([new Promise<void>((resolve) => this.udp.close(() => resolve())), new Promise<void>((resolve) => this.tcp.close(() => resolve()))]);
  }

  private serveStream(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const frame = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(frame.length + 2);
        this.respond(frame, 'tcp', (reply) => {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          if (!socket.destroyed) socket.write(Buffer.concat([length, reply]));
        });
      }
    });
  }

  private respond(msg: Buffer, transport: Transport, send: (reply: Buffer) => void): void {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: a real server would drop it too
    }
    const question = query.questions?.[0];
    if (!question) return;
    this.queries.push({ name: norm(question.name), type: question.type, transport });
    let reply = this.build(query, question, transport);
    const m = this.mutator;
    if (reply && m && (m.name === undefined || m.name === norm(question.name)) && (m.type === undefined || m.type === question.type)) {
      reply = m.mutate(reply, { id: query.id ?? 0, name: norm(question.name), type: question.type, transport });
    }
    if (!reply) return;
    if (this.delayMs <= 0) return send(reply);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send(reply);
    }, this.delayMs);
    this.timers.add(timer);
  }

  private activeFault(question: dnsPacket.Question, transport: Transport): Fault | null {
    const f = this.fault;
    if (!f) return null;
    if (f.name !== undefined && f.name !== norm(question.name)) return null;
    if (f.type !== undefined && f.type !== question.type) return null;
    if (transport === 'tcp' && !TCP_FAULTS.has(f.fault)) return null;
    return f.fault;
  }

  private build(query: dnsPacket.DecodedPacket, question: dnsPacket.Question, transport: Transport): Buffer | null {
    const fault = this.activeFault(question, transport);
    if (fault === 'drop') return null;
    if (fault === 'garbage') return garbage();
    const header = (rcode: number, extraFlags = 0): dnsPacket.Packet => ({
      type: 'response',
      id: fault === 'wrong-id' ? ((query.id ?? 0) + 1) & 0xffff : query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | extraFlags | rcode,
      questions: [fault === 'wrong-question' ? { ...question, name: `not-${question.name}` } : question],
    });
    if (fault === 'servfail') return dnsPacket.encode(header(RCODE.SERVFAIL));
    if (fault === 'refused') return dnsPacket.encode(header(RCODE.REFUSED));
    if (fault === 'truncate') return dnsPacket.encode(header(RCODE.NOERROR, dnsPacket.TRUNCATED_RESPONSE));
    const { rcode, answers } = this.answer(norm(question.name), question.type);
    return dnsPacket.encode({ ...header(rcode), answers });
  }

  private answer(name: string, type: string): { rcode: number; answers: dnsPacket.Answer[] } {
    const owned = this.zone.filter((r) => norm(r.name) === name);
    if (owned.length === 0) return { rcode: RCODE.NXDOMAIN, answers: [] };
    const alias = owned.find((r) => r.type === 'CNAME');
    if (alias && type !== 'CNAME') {
      // One step only, so a chain makes the resolver come back for the rest.
      const target = norm(alias.data);
      const targetRecords = this.zone.filter((r) => norm(r.name) === target && r.type === type);
      return { rcode: RCODE.NOERROR, answers: [alias, ...targetRecords].map(toAnswer) };
    }
    return { rcode: RCODE.NOERROR, answers: owned.filter((r) => r.type === type).map(toAnswer) };
  }
}

function toAnswer(record: ZoneRecord): dnsPacket.Answer {
  // dns-packet rewrites TXT arrays in place while encoding; hand it a copy.
  const data = Array.isArray(record.data) ? [...record.data] : record.data;
  return { name: norm(record.name), type: record.type, class: 'IN', ttl: record.ttl ?? 300, data };
}

function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export async function startDnsServer(): Promise<TestDnsServer> {
  // The UDP port the kernel picks may already be taken for TCP; try another.
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = await bindUdp();
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(port);
      return new Server(udp, tcp, port);
    } catch {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw new Error('could not bind UDP and TCP to the same port on 127.0.0.1');
}

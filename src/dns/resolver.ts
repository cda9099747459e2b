// A small stub resolver on dns-packet instead of node:dns, because node:dns
// hides the difference between NXDOMAIN, NODATA, SERVFAIL and timeouts, and
// the DNS check has to tell the admin which one it was and which resolver said so.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
// The one spelling rule for names in answers (lower case, no trailing dot), shared with the policy rules.
import { normalizeHost } from '../names';
import { queryTcp, queryUdp, type ServerAddress, type TransportOutcome } from './transport';

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'TLSA' | 'CAA';
export interface MxRecord {
  preference: number;
  exchange: string;
}
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: string; /* hex */
}
/** A CAA record (RFC 8659): `issue "letsencrypt.org"`. */
export interface CaaRecord {
  flags: number;
  tag: string;
  value: string;
}
export interface RecordMap {
  A: string[];
  AAAA: string[];
  CNAME: string[];
  MX: MxRecord[];
  TXT: string[];
  TLSA: TlsaRecord[];
  CAA: CaaRecord[];
}
export type LookupFailure = 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'malformed' | 'error';
/**
 * What an answer says about DNSSEC, for the types asked with the DO bit (TLSA): `authenticated`
 * is the AD bit of the resolver (it validated every answer of the chain), `signed` whether the
 * answer carried signatures (RRSIG, or NSEC/NSEC3 proofs for "nothing there"). Signed but not
 * authenticated: the resolver does not validate, or the chain of trust is broken above the zone.
 */
export interface DnssecState {
  authenticated: boolean;
  signed: boolean;
}
export type LookupResult<T extends RecordType> =
  | { ok: true; name: string; type: T; records: RecordMap[T]; cnames: string[]; server: string; dnssec?: DnssecState }
  | { ok: false; name: string; type: T; failure: LookupFailure; message: string; cnames: string[]; server?: string; dnssec?: DnssecState };
export interface ResolverOptions {
  servers?: string[];
  timeoutMs?: number;
  retries?: number;
  maxCnameDepth?: number;
}
export interface Resolver {
  readonly servers: readonly string[];
  readonly timeoutMs: number;
  lookup<T extends RecordType>(name: string, type: T): Promise<LookupResult<T>>;
}

const RECORD_TYPES: readonly RecordType[] = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'TLSA', 'CAA'];
/**
 * Asked with the DO bit, so that the answer carries its signatures and the DANE check can tell a
 * signed zone from an unsigned one. Only TLSA: DANE is worthless without DNSSEC, and the other
 * answers stay small (no RRSIGs, no TCP fallback for them).
 */
const DNSSEC_TYPES: ReadonlySet<RecordType> = new Set<RecordType>(['TLSA']);
/** Record types that prove the answer was signed: the RRSIGs, and the denial proofs of NXDOMAIN/NODATA. */
const SIGNATURE_TYPES: ReadonlySet<string> = new Set(['RRSIG', 'NSEC', 'NSEC3']);
// The EDNS payload size recommended by DNS Flag Day 2020: avoids IP fragmentation.
const EDNS_UDP_PAYLOAD = 1232;
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
/** The DO bit in the OPT record's flags (RFC 3225). */
const DNSSEC_OK = 0x8000;

export function parseServer(spec: string): { host: string; port: number; label: string } {
  const text = typeof spec === 'string' ? spec.trim() : '';
  const bad = (): never => {
    throw new TypeError(`${JSON.stringify(spec)} is not an IP address or IP:port`);
  };
  let host: string;
  let portText = '53';
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4WithPort = /^([\d.]+):(\d+)$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2] ?? '53';
    if (!isIPv6(host)) bad();
  } else if (isIPv4(text) || isIPv6(text)) {
    host = text; // a bare IPv6 literal is ambiguous with a port, so it always means port 53
  } else if (v4WithPort && isIPv4(v4WithPort[1])) {
    host = v4WithPort[1];
    portText = v4WithPort[2];
  } else {
    return bad();
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`${JSON.stringify(spec)} has port ${portText}, which is outside 1-65535`);
  }
  return { host, port, label: isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}` };
}

export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*nameserver\s+([^\s#;]+)/.exec(line);
    if (!match) continue;
    // libc skips entries it cannot parse; doing the same keeps a stray line
    // in resolv.conf from making every createResolver() call throw.
    try {
      parseServer(match[1]);
      servers.push(match[1]);
    } catch {
      /* skipped like libc does */
    }
  }
  return servers;
}

function systemServers(): string[] {
  try {
    const servers = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
    if (servers.length > 0) return servers;
  } catch {
    /* no resolv.conf: use the libc default below */
  }
  return ['127.0.0.1'];
}

function integerOption(value: unknown, option: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const rule = max === 2 ** 31 - 1 ? 'a positive integer' : `an integer from ${min} to ${max}`;
    throw new TypeError(`dns.${option}: must be ${rule} (got ${JSON.stringify(value) ?? typeof value})`);
  }
  return value;
}

function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => l.length > 0 && l.length <= 63);
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function extract<T extends RecordType>(type: T, answers: dnsPacket.Answer[], owner: string): RecordMap[T] {
  const own = answers.filter((a) => a.type === type && normalizeHost(a.name) === owner);
  const converted = own.map((a): unknown => {
    switch (a.type) {
      case 'MX':
        return { preference: a.data.preference ?? 0, exchange: normalizeHost(a.data.exchange) };
      // RFC 7208 3.3: character-strings of one record are concatenated with no separator.
      case 'TXT':
        return Buffer.concat((Array.isArray(a.data) ? a.data : [a.data]).map((d) => Buffer.from(d))).toString('utf8');
      case 'TLSA':
        return { usage: a.data.usage, selector: a.data.selector, matchingType: a.data.matchingType, data: a.data.certificate.toString('hex') };
      case 'CNAME':
        return normalizeHost(a.data);
      case 'CAA':
        return { flags: a.data.flags ?? 0, tag: String(a.data.tag).toLowerCase(), value: String(a.data.value) };
      case 'A':
      case 'AAAA':
        return a.data;
      default:
        return undefined; // unreachable: own holds only records of `type`
    }
  });
  return converted as RecordMap[T];
}

function dnssecState(packet: dnsPacket.DecodedPacket, before: DnssecState | undefined): DnssecState {
  const sections = [...(packet.answers ?? []), ...(packet.authorities ?? [])];
  return {
    authenticated: (before?.authenticated ?? true) && packet.flag_ad === true,
    signed: sections.some((record) => SIGNATURE_TYPES.has(record.type)),
  };
}

type ServerReply = { ok: true; packet: dnsPacket.DecodedPacket; server: string } | { ok: false; failure: LookupFailure; message: string; server: string };

export function createResolver(options: ResolverOptions = {}): Resolver {
  if (options === null || typeof options !== 'object') throw new TypeError('dns: options must be an object');
  let specs = options.servers;
  if (specs === undefined) specs = systemServers();
  else if (!Array.isArray(specs) || specs.length === 0) throw new TypeError('dns.servers: must be a non-empty list of IP or IP:port strings');
  const servers: ServerAddress[] = specs.map((spec, i) => {
    try {
      const parsed = parseServer(spec);
      return { ...parsed, family: isIPv6(parsed.host) ? 6 : 4 };
    } catch (err) {
      throw new TypeError(`dns.servers[${i}]: ${(err as Error).message}`, { cause: err });
    }
  });
  const timeoutMs = integerOption(options.timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1, 2000);
  const retries = integerOption(options.retries, 'retries', 0, 5, 1);
  const maxCnameDepth = integerOption(options.maxCnameDepth, 'maxCnameDepth', 1, 16, 8);

  /** One question to one server: retries cover lost packets, not answers. */
  async function askServer(server: ServerAddress, name: string, type: RecordType, deadline: number): Promise<ServerReply> {
    let last: TransportOutcome = { kind: 'timeout' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      const budget = Math.min(timeoutMs, deadline - Date.now());
      if (budget <= 0) break;
      const id = randomInt(0, 65536);
      const query = dnsPacket.encode({
        type: 'query',
        id,
        // AD in a query asks the resolver to say whether it validated the answer (RFC 6840 5.7).
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
        questions: [{ type, name, class: 'IN' }],
        additionals: [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: EDNS_UDP_PAYLOAD,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: DNSSEC_TYPES.has(type) ? DNSSEC_OK : 0,
            flag_do: DNSSEC_TYPES.has(type),
            options: [],
          },
        ],
      });
      const accept = (p: dnsPacket.DecodedPacket): boolean => {
        const q = p.questions?.[0];
        return (
          p.type === 'response' &&
          p.id === id &&
          p.questions?.length === 1 &&
          q !== undefined &&
          normalizeHost(q.name) === name &&
          q.type === type &&
          (q.class ?? 'IN') === 'IN'
        );
      };
      last = await queryUdp(server, query, accept, budget);
      if (last.kind === 'answer' && last.packet.flag_tc) {
        // The TCP retry draws on the whole query's budget so one slow fallback
        // cannot push the lookup past servers x (retries+1) x timeoutMs.
        last = await queryTcp(server, query, accept, Math.max(1, Math.min(timeoutMs, deadline - Date.now())));
      }
      if (last.kind === 'answer' || last.kind === 'unreachable') break;
    }
    const label = server.label;
    switch (last.kind) {
      case 'timeout':
        return { ok: false, failure: 'timeout', server: label, message: `resolver ${label} did not answer within ${formatDuration(timeoutMs)}` };
      case 'malformed':
        return { ok: false, failure: 'malformed', server: label, message: `resolver ${label} sent an answer that could not be decoded` };
      case 'unreachable':
        return { ok: false, failure: 'error', server: label, message: `resolver ${label} could not be queried: ${last.reason}` };
    }
    const rcode = (last.packet.flags ?? 0) & 0xf;
    if (rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN) return { ok: true, packet: last.packet, server: label };
    const failure: LookupFailure = rcode === RCODE.SERVFAIL ? 'servfail' : rcode === RCODE.REFUSED ? 'refused' : 'error';
    const rcodeName = (last.packet as { rcode?: string }).rcode ?? `RCODE ${rcode}`;
    return { ok: false, failure, server: label, message: `resolver ${label} answered ${rcodeName} for ${name} ${type}` };
  }

  /** Asks each server in turn until one gives a definite NOERROR/NXDOMAIN. */
  async function ask(name: string, type: RecordType): Promise<ServerReply> {
    const deadline = Date.now() + servers.length * (retries + 1) * timeoutMs;
    let reply: ServerReply | undefined;
    for (const server of servers) {
      reply = await askServer(server, name, type, deadline);
      if (reply.ok) break;
    }
    return reply!;
  }

  async function lookup<T extends RecordType>(rawName: string, type: T): Promise<LookupResult<T>> {
    const name = typeof rawName === 'string' ? normalizeHost(rawName) : '';
    const cnames: string[] = [];
    // Over a CNAME chain: authenticated only if every answer was, signed as the last one says.
    let dnssec: DnssecState | undefined;
    const fail = (failure: LookupFailure, message: string, server?: string): LookupResult<T> => ({
      ok: false,
      name,
      type,
      failure,
      message,
      cnames: [...cnames],
      ...(server ? { server } : {}),
      ...(dnssec ? { dnssec } : {}),
    });
    try {
      if (!RECORD_TYPES.includes(type)) return fail('error', `${JSON.stringify(type)} is not a supported record type`);
      if (!isValidName(name)) return fail('error', `${JSON.stringify(rawName)} is not a valid domain name`);
      let current = name;
      for (;;) {
        const reply = await ask(current, type);
        if (!reply.ok) return fail(reply.failure, reply.message, reply.server);
        const answers = reply.packet.answers ?? [];
        const queried = current;
        if (DNSSEC_TYPES.has(type)) dnssec = dnssecState(reply.packet, dnssec);
        if (type !== 'CNAME') {
          // Follow the chain as far as this answer section carries it.
          for (let target = extract('CNAME', answers, current)[0]; target; target = extract('CNAME', answers, current)[0]) {
            if (target === name || cnames.includes(target)) return fail('error', `CNAME loop: ${[name, ...cnames, target].join(' -> ')}`, reply.server);
            if (cnames.length >= maxCnameDepth) return fail('error', `CNAME chain from ${name} is longer than ${maxCnameDepth} steps`, reply.server);
            cnames.push(target);
            current = target;
          }
        }
        const records = extract(type, answers, current);
        if (records.length > 0) return { ok: true, name, type, records, cnames: [...cnames], server: reply.server, ...(dnssec ? { dnssec } : {}) };
        const where = current === name ? name : `${current} (CNAME target of ${name})`;
        if (((reply.packet.flags ?? 0) & 0xf) === RCODE.NXDOMAIN) return fail('nxdomain', `${where} does not exist (NXDOMAIN)`, reply.server);
        // A new chain end without its records: a non-recursive server stopped at the alias.
        if (current !== queried) continue;
        return fail('nodata', `${where} has no ${type} records`, reply.server);
      }
    } catch (err) {
      return fail('error', `lookup of ${name} ${type} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  return { servers: servers.map((s) => s.label), timeoutMs, lookup };
}

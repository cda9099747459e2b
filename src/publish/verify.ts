// Verification after an update: each authoritative name server of a record's zone (its NS records,
// each host's addresses) is asked directly, without recursion, until all serve the record as
// wanted or the deadline passes. Answers from outside are bounded (servers per zone, questions at
// once, the time) and taken only when authoritative. The verdict is ./verdict.ts's.
import { randomInt } from 'node:crypto';
import { isIP, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { createResolver } from '../dns';
import { parseServer } from '../dns/resolver';
import { queryTcp, queryUdp, type ServerAddress } from '../dns/transport';
import { zoneAmong } from './contract';
import type { ManagedRecord } from './plan';
import { serves, verdict, type ServerAnswer, type Verdict } from './verdict';

export interface VerifyOptions {
  /** Resolvers (`ip[:port]`) asked for each zone, its NS records and their addresses; default: the system's (/etc/resolv.conf). */
  resolvers?: readonly string[];
  /** The zones, as --dns-zones names them; else each name's zone is found by its SOA. */
  zones?: readonly string[];
  /**
   * Name server host → `ip[:port]` to ask it at, instead of its A/AAAA records on port 53: for a
   * test set-up on loopback, or name servers reached at other addresses from this host.
   */
  nameServers?: Readonly<Record<string, string>>;
  /** The whole time, finding the name servers included: asking again until every server serves the record stops then (default 10 s). */
  deadlineMs?: number;
  /** Ask each server once, do not wait for the record to arrive (the API's live state). */
  once?: boolean;
  /** One question's time (default 2 s). */
  timeoutMs?: number;
  /** Addresses asked per zone at most (default 8). */
  maxServers?: number;
  /** The pause between two rounds (default 250 ms). */
  intervalMs?: number;
}

export interface Verification extends Verdict {
  name: string;
  type: 'TXT';
  wanted: string | null;
  answers: ServerAnswer[];
  /** When the last answers came, ISO 8601. */
  checkedAt: string;
}

type Reply = { ok: true; packet: dnsPacket.DecodedPacket & { rcode?: string } } | { ok: false; error: string };

const CONCURRENCY = 16;
const HOST = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function address(spec: string): ServerAddress {
  const parsed = parseServer(spec);
  return { ...parsed, family: isIPv6(parsed.host) ? 6 : 4 };
}

/** One question's time: at most `timeoutMs`, and never past the deadline. */
type Budget = () => number;

/** One question to one server; recursion desired only when asking a resolver. Over TCP when the answer is truncated. */
async function ask(server: ServerAddress, name: string, type: 'TXT' | 'SOA' | 'NS' | 'A' | 'AAAA', recursion: boolean, budget: Budget): Promise<Reply> {
  const timeoutMs = budget();
  if (timeoutMs <= 0) return { ok: false, error: 'was not asked: the time for the check ran out' };
  const id = randomInt(0, 65536);
  const query = dnsPacket.encode({ type: 'query', id, flags: recursion ? dnsPacket.RECURSION_DESIRED : 0, questions: [{ type, name, class: 'IN' }] });
  const accept = (p: dnsPacket.DecodedPacket) =>
    p.type === 'response' && p.id === id && p.questions?.length === 1 && bare(p.questions[0].name) === bare(name) && p.questions[0].type === type;
  let outcome = await queryUdp(server, query, accept, timeoutMs);
  if (outcome.kind === 'answer' && outcome.packet.flag_tc) outcome = await queryTcp(server, query, accept, Math.max(1, budget()));
  if (outcome.kind === 'answer') return { ok: true, packet: outcome.packet };
  if (outcome.kind === 'unreachable') return { ok: false, error: `cannot be asked: ${outcome.reason}` };
  return { ok: false, error: outcome.kind === 'timeout' ? `did not answer within ${timeoutMs} ms` : 'sent an answer that could not be decoded' };
}

/** Asks the resolvers in turn until one answers NOERROR or NXDOMAIN. */
async function resolve(resolvers: ServerAddress[], name: string, type: 'SOA' | 'NS' | 'A' | 'AAAA', budget: Budget): Promise<Reply> {
  let last: Reply = { ok: false, error: 'no resolver' };
  for (const server of resolvers) {
    last = await ask(server, name, type, true, budget);
    if (last.ok && (last.packet.rcode === 'NOERROR' || last.packet.rcode === 'NXDOMAIN')) return last;
    if (last.ok) last = { ok: false, error: `answered ${last.packet.rcode ?? 'an error'}` };
  }
  return last;
}

/** One authoritative name server to ask: its host name and one of its addresses. */
interface NameServer {
  server: string;
  at: ServerAddress;
}

/** The zone's authoritative servers, at most `max` addresses, or why none was found. */
async function nameServersOf(zone: string, resolvers: ServerAddress[], budget: Budget, options: Required<Pick<VerifyOptions, 'maxServers'>> & VerifyOptions) {
  const reply = await resolve(resolvers, zone, 'NS', budget);
  if (!reply.ok) return `the NS records of ${zone} could not be read: ${reply.error}`;
  const hosts = [
    ...new Set(
      (reply.packet.answers ?? [])
        .filter((r) => r.type === 'NS' && bare(r.name) === zone && typeof r.data === 'string')
        .map((r) => bare((r as dnsPacket.StringAnswer).data))
        .filter((host) => HOST.test(host)),
    ),
  ]
    .sort()
    .slice(0, options.maxServers);
  if (hosts.length === 0) return `${zone} has no NS records`;
  const found: NameServer[] = [];
  const mapped = new Map(Object.entries(options.nameServers ?? {}).map(([host, spec]) => [bare(host), spec]));
  for (const host of hosts) {
    const spec = mapped.get(host);
    if (spec !== undefined) {
      found.push({ server: host, at: address(spec) });
      continue;
    }
    for (const type of ['A', 'AAAA'] as const) {
      const addresses = await resolve(resolvers, host, type, budget);
      if (!addresses.ok) continue;
      for (const r of addresses.packet.answers ?? [])
        if (r.type === type && typeof r.data === 'string' && isIP(r.data) !== 0)
          found.push({ server: host, at: address(type === 'A' ? r.data : `[${r.data}]`) });
    }
  }
  return found.length === 0 ? `no address of ${hosts.join(', ')} could be resolved` : found.slice(0, options.maxServers);
}

/** The zone of `name`: from `zones`, else the owner of the SOA the resolvers answer with. */
async function zoneOf(name: string, resolvers: ServerAddress[], zones: readonly string[] | undefined, budget: Budget): Promise<string | null> {
  if (zones && zones.length > 0) return zoneAmong(name, zones);
  const reply = await resolve(resolvers, name, 'SOA', budget);
  if (!reply.ok) return null;
  const soa = [...(reply.packet.answers ?? []), ...(reply.packet.authorities ?? [])].find((r) => r.type === 'SOA');
  return soa && HOST.test(bare(soa.name)) && (bare(name) === bare(soa.name) || bare(name).endsWith(`.${bare(soa.name)}`)) ? bare(soa.name) : null;
}

/** What one name server serves at `name` (TXT strings joined), taken only from an authoritative answer. */
async function serverAnswer(ns: NameServer, name: string, budget: Budget): Promise<ServerAnswer> {
  const base = { server: ns.server, address: ns.at.label };
  const reply = await ask(ns.at, name, 'TXT', false, budget);
  if (!reply.ok) return { ...base, records: null, error: reply.error };
  const { packet } = reply;
  if (packet.rcode !== 'NOERROR' && packet.rcode !== 'NXDOMAIN') return { ...base, records: null, error: `answered ${packet.rcode ?? 'an error'}` };
  if (!packet.flag_aa) return { ...base, records: null, error: 'answered without authority for the zone' };
  const records = (packet.answers ?? [])
    .filter((r) => r.type === 'TXT' && bare(r.name) === bare(name))
    .slice(0, 64)
    .map((r) => {
      const data = (r as dnsPacket.TxtAnswer).data;
      return Buffer.concat((Array.isArray(data) ? data : [data]).map((part) => Buffer.from(part))).toString('utf8');
    });
  return { ...base, records };
}

/** Runs `work` over `items`, a few at a time. */
async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** Asks every authoritative server of each record's zone until all serve it as wanted or the deadline passes. */
export async function verifyRecords(
  records: ReadonlyArray<Pick<ManagedRecord, 'name' | 'tag' | 'wanted'>>,
  options: VerifyOptions = {},
): Promise<Verification[]> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxServers = options.maxServers ?? 8;
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  const budget: Budget = () => Math.min(timeoutMs, deadline - Date.now());
  // A host's resolver may name its servers otherwise than ip[:port]: those are skipped.
  const specs = options.resolvers && options.resolvers.length > 0 ? options.resolvers : createResolver().servers;
  const resolvers = specs.flatMap((spec) => {
    try {
      return [address(spec)];
    } catch {
      return [];
    }
  });
  const zones = new Map<string, Promise<NameServer[] | string>>();
  const serversOf = async (name: string): Promise<NameServer[] | string> => {
    const zone = await zoneOf(name, resolvers, options.zones, budget);
    if (zone === null) return `the zone of ${name} could not be found`;
    if (!zones.has(zone)) zones.set(zone, nameServersOf(zone, resolvers, budget, { ...options, maxServers }));
    return zones.get(zone)!;
  };
  const servers: Array<NameServer[] | string> = [];
  for (const record of records) servers.push(await serversOf(bare(record.name)));
  const answers = records.map(() => new Map<NameServer, ServerAnswer>());
  const checkedAt: string[] = records.map(() => new Date().toISOString());
  for (;;) {
    const pending: Array<[number, NameServer]> = [];
    records.forEach((record, i) => {
      const list = servers[i];
      if (typeof list === 'string') return;
      for (const ns of list) {
        const answer = answers[i].get(ns);
        if (answer?.records == null || !serves(record, answer.records)) pending.push([i, ns]);
      }
    });
    if (pending.length === 0) break;
    await eachLimited(pending, async ([i, ns]) => {
      answers[i].set(ns, await serverAnswer(ns, records[i].name, () => Math.max(1, budget())));
      checkedAt[i] = new Date().toISOString();
    });
    if (options.once === true || Date.now() + (options.intervalMs ?? 250) >= deadline) break;
    const settled = pending.every(([i, ns]) => answers[i].get(ns)?.records != null && serves(records[i], answers[i].get(ns)!.records!));
    if (settled) break;
    await sleep(options.intervalMs ?? 250);
  }
  return records.map((record, i) => {
    const list = servers[i];
    const found = typeof list === 'string' ? [] : list.map((ns) => answers[i].get(ns)!);
    const result = verdict(record, found);
    return {
      name: bare(record.name),
      type: 'TXT' as const,
      wanted: record.wanted,
      answers: found,
      checkedAt: checkedAt[i],
      ...result,
      summary: typeof list === 'string' ? list : result.summary,
    };
  });
}

// Loopback DNS for the DNS figures, in a process of its own. Two engines:
//   test:    the tests' server (test/support/dns-server.ts), with its per-answer delay and its
//            'drop' fault (figure 3);
//   indexed: a minimal authoritative UDP responder with the zone in a hash map (figure 4's 1,000
//            domains: the tests' server scans its whole zone for every query, which would make the
//            figure measure the test server rather than the library).
// IPC: `delay` (ms per answer), `fault` ('drop' or null), `queries` (count and CPU time).
import * as dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { startDnsServer, type ZoneRecord } from '../../test/support/dns-server';
import { MAIL_HOSTNAME, POLICY_ID, domainNames } from '../lib/data';
import { childConfig, cpuUs, failChild, serveUntilStopped, tell } from '../lib/util';

export interface DnsConfig {
  /** How many host domains the zone answers for (example.org, d1.example, ...). */
  domains: number;
  engine: 'test' | 'indexed';
}

/** Everything the DNS Check asks about a domain that has published MTA-STS correctly. */
export function zoneFor(domain: string): ZoneRecord[] {
  return [
    { name: `_mta-sts.${domain}`, type: 'TXT', data: `v=STSv1; id=${POLICY_ID}` },
    { name: domain, type: 'TXT', data: 'v=spf1 mx -all' },
    { name: `mta-sts.${domain}`, type: 'CNAME', data: MAIL_HOSTNAME },
    { name: domain, type: 'MX', data: { preference: 10, exchange: MAIL_HOSTNAME } },
    { name: `_smtp._tls.${domain}`, type: 'TXT', data: `v=TLSRPTv1; rua=mailto:tls-reports@${domain}` },
  ];
}

interface Engine {
  address: string;
  setDelay(ms: number): void;
  setFault(fault: 'drop' | null): void;
  queries(): number;
  close(): Promise<void>;
}

async function indexed(zone: ZoneRecord[]): Promise<Engine> {
  const byName = new Map<string, ZoneRecord[]>();
  for (const record of zone) {
    const name = record.name.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), record]);
  }
  const answer = (r: ZoneRecord): dnsPacket.Answer => {
    const data: unknown = r.data; // handed to dns-packet as it is; a list is copied per answer
    return { name: r.name, type: r.type, class: 'IN', ttl: 300, data: Array.isArray(data) ? [...(data as unknown[])] : data } as dnsPacket.Answer;
  };
  const socket = dgram.createSocket('udp4');
  let count = 0;
  let drop = false;
  socket.on('error', () => {});
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    count += 1;
    if (drop) return;
    const owned = byName.get(question.name.toLowerCase().replace(/\.$/, '')) ?? [];
    const alias = owned.find((r) => r.type === 'CNAME');
    let answers: ZoneRecord[];
    if (alias && question.type !== 'CNAME') answers = [alias, ...(byName.get(String(alias.data)) ?? []).filter((r) => r.type === question.type)];
    else answers = owned.filter((r) => r.type === question.type);
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (owned.length === 0 ? 3 : 0),
      questions: [question],
      answers: answers.map(answer),
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    setDelay: () => {
      throw new Error('the indexed engine has no delay');
    },
    setFault: (fault) => {
      drop = fault === 'drop';
    },
    queries: () => count,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

async function testServer(zone: ZoneRecord[]): Promise<Engine> {
  const server = await startDnsServer();
  server.setZone(zone);
  return {
    address: server.address,
    setDelay: (ms) => server.setDelay(ms),
    setFault: (fault) => server.setFault(fault),
    queries: () => server.queries.length,
    close: () => server.close(),
  };
}

async function main(): Promise<void> {
  const config = childConfig<DnsConfig>();
  const zone: ZoneRecord[] = [
    { name: MAIL_HOSTNAME, type: 'A', data: '127.0.0.1' },
    { name: MAIL_HOSTNAME, type: 'AAAA', data: '::1' },
    { name: `_25._tcp.${MAIL_HOSTNAME}`, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } },
  ];
  for (const domain of domainNames(config.domains)) zone.push(...zoneFor(domain));
  const engine = config.engine === 'indexed' ? await indexed(zone) : await testServer(zone);
  serveUntilStopped(() => engine.close(), {
    delay: (m) => {
      engine.setDelay(Number(m.ms));
      tell({ type: 'done' });
    },
    fault: (m) => {
      engine.setFault(m.fault === 'drop' ? 'drop' : null);
      tell({ type: 'done' });
    },
    queries: () => tell({ type: 'queries', count: engine.queries(), cpuUs: cpuUs() }),
  });
  tell({ type: 'ready', address: engine.address });
}

main().catch(failChild);

// The RFC 2136 provider: DNS UPDATE messages signed with TSIG (./tsig.ts) to one primary server,
// over TCP, and reads by direct queries to the same server. A replacement is "delete the RRset,
// add each record" in one message, which the server applies atomically; a batch is one message per
// zone. The zone of a name comes from --dns-zones, else from the SOA the server answers with.
import { randomInt } from 'node:crypto';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { PublishError, txtChunks, zoneAmong, type DnsPublisher, type PublishedType, type Replacement } from './contract';
import { signMessage, verifyResponse, type TsigKey } from './tsig';

export interface Rfc2136Options {
  host: string;
  port: number;
  key: TsigKey;
  /** The zones to update; else each name's zone is asked of the server (SOA). */
  zones?: readonly string[];
  timeoutMs?: number;
}

const OPCODE_UPDATE = 5 << 11;
/** dns-packet decodes the rcode's name too, without typing it. */
type Decoded = dnsPacket.DecodedPacket & { rcode?: string };
/** Replacements per UPDATE message: keeps a message well under TCP's 64 KiB frame. */
const PER_MESSAGE = 100;

/** One framed exchange over TCP (RFC 1035 4.2.2): the raw answer with our id, for the TSIG check. */
function exchange(host: string, port: number, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let pending = Buffer.alloc(0);
    const fail = (reason: string) => {
      socket.destroy();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`${host}:${port} did not answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(
        err.code === 'ECONNREFUSED'
          ? `${host}:${port} refused the connection`
          : err.code === 'ECONNRESET'
            ? `${host}:${port} reset the connection`
            : `${host}:${port}: ${err.message}`,
      );
    });
    // A close before the answer: said now, not after the timeout (a settled promise ignores it).
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${host}:${port} closed the connection without answering`));
    });
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message])));
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length > 2 + 65535) return fail(`${host}:${port} sent too much`);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      clearTimeout(timer);
      const answer = pending.subarray(2, 2 + pending.readUInt16BE(0));
      socket.destroy();
      if (answer.length < 12 || answer.readUInt16BE(0) !== message.readUInt16BE(0)) reject(new Error(`${host}:${port} answered another message`));
      else resolve(answer);
    });
  });
}

/** Why the server refused an update, in words a person can act on. */
function refusal(rcode: string, tsig: string | null, key: TsigKey): { reason: string; transient: boolean } {
  if (tsig === 'BADSIG')
    return {
      reason: `the server refused the TSIG signature of key "${key.name}" (NOTAUTH, BADSIG): MTA_STS_TSIG_KEY's secret or algorithm differs from the server's`,
      transient: false,
    };
  if (tsig === 'BADKEY')
    return { reason: `the server does not know the TSIG key "${key.name}" (NOTAUTH, BADKEY): check the key name in MTA_STS_TSIG_KEY`, transient: false };
  if (tsig === 'BADTIME')
    return {
      reason: 'the server refused the signature time (BADTIME): the clocks of this host and the server differ by more than 5 minutes',
      transient: false,
    };
  if (rcode === 'REFUSED')
    // PowerDNS answers a wrong secret with REFUSED too (BIND says BADSIG): the reason names both.
    return {
      reason: `the server refused the update (REFUSED): key "${key.name}" may not update this name, its secret differs from the server's, or the zone takes no updates`,
      transient: false,
    };
  if (rcode === 'NOTAUTH') return { reason: 'the server is not authoritative for the zone (NOTAUTH): name its primary in --dns-update', transient: false };
  if (rcode === 'NOTZONE') return { reason: 'the name is outside the zone (NOTZONE): check --dns-zones', transient: false };
  if (rcode === 'SERVFAIL') return { reason: 'the server failed to apply the update (SERVFAIL)', transient: true };
  if (tsig !== null) return { reason: `the server's answer could not be trusted: ${tsig}`, transient: false };
  return { reason: `the server answered ${rcode}`, transient: false };
}

export function rfc2136Publisher(options: Rfc2136Options): DnsPublisher {
  const { host, port, key } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const zoneCache = new Map<string, Promise<string>>();

  const query = async (name: string, type: 'TXT' | 'SOA'): Promise<Decoded> => {
    const message = dnsPacket.encode({ id: randomInt(0, 65536), type: 'query', flags: 0, questions: [{ name, type, class: 'IN' }] });
    return dnsPacket.decode(await exchange(host, port, message, timeoutMs));
  };

  /** The zone holding `name`: from --dns-zones, else the owner of the SOA the server answers with (answer or authority). */
  const zoneOf = (name: string): Promise<string> => {
    if (options.zones && options.zones.length > 0) {
      const zone = zoneAmong(name, options.zones);
      if (zone === null) return Promise.reject(new PublishError(name, `no zone of --dns-zones (${options.zones.join(', ')}) holds this name`, false, 'name'));
      return Promise.resolve(zone);
    }
    const cached = zoneCache.get(name);
    if (cached) return cached;
    const found = (async () => {
      let answer: Decoded;
      try {
        answer = await query(name, 'SOA');
      } catch (err) {
        throw new PublishError(name, `its zone could not be found: ${(err as Error).message}`, true, 'name');
      }
      const soa = [...(answer.answers ?? []), ...(answer.authorities ?? [])].find((r) => r.type === 'SOA');
      if (!soa || answer.rcode === 'REFUSED')
        throw new PublishError(
          name,
          `${host}:${port} serves no zone holding this name (${answer.rcode ?? 'no SOA'}): name the zone with --dns-zones or the primary in --dns-update`,
          false,
        );
      return soa.name.toLowerCase().replace(/\.$/, '');
    })();
    zoneCache.set(name, found);
    found.catch(() => zoneCache.delete(name));
    return found;
  };

  const send = async (zone: string, replacements: Replacement[]): Promise<void> => {
    const updates: dnsPacket.Answer[] = [];
    for (const r of replacements) {
      // Class ANY with empty data deletes the whole RRset (RFC 2136 2.5.2); class IN adds one record.
      updates.push({ name: r.name, type: r.type, class: 'ANY', ttl: 0, data: [] } as unknown as dnsPacket.Answer);
      for (const text of r.records) updates.push({ name: r.name, type: 'TXT', class: 'IN', ttl: r.ttl, data: txtChunks(text) });
    }
    const message = dnsPacket.encode({
      id: randomInt(0, 65536),
      type: 'query',
      flags: OPCODE_UPDATE,
      questions: [{ name: zone, type: 'SOA', class: 'IN' }],
      authorities: updates,
    });
    const { signed, mac } = signMessage(message, key);
    let raw: Buffer;
    try {
      raw = await exchange(host, port, signed, timeoutMs);
    } catch (err) {
      throw new PublishError(zone, `the update did not reach the server: ${(err as Error).message}`, true);
    }
    const rcode = (dnsPacket.decode(raw) as Decoded).rcode ?? 'NOERROR';
    const tsig = verifyResponse(raw, key, mac);
    if (rcode === 'NOERROR' && tsig === null) return;
    const { reason, transient } = refusal(rcode === 'NOERROR' ? 'an unverified NOERROR' : rcode, tsig, key);
    throw new PublishError(zone, reason, transient);
  };

  return {
    async read(name: string, type: PublishedType) {
      try {
        const answer = await query(name, type);
        if (answer.rcode === 'NXDOMAIN') return [];
        if (answer.rcode !== 'NOERROR' || !answer.flag_aa) return 'unknown';
        const wanted = name.toLowerCase().replace(/\.$/, '');
        return (answer.answers ?? [])
          .filter((r) => r.type === 'TXT' && r.name.toLowerCase() === wanted)
          .map((r) => Buffer.concat(((r as dnsPacket.TxtAnswer).data as Buffer[]).map((part) => Buffer.from(part))).toString('utf8'));
      } catch {
        return 'unknown';
      }
    },
    async replace(name, type, ttl, records) {
      await send(await zoneOf(name), [{ name, type, ttl, records }]);
    },
    async batch(replacements) {
      const byZone = new Map<string, Replacement[]>();
      for (const r of replacements) {
        const zone = await zoneOf(r.name);
        byZone.set(zone, [...(byZone.get(zone) ?? []), r]);
      }
      for (const [zone, list] of byZone) {
        for (let i = 0; i < list.length; i += PER_MESSAGE) await send(zone, list.slice(i, i + PER_MESSAGE));
      }
    },
    async zoneOf(name) {
      if (options.zones && options.zones.length > 0) return zoneAmong(name, options.zones);
      // Only an authoritative SOA says the server holds the zone: a server that refuses, or
      // answers from a cache, does not take updates for it.
      let answer: Decoded;
      try {
        answer = await query(name, 'SOA');
      } catch (err) {
        throw new PublishError(name, `its zone could not be found: ${(err as Error).message}`, true);
      }
      if (answer.rcode === 'REFUSED' || answer.rcode === 'NOTAUTH' || !answer.flag_aa) return null;
      if (answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN')
        throw new PublishError(name, `its zone could not be found: ${host}:${port} answered ${answer.rcode ?? 'an error'}`, true);
      const soa = [...(answer.answers ?? []), ...(answer.authorities ?? [])].find((r) => r.type === 'SOA');
      return soa ? soa.name.toLowerCase().replace(/\.$/, '') : null;
    },
  };
}

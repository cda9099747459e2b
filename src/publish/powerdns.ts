// The PowerDNS provider: its HTTP API (`/api/v1/servers/localhost/zones/<zone>`), GET to read a
// zone's sets and PATCH with `changetype: REPLACE` (or DELETE for an empty set) to write them, the
// key in X-API-Key. A batch is one PATCH per zone. The zone of a name comes from --dns-zones, else
// from the zones the server lists.
import { PublishError, txtChunks, zoneAmong, type DnsPublisher, type PublishedType, type Replacement } from './contract';

export interface PowerDnsOptions {
  /** `http://host:port` or `https://host[:port]`, without a path. */
  baseUrl: string;
  apiKey: string;
  zones?: readonly string[];
  timeoutMs?: number;
}

interface RRset {
  name: string;
  type: string;
  records?: Array<{ content: string; disabled?: boolean }>;
}

/** A TXT string as PowerDNS's content: quoted character-strings of at most 255 bytes, `"` and `\` escaped. */
export function txtContent(text: string): string {
  return txtChunks(text)
    .map((chunk) => `"${chunk.toString('utf8').replace(/[\\"]/g, (c) => `\\${c}`)}"`)
    .join(' ');
}

/** PowerDNS's content back to the string: the character-strings unquoted (`\"`, `\\`, `\DDD`) and joined. */
export function parseTxtContent(content: string): string {
  const bytes: number[] = [];
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && /\s/.test(c)) continue;
    else if (c === '\\' && /^\d{3}$/.test(content.slice(i + 1, i + 4))) {
      bytes.push(Number(content.slice(i + 1, i + 4)));
      i += 3;
    } else if (c === '\\' && i + 1 < content.length) {
      i += 1;
      bytes.push(...Buffer.from(content[i], 'utf8'));
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

export function powerDnsPublisher(options: PowerDnsOptions): DnsPublisher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let listed: Promise<string[]> | null = null;

  const call = async (zone: string, method: 'GET' | 'PATCH', path: string, body?: unknown, subject: 'zone' | 'name' = 'zone'): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}/api/v1/servers/localhost/zones${path}`, {
        method,
        headers: { 'X-API-Key': options.apiKey, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new PublishError(zone, `the PowerDNS API at ${options.baseUrl} cannot be reached (${cause ?? (err as Error).name})`, true, subject);
    }
    const text = (await response.text()).slice(0, 64 * 1024);
    if (response.ok) return text === '' ? null : (JSON.parse(text) as unknown);
    // PowerDNS says what it rejected in {"error": "..."}; a line of it, never the key we sent.
    let detail = '';
    try {
      const error = (JSON.parse(text) as { error?: unknown }).error;
      if (typeof error === 'string') detail = error.slice(0, 200);
    } catch {
      // Not JSON: the status alone says it.
    }
    const status = response.status;
    if (status === 401 || status === 403)
      throw new PublishError(zone, `the PowerDNS API refused the key (HTTP ${status}): MTA_STS_PDNS_API_KEY must be the server's api-key`, false, subject);
    if (status === 404) throw new PublishError(zone, `PowerDNS has no such zone (HTTP 404)${detail ? `: ${detail}` : ''}: check --dns-zones`, false);
    if (status === 422) throw new PublishError(zone, `PowerDNS rejected the change (HTTP 422)${detail ? `: ${detail}` : ''}`, false);
    throw new PublishError(zone, `the PowerDNS API answered HTTP ${status}${detail ? `: ${detail}` : ''}`, status >= 500, subject);
  };

  /** The zone of --dns-zones, else of the zones the server lists, holding `name`; null when none does. */
  const held = async (name: string): Promise<string | null> => {
    if (options.zones && options.zones.length > 0) return zoneAmong(name, options.zones);
    listed ??= (call(name, 'GET', '', undefined, 'name') as Promise<Array<{ name: string }>>).then((zones) => zones.map((z) => z.name));
    listed.catch(() => (listed = null));
    return zoneAmong(name, await listed);
  };

  const zoneOf = async (name: string): Promise<string> => {
    const zone = await held(name);
    if (zone !== null) return zone;
    if (options.zones && options.zones.length > 0)
      throw new PublishError(name, `no zone of --dns-zones (${options.zones.join(', ')}) holds this name`, false, 'name');
    throw new PublishError(name, `PowerDNS at ${options.baseUrl} holds no zone for this name: create it, or name it with --dns-zones`, false, 'name');
  };

  const patch = (zone: string, replacements: Replacement[]) =>
    call(zone, 'PATCH', `/${encodeURIComponent(fqdn(zone))}`, {
      rrsets: replacements.map((r) =>
        r.records.length === 0
          ? { name: fqdn(r.name), type: r.type, changetype: 'DELETE' }
          : {
              name: fqdn(r.name),
              type: r.type,
              ttl: r.ttl,
              changetype: 'REPLACE',
              records: r.records.map((text) => ({ content: txtContent(text), disabled: false })),
            },
      ),
    });

  return {
    async read(name: string, type: PublishedType) {
      try {
        const zone = await zoneOf(name);
        // rrset_name/rrset_type narrow the answer on PowerDNS 4.8 and later; older ones send the whole zone.
        const query = `?rrset_name=${encodeURIComponent(fqdn(name))}&rrset_type=${type}`;
        const body = (await call(zone, 'GET', `/${encodeURIComponent(fqdn(zone))}${query}`)) as { rrsets?: RRset[] };
        const set = (body.rrsets ?? []).find((r) => r.name.toLowerCase() === fqdn(name) && r.type === type);
        return (set?.records ?? []).filter((r) => r.disabled !== true).map((r) => parseTxtContent(r.content));
      } catch {
        return 'unknown';
      }
    },
    async replace(name, type, ttl, records) {
      await patch(await zoneOf(name), [{ name, type, ttl, records }]);
    },
    async batch(replacements) {
      const byZone = new Map<string, Replacement[]>();
      for (const r of replacements) {
        const zone = await zoneOf(r.name);
        byZone.set(zone, [...(byZone.get(zone) ?? []), r]);
      }
      for (const [zone, list] of byZone) await patch(zone, list);
    },
    zoneOf: held,
  };
}

// The `dnsPublisher` option: where the product publishes its DNS records, given as the URL the
// command's --dns-update takes (its secrets in fields of their own, never in the URL), or as a
// provider object of the host's own implementing the contract of src/publish/contract.ts. Checked
// when createMtaSts is called; the secrets stay inside the provider and never reach a log.
import { ConfigError } from '../config/errors';
import { delegationSettings, nameServerMap, publishTarget, zoneNames } from '../config/publish-settings';
import type { Delegation } from '../policy';
import { publisherFor, type DnsPublisher } from '../publish';

export interface DnsPublisherSettings {
  /** As --dns-update: `rfc2136://<server>[:<port>]`, `pdns+http://<host>:<port>` or `pdns+https://<host>[:<port>]`. */
  url?: string;
  /** A provider object instead of `url`: read, replace and optionally batch (src/publish/contract.ts). */
  provider?: DnsPublisher;
  /** For `rfc2136://`: `<algorithm>:<key name>:<base64 secret>`. */
  tsigKey?: string;
  /** For `pdns+http(s)://`: the PowerDNS server's api-key. */
  pdnsApiKey?: string;
  /** The zones to update; default: each name's zone, found by its SOA. */
  zones?: string[];
  /** Name server host → `ip[:port]` to ask it at instead of its A/AAAA records on port 53 (a test set-up, another view). */
  nameServers?: Record<string, string>;
}

export interface DnsPublisherOptions {
  /**
   * Where the `_mta-sts` and `_smtp._tls` TXT records are published: `{ url, tsigKey }` or
   * `{ url, pdnsApiKey }`, or a provider object (`read`, `replace`, optional `batch`), directly or
   * as `{ provider }`. Default: none, the records are shown to be published by hand.
   */
  dnsPublisher?: DnsPublisher | DnsPublisherSettings;
  /**
   * CNAME delegation (RFC 8461 section 8.2), for every domain: each customer points
   * `_mta-sts.<domain>` (CNAME `<domain>._mta-sts.<zone>`) and `mta-sts.<domain>` (CNAME
   * `policyHost`) at the panel once, and the panel publishes the ids in its own `zone`.
   */
  delegation?: Delegation;
}

export interface ResolvedPublisher {
  provider: DnsPublisher;
  /** Where records go, for a sentence: the URL's scheme and host, or "a provider object". No secret. */
  display: string;
  zones: string[];
  nameServers: Record<string, string>;
}

const FIELDS = ['url', 'provider', 'tsigKey', 'pdnsApiKey', 'zones', 'nameServers'];
const SHAPE =
  'must be { url, tsigKey } or { url, pdnsApiKey } (url as --dns-update takes it), or a provider object with read(name, type) and replace(name, type, ttl, records) functions (batch optional)';

function isProvider(value: unknown): value is DnsPublisher {
  const candidate = value as Partial<DnsPublisher>;
  return typeof candidate.read === 'function' && typeof candidate.replace === 'function';
}

function provider(value: unknown, name: string): DnsPublisher {
  if (value === null || typeof value !== 'object' || !isProvider(value))
    throw new TypeError(`options.${name} must be an object with read(name, type) and replace(name, type, ttl, records) functions`);
  if (value.batch !== undefined && typeof value.batch !== 'function') throw new TypeError(`options.${name}.batch must be a function when given`);
  return value;
}

/** The setting names of the command's sentences, as the option's fields. */
const renamed = (text: string) =>
  text
    .replace(/ ?\(MTA_STS_DNS_\w+\) ?/g, ' ')
    .trim()
    .replace(/ in the environment/g, '')
    .replace(/MTA_STS_TSIG_KEY/g, 'options.dnsPublisher.tsigKey')
    .replace(/MTA_STS_PDNS_API_KEY/g, 'options.dnsPublisher.pdnsApiKey')
    .replace(/ --dns-update/g, ' url')
    .replace(/--dns-zones/g, 'options.dnsPublisher.zones');

export function resolvePublisher(options: DnsPublisherOptions): ResolvedPublisher | null {
  const value = options.dnsPublisher as unknown;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`options.dnsPublisher ${SHAPE}`);
  if (isProvider(value)) return { provider: provider(value, 'dnsPublisher'), display: 'a provider object', zones: [], nameServers: {} };
  const settings = value as DnsPublisherSettings;
  const unknown = Object.keys(settings).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) throw new TypeError(`options.dnsPublisher.${unknown} is not a known field (${FIELDS.join(', ')})`);
  for (const field of ['url', 'tsigKey', 'pdnsApiKey'] as const)
    if (settings[field] !== undefined && typeof settings[field] !== 'string') throw new TypeError(`options.dnsPublisher.${field} must be a string`);
  if (settings.zones !== undefined && (!Array.isArray(settings.zones) || settings.zones.some((z) => typeof z !== 'string')))
    throw new TypeError('options.dnsPublisher.zones must be an array of zone names');
  if (settings.nameServers !== undefined && (typeof settings.nameServers !== 'object' || settings.nameServers === null || Array.isArray(settings.nameServers)))
    throw new TypeError('options.dnsPublisher.nameServers must be an object of name server host → "ip[:port]"');
  if ((settings.url === undefined) === (settings.provider === undefined))
    throw new TypeError(`options.dnsPublisher ${SHAPE}: give url or provider, one of them`);
  try {
    const nameServers = nameServerMap(
      Object.entries(settings.nameServers ?? {})
        .map(([host, at]) => `${host}=${String(at)}`)
        .join(','),
    );
    if (settings.provider !== undefined) {
      const zones = zoneNames((settings.zones ?? []).join(','));
      return { provider: provider(settings.provider, 'dnsPublisher.provider'), display: 'a provider object', zones, nameServers };
    }
    const env = { MTA_STS_TSIG_KEY: settings.tsigKey, MTA_STS_PDNS_API_KEY: settings.pdnsApiKey };
    const target = publishTarget(settings.url, (settings.zones ?? []).join(','), env)!;
    return { provider: publisherFor(target), display: target.display, zones: target.zones, nameServers };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const field = { 'dns-update': 'url', 'dns-zones': 'zones', 'name-servers': 'nameServers' }[err.setting];
    throw new TypeError(field ? `options.dnsPublisher.${field} ${renamed(err.rule)}` : renamed(err.message), { cause: err });
  }
}

/** The `delegation` option: `{ zone, policyHost }`, both DNS names; null when not given. */
export function resolveDelegation(options: DnsPublisherOptions): Delegation | null {
  const value = options.delegation as unknown;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('options.delegation must be an object { zone, policyHost }');
  const { zone, policyHost, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new TypeError(`options.delegation.${unknown} is not a known field (zone, policyHost)`);
  for (const [field, given] of [
    ['zone', zone],
    ['policyHost', policyHost],
  ] as const)
    if (typeof given !== 'string' || given.trim() === '') throw new TypeError(`options.delegation.${field} must be a DNS name`);
  try {
    return delegationSettings(zone as string, policyHost as string);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // The setting's rule, said with the option's field name rather than the command's flag.
    const field = err.setting === 'delegation-zone' ? 'zone' : 'policyHost';
    throw new TypeError(`options.delegation.${field} ${err.rule.replace(/^\(MTA_STS_DELEGATION_[A-Z_]+\) /, '')}`, { cause: err });
  }
}

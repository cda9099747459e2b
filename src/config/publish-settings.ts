// The settings of `mta-sts publish`: where updates go (--dns-update / MTA_STS_DNS_UPDATE), which
// zones (--dns-zones / MTA_STS_DNS_ZONES), and the secrets, from the environment only (never a
// flag, where they would show in the process list, nor the config file): MTA_STS_TSIG_KEY and
// MTA_STS_PDNS_API_KEY. Each is validated here; a message never repeats a secret.
import { isIP } from 'node:net';
import type { Delegation } from '../policy/records';
import type { TsigAlgorithm } from '../publish/tsig';
import { ConfigError } from './errors';

/** Setting name: environment variable (the config file uses the setting name). */
export const PUBLISH_SOURCES = {
  dnsUpdate: 'MTA_STS_DNS_UPDATE',
  dnsZones: 'MTA_STS_DNS_ZONES',
  nameServers: 'MTA_STS_DNS_NAME_SERVERS',
  verifySeconds: 'MTA_STS_DNS_VERIFY_SECONDS',
} as const;

/** The secrets, read from the environment only. */
export const PUBLISH_SECRETS = { tsigKey: 'MTA_STS_TSIG_KEY', pdnsApiKey: 'MTA_STS_PDNS_API_KEY' } as const;

const ALGORITHMS: readonly TsigAlgorithm[] = ['hmac-sha256', 'hmac-sha512'];
const DNS_NAME = /^(?=.{1,253}\.?$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

export type PublishTarget =
  | { kind: 'rfc2136'; host: string; port: number; key: { algorithm: TsigAlgorithm; name: string; secret: Buffer }; zones: string[]; display: string }
  | { kind: 'pdns'; baseUrl: string; apiKey: string; zones: string[]; display: string };

/** Base64 without its padding (at most two `=`), to compare two spellings of one secret. */
const unpadded = (text: string) => (text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text);

function tsigKey(env: NodeJS.ProcessEnv): { algorithm: TsigAlgorithm; name: string; secret: Buffer } {
  const value = env[PUBLISH_SECRETS.tsigKey];
  const form = 'must be <algorithm>:<key name>:<base64 secret> (hmac-sha256 or hmac-sha512, as in the server\'s key "<name>" { ... } block)';
  if (value === undefined || value === '') throw new ConfigError(PUBLISH_SECRETS.tsigKey, `is required by an rfc2136:// --dns-update and ${form}`);
  const match = /^([\w-]+):([^:]+):(\S+)$/.exec(value.trim());
  if (!match) throw new ConfigError(PUBLISH_SECRETS.tsigKey, form);
  const algorithm = match[1].toLowerCase() as TsigAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new ConfigError(PUBLISH_SECRETS.tsigKey, `names the algorithm "${match[1]}"; ${form}`);
  if (!DNS_NAME.test(match[2])) throw new ConfigError(PUBLISH_SECRETS.tsigKey, `names the key "${match[2]}", which is not a DNS name; ${form}`);
  const secret = Buffer.from(match[3], 'base64');
  // Node's decoder skips what is not base64: a secret that does not re-encode to itself was mistyped.
  if (secret.length < 16 || unpadded(secret.toString('base64')) !== unpadded(match[3]))
    throw new ConfigError(PUBLISH_SECRETS.tsigKey, `has a secret that is not base64 of at least 16 bytes; ${form}`);
  return { algorithm, name: match[2].replace(/\.$/, ''), secret };
}

/** --dns-zones: zone names, comma-separated, lower case without the final dot. */
export function zoneNames(dnsZones: string | undefined): string[] {
  const zones = (dnsZones ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((zone) => zone.toLowerCase().replace(/\.$/, ''));
  for (const zone of zones)
    if (!DNS_NAME.test(zone)) throw new ConfigError('dns-zones', `(MTA_STS_DNS_ZONES) must be DNS zone names, comma-separated; "${zone}" is not one`);
  return zones;
}

/** The publishing target from `dnsUpdate` (already picked from flag, environment or config file) and the secrets of `env`; null when no --dns-update is given. */
export function publishTarget(dnsUpdate: string | undefined, dnsZones: string | undefined, env: NodeJS.ProcessEnv): PublishTarget | null {
  if (dnsUpdate === undefined) return null;
  const forms = 'rfc2136://<server>[:<port>], pdns+http://<host>:<port> or pdns+https://<host>[:<port>]';
  let url: URL;
  try {
    url = new URL(dnsUpdate);
  } catch {
    throw new ConfigError('dns-update', `(MTA_STS_DNS_UPDATE) must be ${forms}, got "${dnsUpdate.replace(/\/\/[^@/]*@/, '//…@')}"`);
  }
  if (url.username !== '' || url.password !== '')
    throw new ConfigError(
      'dns-update',
      '(MTA_STS_DNS_UPDATE) must not carry a user or password: the key comes from MTA_STS_TSIG_KEY or MTA_STS_PDNS_API_KEY in the environment',
    );
  const shown = `${url.protocol}//${url.host}`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    throw new ConfigError('dns-update', `(MTA_STS_DNS_UPDATE) must be ${forms} without a path or query, got "${dnsUpdate}"`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '' || (isIP(host) === 0 && !DNS_NAME.test(host)))
    throw new ConfigError('dns-update', `(MTA_STS_DNS_UPDATE) must name a server, got "${dnsUpdate}"`);
  const zones = zoneNames(dnsZones);
  if (url.protocol === 'rfc2136:') {
    return { kind: 'rfc2136', host, port: url.port === '' ? 53 : Number(url.port), key: tsigKey(env), zones, display: shown };
  }
  if (url.protocol === 'pdns+http:' || url.protocol === 'pdns+https:') {
    const apiKey = env[PUBLISH_SECRETS.pdnsApiKey];
    if (apiKey === undefined || apiKey.trim() === '')
      throw new ConfigError(PUBLISH_SECRETS.pdnsApiKey, `is required by a ${url.protocol}// --dns-update: the PowerDNS server's api-key`);
    if (!/^[\x21-\x7e]+$/.test(apiKey.trim())) throw new ConfigError(PUBLISH_SECRETS.pdnsApiKey, 'must be printable ASCII without blanks');
    const scheme = url.protocol === 'pdns+https:' ? 'https' : 'http';
    // The API key is a password: over plain HTTP only to this host, as the house sends passwords only over TLS.
    if (scheme === 'http' && !/^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(host))
      throw new ConfigError(
        'dns-update',
        `(MTA_STS_DNS_UPDATE) pdns+http:// would send MTA_STS_PDNS_API_KEY in clear text to ${host}: use pdns+https:// for a server that is not on this host (127.0.0.1, ::1, localhost)`,
      );
    if (scheme === 'http' && url.port === '')
      throw new ConfigError(
        'dns-update',
        `(MTA_STS_DNS_UPDATE) pdns+http:// needs the API's port (PowerDNS's webserver-port, 8081 by default), got "${dnsUpdate}"`,
      );
    return { kind: 'pdns', baseUrl: `${scheme}://${url.host}`, apiKey: apiKey.trim(), zones, display: shown };
  }
  throw new ConfigError('dns-update', `(MTA_STS_DNS_UPDATE) must be ${forms}, got the scheme "${url.protocol}"`);
}

/**
 * --name-servers: `<ns host>=<ip>[:<port>]`, comma-separated, the address to ask a name server of
 * the zone at instead of its A/AAAA records on port 53 (NS records carry no port): for a test
 * set-up on loopback, or name servers this host reaches at other addresses.
 */
export function nameServerMap(value: string | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const [host, address, extra] = entry.split('=');
    const ok =
      extra === undefined &&
      host !== undefined &&
      DNS_NAME.test(host) &&
      address !== undefined &&
      /^(?:[\d.]+(?::\d{1,5})?|\[[\da-f:.]+\](?::\d{1,5})?)$/i.test(address);
    if (!ok || Number(/:(\d+)$/.exec(address.replace(/^\[.*\]/, ''))?.[1] ?? 53) > 65535)
      throw new ConfigError('name-servers', `(MTA_STS_DNS_NAME_SERVERS) must be <name server>=<ip>[:<port>], comma-separated; "${entry}" is not`);
    map[host.toLowerCase().replace(/\.$/, '')] = address;
  }
  return map;
}

/** --verify-seconds: how long to wait for every name server to serve an applied record, 0 to 300 (default 10; 0 skips the verification). */
export function verifySeconds(value: string | undefined): number {
  if (value === undefined) return 10;
  if (!/^\d{1,3}$/.test(value.trim()) || Number(value) > 300)
    throw new ConfigError('verify-seconds', `(MTA_STS_DNS_VERIFY_SECONDS) must be a whole number of seconds from 0 to 300, got "${value}"`);
  return Number(value);
}

/**
 * --delegation-zone and --delegation-policy-host (CNAME delegation, RFC 8461 section 8.2): both or
 * neither. Lower case, without the final dot; null when neither is given.
 */
export function delegationSettings(zone: string | undefined, policyHost: string | undefined): Delegation | null {
  if (zone === undefined && policyHost === undefined) return null;
  if (zone === undefined)
    throw new ConfigError('delegation-zone', '(MTA_STS_DELEGATION_ZONE) is required with --delegation-policy-host: the zone where the panel publishes the ids');
  if (policyHost === undefined)
    throw new ConfigError(
      'delegation-policy-host',
      '(MTA_STS_DELEGATION_POLICY_HOST) is required with --delegation-zone: the host serving the policies, which mta-sts.<domain> points to',
    );
  const [z, h] = [zone, policyHost].map((value) => value.trim().toLowerCase().replace(/\.$/, ''));
  if (!DNS_NAME.test(z) || !z.includes('.'))
    throw new ConfigError('delegation-zone', `(MTA_STS_DELEGATION_ZONE) must be a DNS zone name such as mta-sts.panel.example, got "${zone}"`);
  if (!DNS_NAME.test(h) || !h.includes('.') || h.includes('_'))
    throw new ConfigError('delegation-policy-host', `(MTA_STS_DELEGATION_POLICY_HOST) must be a host name such as policy.panel.example, got "${policyHost}"`);
  return { zone: z, policyHost: h };
}

// The standalone server's settings (`mta-sts serve`): those of every command (./cli-settings.ts)
// and the server's own (listening, proxies and cookies, logging, the API key, ACME, TLS reports,
// the scheduled checks), each validated at start with a ConfigError naming the bad setting.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { requireMailHostname, resolveSettings, type SettingFlags, type Settings } from './cli-settings';
import { ConfigError } from './errors';
import { reportsImapSettings, scheduleSettings, type AlertSettings, type ReportsImapSetting } from './mail-settings';
import { publishTarget, type PublishTarget } from './publish-settings';
import { reportServerSettings, type ReportServerSettings } from './report-settings';
import { SERVER_SOURCES, picker, readConfigFile } from './setting-sources';

export type ServerFlags = SettingFlags & Partial<Record<keyof typeof SERVER_SOURCES, string | boolean>>;

export interface ServerSettings extends Settings {
  port: number;
  host: string | undefined;
  /** A second port for /metrics only; null: /metrics behind the API key on the main port. */
  metricsPort: number | null;
  /** The address the metrics port listens on: loopback unless opened (it has no authentication). */
  metricsHost: string;
  authHeader: string | null;
  trustedProxies: string[];
  /** true, false, or 'auto' (default; by the request: TLS, as --acme serves it, or a trusted proxy's X-Forwarded-Proto). */
  secureCookies: boolean | 'auto';
  /** The server's own database: it creates and seeds its demo domain tables. */
  embedded: boolean;
  demoDomains: string[] | undefined;
  dnsCheckAllowAddresses: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  apiKey: string | undefined;
  adminPassword: string | undefined;
  drainSeconds: number;
  /** The built-in ACME client and the HTTPS listener; null when off. */
  acme: AcmeSettings | null;
  /**
   * TLS report mails fetched from a mailbox every 5 minutes (the plugin's `reports.imap`,
   * validated by it at start); null when REPORTS_IMAP_URL is not set.
   */
  reportsImap: ReportsImapSetting | null;
  /** Stored TLS reports: the prune interval and the plugin's retention, quotas and cap. */
  reports: ReportServerSettings;
  /** The scheduled DNS Check of every served domain: minutes between runs; 0 switches it off. */
  checkIntervalMinutes: number;
  /** The lease that lets one of several servers on the database run the checks: seconds another waits to take over. */
  checkLeaseSeconds: number;
  /** Where its alerts go (the plugin's `alerts`, validated by it at start). */
  alerts: AlertSettings;
  /** Where DNS updates go (--dns-update with its key); null: the server publishes nothing. */
  dnsUpdate: PublishTarget | null;
  /** Minutes between two drift repairs of the published records; 0: none. */
  dnsRepairMinutes: number;
}

/** MTA_STS_DNS_REPAIR_MINUTES: 0 (off), or from 0.05 (3 seconds, for tests) to 10080 (a week), at most two decimals. */
function repairMinutes(value: string | undefined): number {
  if (value === undefined) return 60;
  const minutes = Number(value);
  if (!/^\d{1,5}(?:\.\d{1,2})?$/.test(value) || (minutes !== 0 && minutes < 0.05) || minutes > 10080)
    throw new ConfigError('dnsRepairMinutes', `(MTA_STS_DNS_REPAIR_MINUTES) must be minutes from 0.05 to 10080 (a week), or 0 for no repair, got "${value}"`);
  return minutes;
}

export interface AcmeSettings {
  directoryUrl: string;
  email: string;
  /** Key encrypting certificates' keys at rest: from the environment or the config file only. */
  encryptionKey: string;
  /** This server's public addresses: a name pointing elsewhere is skipped (its validation would fail). */
  addresses: string[];
  /** PEM of extra CAs trusted for the directory's HTTPS (a test CA such as pebble's); read from a file. */
  directoryCa: string | undefined;
  httpsPort: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const HEADER = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/** An address, or an address/prefix within its family's bits. */
function isCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * The built-in ACME client's settings, each checked now: an order that fails at 3 a.m. for a typo
 * in the e-mail address helps nobody. The terms of service must be accepted explicitly.
 */
function acmeSettings(
  pick: (name: keyof typeof SERVER_SOURCES) => string | undefined,
  yesNo: (name: keyof typeof SERVER_SOURCES) => boolean | undefined,
  list: (name: keyof typeof SERVER_SOURCES) => string[],
  port: (name: keyof typeof SERVER_SOURCES, fallback: number | null) => number | null,
  mainPort: number,
): AcmeSettings | null {
  if (yesNo('acme') !== true) return null;
  const directoryUrl = pick('acmeDirectory');
  if (directoryUrl === undefined || !/^https:\/\/[^\s/]+/.test(directoryUrl)) {
    throw new ConfigError('acmeDirectory', 'must be the https:// URL of the ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory');
  }
  const email = pick('acmeEmail');
  if (email === undefined || !/^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/.test(email))
    throw new ConfigError('acmeEmail', 'must be a mail address the CA can write to about your certificates');
  if (yesNo('acmeAcceptTerms') !== true) {
    throw new ConfigError('acmeAcceptTerms', "must be yes: read the CA's terms of service (linked from its directory) and accept them explicitly");
  }
  const encryptionKey = pick('acmeKey');
  if (encryptionKey === undefined || !(/^[0-9a-fA-F]{64}$/.test(encryptionKey) || Buffer.from(encryptionKey, 'base64').length === 32)) {
    throw new ConfigError('acmeKey', 'must be 32 random bytes as 64 hex digits or base64 (openssl rand -hex 32), from MTA_STS_ACME_KEY or the config file');
  }
  const addresses = list('acmeAddresses');
  const notIp = addresses.find((entry) => isIP(entry) === 0);
  if (notIp !== undefined) throw new ConfigError('acmeAddresses', `must be this server's public IP addresses, comma-separated ("${notIp}" is not one)`);
  const caFile = pick('acmeDirectoryCa');
  let directoryCa: string | undefined;
  if (caFile !== undefined) {
    try {
      directoryCa = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new ConfigError('acmeDirectoryCa', `file ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const httpsPort = port('httpsPort', 443) as number;
  if (httpsPort !== 0 && httpsPort === mainPort) throw new ConfigError('httpsPort', `must differ from port (${mainPort})`);
  return { directoryUrl, email, encryptionKey, addresses, directoryCa, httpsPort };
}

/** The `serve` command's settings: those of every command, and the server's own, each validated. */
export function resolveServerSettings(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerSettings {
  const base = resolveSettings(flags, env);
  const file = base.configFile === null ? {} : readConfigFile(base.configFile);
  const pick = picker(flags, env, SERVER_SOURCES, file, base.configFile);
  const port = (name: keyof typeof SERVER_SOURCES, fallback: number | null): number | null => {
    const value = pick(name);
    if (value === undefined) return fallback;
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new ConfigError(name, `must be a port number from 0 to 65535, got "${value}"`);
    return Number(value);
  };
  const yesNo = (name: keyof typeof SERVER_SOURCES): boolean | undefined => {
    const value = pick(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(name, `must be yes or no (true/false, 1/0), got "${value}"`);
  };
  const list = (name: keyof typeof SERVER_SOURCES): string[] =>
    (pick(name) ?? '')
      .split(/[\s,]+/)
      .map((item) => item.trim())
      .filter(Boolean);

  const trustedProxies = list('trustedProxy');
  for (const entry of trustedProxies) {
    if (!isCidr(entry) && !['loopback', 'linklocal', 'uniquelocal'].includes(entry))
      throw new ConfigError('trustedProxy', `must be addresses or CIDR ranges such as 127.0.0.1 or 10.0.0.0/8, comma-separated ("${entry}" is not one)`);
  }
  const authHeader = pick('authHeader') ?? null;
  if (authHeader !== null && !HEADER.test(authHeader))
    throw new ConfigError('authHeader', `must be an HTTP header name such as X-Remote-User, got "${authHeader}"`);
  if (authHeader !== null && trustedProxies.length === 0)
    throw new ConfigError('authHeader', 'needs --trusted-proxy: a login header is believed only from the reverse proxy that sets it');
  const secureFlag = yesNo('secureCookies');
  const logLevel = pick('logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const apiKey = pick('apiKey');
  if (apiKey !== undefined && apiKey.length < 16) throw new ConfigError('apiKey', 'must have at least 16 characters (e.g. openssl rand -hex 24)');
  const adminPassword = pick('adminPassword');
  if (adminPassword !== undefined && adminPassword.length < 10) throw new ConfigError('adminPassword', 'must have at least 10 characters');
  const drain = pick('drainSeconds') ?? '10';
  if (!/^\d{1,4}$/.test(drain)) throw new ConfigError('drainSeconds', `must be a whole number of seconds, got "${drain}"`);
  const demoDomains = list('demoDomains');
  const allow = list('dnsCheckAllowAddresses');
  const badRange = allow.find((entry) => !isCidr(entry));
  if (badRange !== undefined)
    throw new ConfigError('dnsCheckAllowAddresses', `must be a comma-separated list of CIDR ranges such as 10.0.0.0/8,fd00::/8 ("${badRange}" is not one).`);
  const embedded = yesNo('embedded') ?? (flags.database === undefined && env.DATABASE_URL === undefined && file.database === undefined);
  const mainPort = port('port', 3000) as number;
  const metricsPort = port('metricsPort', null);
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === mainPort) throw new ConfigError('metricsPort', `must differ from port (${mainPort})`);
  const metricsHost = pick('metricsHost');
  if (metricsHost !== undefined && !isIP(metricsHost))
    throw new ConfigError('metricsHost', `must be an IP address to listen on, e.g. 127.0.0.1 (the default) or 0.0.0.0 for every address; got "${metricsHost}"`);
  if (metricsHost !== undefined && metricsPort === null) throw new ConfigError('metricsHost', 'needs --metrics-port (else /metrics is behind the API key)');
  if (secureFlag === false && yesNo('acme')) throw new ConfigError('secureCookies', 'cannot be no with --acme (admin pages over HTTPS only): leave it unset');
  const acme = acmeSettings(pick, yesNo, list, port, mainPort);
  const reportsImap = reportsImapSettings(pick);
  const reports = reportServerSettings(pick);
  const schedule = scheduleSettings(pick);
  const dnsUpdate = publishTarget(pick('dnsUpdate'), pick('dnsZones'), env);
  const dnsRepairMinutes = repairMinutes(pick('dnsRepairMinutes'));
  // Last, so that a bad value above is named first: only the server's own (embedded) database keeps the demo's mail host name.
  if (!embedded) requireMailHostname(base);
  return {
    ...base,
    acme,
    reportsImap,
    reports,
    ...schedule,
    dnsUpdate,
    dnsRepairMinutes,
    port: mainPort,
    host: pick('host'),
    metricsPort,
    metricsHost: metricsHost ?? '127.0.0.1',
    authHeader,
    trustedProxies,
    secureCookies: secureFlag ?? 'auto',
    embedded,
    demoDomains: demoDomains.length > 0 ? demoDomains : undefined,
    dnsCheckAllowAddresses: allow,
    logLevel: logLevel as ServerSettings['logLevel'],
    apiKey,
    adminPassword,
    drainSeconds: Number(drain),
  };
}

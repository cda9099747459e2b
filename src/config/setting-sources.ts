// Where each setting of the `mta-sts` command and the standalone server comes from: its flag, its
// environment variable, or the optional JSON config file, in that order of precedence. One table
// for both, as one config file serves both: a name unknown to either is refused when it is read.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import { PUBLISH_SOURCES } from './publish-settings';
import { REPORT_SOURCES } from './report-settings';

/** The settings of every command: their environment variables. The config file uses the setting's own name. */
export const SOURCES = {
  database: 'DATABASE_URL',
  preset: 'MTA_STS_PRESET',
  mailHostname: 'MAIL_HOSTNAME',
  dnsServers: 'DNS_SERVERS',
  domainTable: 'MTA_STS_DOMAIN_TABLE',
  domainColumn: 'MTA_STS_DOMAIN_COLUMN',
  activeColumn: 'MTA_STS_ACTIVE_COLUMN',
  aliasTable: 'MTA_STS_ALIAS_TABLE',
  aliasColumn: 'MTA_STS_ALIAS_COLUMN',
  aliasTargetColumn: 'MTA_STS_ALIAS_TARGET_COLUMN',
  aliasActiveColumn: 'MTA_STS_ALIAS_ACTIVE_COLUMN',
  delegationZone: 'MTA_STS_DELEGATION_ZONE',
  delegationPolicyHost: 'MTA_STS_DELEGATION_POLICY_HOST',
} as const;

/** The standalone server's own settings (`mta-sts serve`): their environment variables. */
export const SERVER_SOURCES = {
  port: 'PORT',
  host: 'HOST',
  metricsPort: 'METRICS_PORT',
  metricsHost: 'METRICS_HOST',
  authHeader: 'MTA_STS_AUTH_HEADER',
  trustedProxy: 'MTA_STS_TRUSTED_PROXY',
  secureCookies: 'MTA_STS_SECURE_COOKIES',
  embedded: 'MTA_STS_EMBEDDED',
  demoDomains: 'DEMO_DOMAINS',
  dnsCheckAllowAddresses: 'DNS_CHECK_ALLOW_ADDRESSES',
  logLevel: 'LOG_LEVEL',
  apiKey: 'API_KEY',
  adminPassword: 'ADMIN_PASSWORD',
  drainSeconds: 'MTA_STS_DRAIN_SECONDS',
  acme: 'MTA_STS_ACME',
  acmeDirectory: 'MTA_STS_ACME_DIRECTORY',
  acmeEmail: 'MTA_STS_ACME_EMAIL',
  acmeAcceptTerms: 'MTA_STS_ACME_ACCEPT_TERMS',
  acmeAddresses: 'MTA_STS_ACME_ADDRESSES',
  acmeDirectoryCa: 'MTA_STS_ACME_DIRECTORY_CA',
  acmeKey: 'MTA_STS_ACME_KEY',
  httpsPort: 'HTTPS_PORT',
  reportsImapUrl: 'REPORTS_IMAP_URL',
  reportsImapPassword: 'REPORTS_IMAP_PASSWORD',
  reportsImapDone: 'REPORTS_IMAP_DONE',
  reportsImapAllowPlaintext: 'REPORTS_IMAP_ALLOW_PLAINTEXT',
  checkIntervalMinutes: 'MTA_STS_CHECK_INTERVAL_MINUTES',
  checkLeaseSeconds: 'MTA_STS_CHECK_LEASE_SECONDS',
  alertEmail: 'MTA_STS_ALERT_EMAIL',
  alertFrom: 'MTA_STS_ALERT_FROM',
  alertSmtp: 'MTA_STS_ALERT_SMTP',
  alertSmtpAllowPlaintext: 'MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT',
  alertWebhook: 'MTA_STS_ALERT_WEBHOOK',
  alertWebhookSecret: 'MTA_STS_ALERT_WEBHOOK_SECRET',
  alertLocale: 'MTA_STS_ALERT_LOCALE',
  ...REPORT_SOURCES,
  // Where the server publishes; the verification settings are the `publish` command's only.
  dnsUpdate: PUBLISH_SOURCES.dnsUpdate,
  dnsZones: PUBLISH_SOURCES.dnsZones,
  dnsRepairMinutes: 'MTA_STS_DNS_REPAIR_MINUTES',
} as const;

/** One setting from its flag, else its environment variable, else the config file. */
export function picker<K extends string>(
  flags: { [key: string]: string | boolean | undefined },
  env: NodeJS.ProcessEnv,
  sources: Record<K, string>,
  file: Record<string, unknown>,
  configFile: string | null,
) {
  return (name: K): string | undefined => {
    const value = flags[name] ?? env[sources[name]] ?? file[name];
    if (value === undefined || value === '') return undefined;
    // A switch given on the command line, or a JSON true/false/number in the file.
    if (typeof value === 'boolean' || typeof value === 'number') return String(value);
    if (typeof value !== 'string') throw new ConfigError(name, `must be a string in ${configFile}`);
    return value;
  };
}

/** The config file: a JSON object of known settings, else a ConfigError saying what is wrong. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config', `file ${path} is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('config', `file ${path} must hold a JSON object`);
  const known = new Set<string>([...Object.keys(SOURCES), ...Object.keys(SERVER_SOURCES), ...Object.keys(PUBLISH_SOURCES)]);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new ConfigError('config', `file ${path} has the unknown setting "${key}"; known: ${[...known].join(', ')}`);
  }
  return value as Record<string, unknown>;
}

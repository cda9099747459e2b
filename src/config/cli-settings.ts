// The settings of every `mta-sts` command (the database, the preset and its table mapping, the mail
// host name, the resolvers), validated at start with a ConfigError naming the bad setting. Only the
// CLI and the server read the environment; where each setting comes from is ./setting-sources.ts.
import { isIdentifier } from '../identifier';
import type { HostSchemaSetting, MissingHostPart } from '../options/storage';
import type { Delegation } from '../policy/records';
import { ConfigError } from './errors';
import { delegationSettings } from './publish-settings';
import { presetSchema, type SchemaMapping } from './presets';
import { SOURCES, picker, readConfigFile } from './setting-sources';

export interface Settings {
  database: string;
  preset: string;
  schema: SchemaMapping;
  mailHostname: string;
  /** false: no --mail-hostname, MAIL_HOSTNAME or mailHostname given, so mailHostname is the demo's placeholder. */
  mailHostnameGiven: boolean;
  dnsServers: string[] | undefined;
  /** CNAME delegation (--delegation-zone, --delegation-policy-host), for every domain; null: each domain publishes its own records. */
  delegation: Delegation | null;
  /** Where the settings came from, for `status` and the server's start-up line. */
  configFile: string | null;
}

/** Flags as commander gives them (camelCase), every one optional. */
export type SettingFlags = Partial<Record<keyof typeof SOURCES, string>> & { config?: string };

export const DEFAULT_DATABASE = 'sqlite:data/panel.sqlite';
/** The embedded demo's mail host: a placeholder that must never reach a real panel's records. */
const DEMO_MAIL_HOSTNAME = 'mail.example.org';

/** Attached to a panel's database: any database but the embedded default, or a panel's preset. */
export function attachedToPanel(settings: Pick<Settings, 'database' | 'preset'>): boolean {
  return settings.database !== DEFAULT_DATABASE || settings.preset !== 'default';
}

/**
 * Refuses the demo's placeholder mail host on a panel's database: every CNAME, zone line and DNS
 * Check hint would point at a host that is not the user's.
 */
export function requireMailHostname(settings: Settings): void {
  if (settings.mailHostnameGiven) return;
  throw new ConfigError(
    'mail-hostname',
    "is required with a panel database: give your mail server's name with --mail-hostname (MAIL_HOSTNAME, or mailHostname in the config file), as mta-sts.<domain> must point to it",
  );
}

/** The settings of every command, from flags, the environment and the config file, each validated. */
export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv): Settings {
  const configFile = flags.config ?? env.MTA_STS_CONFIG ?? null;
  const file = configFile === null ? {} : readConfigFile(configFile);
  const pick = picker(flags, env, SOURCES, file, configFile);
  const preset = pick('preset') ?? 'default';
  const schema = presetSchema(preset);
  const ident = (name: keyof typeof SOURCES, fallback: string): string => {
    const value = pick(name) ?? fallback;
    if (!isIdentifier(value)) throw new ConfigError(name, `must be a table or column name (letters, digits, underscores), got "${value}"`);
    return value;
  };
  const optionalIdent = (name: keyof typeof SOURCES, fallback: string | null): string | null => {
    const value = pick(name);
    if (value === 'none') return null;
    return value === undefined ? fallback : ident(name, value);
  };
  schema.domainTable = ident('domainTable', schema.domainTable);
  schema.domainColumn = ident('domainColumn', schema.domainColumn);
  schema.domainActiveColumn = optionalIdent('activeColumn', schema.domainActiveColumn);
  const aliasTable = optionalIdent('aliasTable', schema.aliasDomains?.table ?? null);
  schema.aliasDomains =
    aliasTable === null
      ? null
      : {
          table: aliasTable,
          aliasColumn: ident('aliasColumn', schema.aliasDomains?.aliasColumn ?? 'alias_domain'),
          targetColumn: ident('aliasTargetColumn', schema.aliasDomains?.targetColumn ?? 'target_domain'),
          activeColumn: optionalIdent('aliasActiveColumn', schema.aliasDomains?.activeColumn ?? null),
        };
  const dnsServers = pick('dnsServers')
    ?.split(/[\s,]+/)
    .filter(Boolean);
  const mailHostname = pick('mailHostname');
  return {
    database: pick('database') ?? DEFAULT_DATABASE,
    preset,
    schema,
    mailHostname: mailHostname ?? DEMO_MAIL_HOSTNAME,
    mailHostnameGiven: mailHostname !== undefined,
    dnsServers: dnsServers && dnsServers.length > 0 ? dnsServers : undefined,
    delegation: delegationSettings(pick('delegationZone'), pick('delegationPolicyHost')),
    configFile,
  };
}

/** Which setting of the command names each of the host's tables and columns (its flag is its name in kebab case). */
const HOST_SETTINGS: Record<Exclude<HostSchemaSetting, 'policyTable'>, keyof typeof SOURCES> = {
  domainTable: 'domainTable',
  domainColumn: 'domainColumn',
  domainActiveColumn: 'activeColumn',
  'aliasDomains.table': 'aliasTable',
  'aliasDomains.aliasColumn': 'aliasColumn',
  'aliasDomains.targetColumn': 'aliasTargetColumn',
  'aliasDomains.activeColumn': 'aliasActiveColumn',
};

/**
 * A table or column the settings name that the database lacks, as one sentence naming the flag
 * (and its environment variable) that changes it, and `none` where the panel may have none.
 * `domainTableHint` ends the sentence for a missing domain table: who creates it, if anyone.
 */
export function missingHostPartError(part: MissingHostPart, where: string, domainTableHint: string): ConfigError {
  if (part.setting === 'policyTable') {
    // Only the mailcow preset names one: mailcow's own MTA-STS table, which older mailcows lack.
    const what = part.column === null ? `"${part.table}" does not exist` : `"${part.column}" is not a column of the table "${part.table}"`;
    return new ConfigError(
      'preset',
      `mailcow keeps the policies in mailcow's own MTA-STS table (mailcow 2025-09 and later), and ${what} in ${where}: update mailcow, or choose another --preset`,
    );
  }
  const name = HOST_SETTINGS[part.setting];
  const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const env = SOURCES[name];
  if (part.setting === 'domainTable') {
    return new ConfigError(
      'domain-table',
      `"${part.table}" does not exist in ${where}: choose the panel with --preset, or name its table with --domain-table${domainTableHint ? ` (${domainTableHint})` : ''}`,
    );
  }
  const none = name === 'aliasTable' || name === 'activeColumn' || name === 'aliasActiveColumn' ? `, or give ${flag} none if the panel has none` : '';
  const what =
    part.column === null ? `"${part.table}" does not exist in ${where}` : `"${part.column}" is not a column of the table "${part.table}" in ${where}`;
  const object = part.column === null ? 'table' : 'column';
  return new ConfigError(flag.slice(2), `${what}: name the panel's ${object} with ${flag} (${env})${none}`);
}

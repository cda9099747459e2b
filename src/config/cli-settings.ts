// The settings of every `mta-sts` command (the database, the preset and its table mapping, the mail
// host name, the resolvers), validated at start with a ConfigError naming the bad setting. Only the
// CLI and the server read the environment; where each setting comes from is ./setting-sources.ts.
import { isIdentifier } from '../identifier';
import { ConfigError } from './errors';
import { presetSchema, type SchemaMapping } from './presets';
import { SOURCES, picker, readConfigFile } from './setting-sources';

export interface Settings {
  database: string;
  preset: string;
  schema: SchemaMapping;
  mailHostname: string;
  dnsServers: string[] | undefined;
  /** Where the settings came from, for `status` and the server's start-up line. */
  configFile: string | null;
}

/** Flags as commander gives them (camelCase), every one optional. */
export type SettingFlags = Partial<Record<keyof typeof SOURCES, string>> & { config?: string };

export const DEFAULT_DATABASE = 'sqlite:data/panel.sqlite';

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
  return {
    database: pick('database') ?? DEFAULT_DATABASE,
    preset,
    schema,
    mailHostname: pick('mailHostname') ?? 'mail.example.org',
    dnsServers: dnsServers && dnsServers.length > 0 ? dnsServers : undefined,
    configFile,
  };
}

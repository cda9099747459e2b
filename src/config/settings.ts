// The settings of the `mta-sts` command and the standalone server, from flags, the environment
// and an optional JSON config file (in that order of precedence), validated at start with a
// ConfigError naming the bad setting. Only the CLI and the server read the environment.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import { presetSchema, type SchemaMapping } from './presets';

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

/** Each setting: its environment variable. The config file uses the setting's own name. */
const SOURCES = {
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
} as const;

export const DEFAULT_DATABASE = 'sqlite:data/panel.sqlite';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv): Settings {
  const configFile = flags.config ?? env.MTA_STS_CONFIG ?? null;
  const file = configFile === null ? {} : readConfigFile(configFile);
  const pick = (name: keyof typeof SOURCES): string | undefined => {
    const value = flags[name] ?? env[SOURCES[name]] ?? file[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new ConfigError(name, `must be a string in ${configFile}`);
    return value;
  };
  const preset = pick('preset') ?? 'default';
  const schema = presetSchema(preset);
  const ident = (name: keyof typeof SOURCES, fallback: string): string => {
    const value = pick(name) ?? fallback;
    if (!IDENTIFIER.test(value)) throw new ConfigError(name, `must be a table or column name (letters, digits, underscores), got "${value}"`);
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

function readConfigFile(path: string): Record<string, unknown> {
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
  const known = new Set<string>(Object.keys(SOURCES));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new ConfigError('config', `file ${path} has the unknown setting "${key}"; known: ${[...known].join(', ')}`);
  }
  return value as Record<string, unknown>;
}

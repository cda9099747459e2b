// Where panels without MTA-STS keep their domains. Each preset was read from the panel's published
// schema: PostfixAdmin's upgrade.php / DATABASE_*.TXT (table `domain`, key `domain`, flag
// `active`; `alias_domain` with `alias_domain`, `target_domain`, `active`), iRedMail's vmail
// schema (the same shape, in its `vmail` database), and mailcow's init_db.inc.php (the same
// shape again). They differ in where they live and in their flag types (TINYINT on MariaDB,
// BOOLEAN on PostgreSQL), which the store reads either way.
import type { MtaStsOptions } from '../options';
import { ConfigError } from './errors';

export type PresetName = 'postfixadmin' | 'iredmail' | 'mailcow' | 'default';

export type SchemaMapping = Required<Pick<MtaStsOptions, 'domainTable' | 'domainColumn' | 'domainActiveColumn'>> & {
  aliasDomains: NonNullable<MtaStsOptions['aliasDomains']> | null;
};

const MAILCOW_SHAPE: SchemaMapping = {
  domainTable: 'domain',
  domainColumn: 'domain',
  domainActiveColumn: 'active',
  aliasDomains: { table: 'alias_domain', aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
};

export const PRESETS: Readonly<Record<PresetName, { schema: SchemaMapping; note: string }>> = {
  postfixadmin: { schema: MAILCOW_SHAPE, note: 'PostfixAdmin (MariaDB/MySQL or PostgreSQL, database usually "postfix")' },
  iredmail: { schema: MAILCOW_SHAPE, note: 'iRedMail (its "vmail" database, MariaDB or PostgreSQL)' },
  mailcow: { schema: MAILCOW_SHAPE, note: 'mailcow (database "mailcow"; mailcow 2024-09+ has MTA-STS of its own: see import-mailcow)' },
  default: { schema: MAILCOW_SHAPE, note: "the standalone server's own tables (the embedded SQLite default)" },
};

export function presetSchema(name: string): SchemaMapping {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new ConfigError('preset', `"${name}" is not known; choose one of ${Object.keys(PRESETS).join(', ')}`);
  }
  const { schema } = PRESETS[name as PresetName];
  return { ...schema, aliasDomains: schema.aliasDomains && { ...schema.aliasDomains } };
}

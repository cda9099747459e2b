// Where panels without MTA-STS keep their domains. Each preset was read from the panel's published
// schema: PostfixAdmin's upgrade.php / DATABASE_*.TXT (table `domain`, key `domain`, flag
// `active`; `alias_domain` with `alias_domain`, `target_domain`, `active`), iRedMail's vmail
// schema (the same shape, in its `vmail` database), and mailcow's init_db.inc.php (the same
// shape again), which since 2025-09 keeps its MTA-STS policies in a table of its own, `mta_sts`:
// the mailcow preset stores them there (policyTable) and adds nothing to its domain table. They differ in where they live and in their flag types (TINYINT on MariaDB,
// BOOLEAN on PostgreSQL), which the store reads either way.
//
// The one list of preset names: the command's `--preset` choices, its help and the check of
// MTA_STS_PRESET and the config file all read PRESET_NAMES.
import type { HostSchema } from '../options/storage';
import { ConfigError } from './errors';

/** The presets, the default first (the standalone server's own tables). */
export const PRESET_NAMES = ['default', 'postfixadmin', 'iredmail', 'mailcow'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export type SchemaMapping = HostSchema;

const PANEL_SHAPE: SchemaMapping = {
  domainTable: 'domain',
  domainColumn: 'domain',
  domainActiveColumn: 'active',
  aliasDomains: { table: 'alias_domain', aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
  policyTable: null,
};

export const PRESETS: Readonly<Record<PresetName, { schema: SchemaMapping; note: string }>> = {
  default: { schema: PANEL_SHAPE, note: "the standalone server's own tables (the embedded SQLite default)" },
  postfixadmin: { schema: PANEL_SHAPE, note: 'PostfixAdmin (MariaDB/MySQL or PostgreSQL, database usually "postfix")' },
  iredmail: { schema: PANEL_SHAPE, note: 'iRedMail (its "vmail" database, MariaDB or PostgreSQL)' },
  mailcow: {
    schema: { ...PANEL_SHAPE, policyTable: 'mta_sts' },
    note: 'mailcow 2025-09+ (database "mailcow"; the policies live in its own mta_sts table, shared with its MTA-STS tab)',
  },
};

function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export function presetSchema(name: string): SchemaMapping {
  if (!isPresetName(name)) throw new ConfigError('preset', `"${name}" is not known; choose one of ${PRESET_NAMES.join(', ')}`);
  const { schema } = PRESETS[name];
  return { ...schema, aliasDomains: schema.aliasDomains && { ...schema.aliasDomains } };
}

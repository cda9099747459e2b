// Where the plugin finds the host's domains and keeps its own tables, and how it waits for the
// database: `knex`, the domain and alias tables, the migrations table, the table prefix, the
// served set's cache and the query deadline. Also the one place that builds these options from a
// panel's schema, for every part that opens the database itself (the command, the standalone
// server and its ACME client), so that they all read the same tables.
import type { Knex } from 'knex';
import { DEFAULT_DB_TIMEOUT_MS } from '../deadline';
import { isTablePrefix } from '../identifier';
import { identifier, object, wholeNumber } from './validate';

/** The host's alias-domain table: `mta-sts.<alias>` serves the target's policy. */
export interface AliasDomains {
  table: string;
  aliasColumn: string;
  targetColumn: string;
  activeColumn?: string | null;
}

export interface StorageOptions {
  /** The host's Knex instance (mysql2, pg or better-sqlite3). */
  knex: Knex;
  /** The host's domain table. Default `domain` (as in mailcow). */
  domainTable?: string;
  /** Its key column holding the domain name. Default `domain`. */
  domainColumn?: string;
  /** Its "domain is active" column, or null when it has none. Default `active`. */
  domainActiveColumn?: string | null;
  /** The host's alias-domain table; `mta-sts.<alias>` then serves the target's policy. */
  aliasDomains?: AliasDomains | null;
  /**
   * A panel's own MTA-STS table holding the policies instead of columns added to the domain
   * table: mailcow's `mta_sts` (mailcow 2025-09 and later), written as mailcow's UI writes it.
   * Default null (the plugin's columns).
   */
  policyTable?: string | null;
  /** The plugin's own migrations table. Default `mta_sts_migrations`. */
  migrationsTable?: string;
  /** The prefix of the plugin's own tables (the change history...). Default `mta_sts_`. */
  tablePrefix?: string;
  /** Policy file cache: snapshot lifetime and how long a request waits for a reload. */
  cache?: { ttlMs?: number; waitMs?: number };
  /**
   * The deadline of every plugin query (and of a save's whole transaction) in ms, default 5000;
   * a save waits for another transaction's row lock half of it (at least 1 s).
   */
  database?: { timeoutMs?: number };
}

export interface ResolvedStorage {
  knex: Knex;
  domainTable: string;
  domainColumn: string;
  domainActiveColumn: string | null;
  aliasDomains: Required<AliasDomains> | null;
  policyTable: string | null;
  migrationsTable: string;
  tablePrefix: string;
  cache: { ttlMs: number; waitMs: number };
  database: { timeoutMs: number };
}

/** Where a panel keeps its domains: what a preset names and the command's settings may change. */
export type HostSchema = Required<Pick<StorageOptions, 'domainTable' | 'domainColumn' | 'domainActiveColumn'>> & {
  aliasDomains: AliasDomains | null;
  policyTable?: string | null;
};

export const DEFAULT_TABLE_PREFIX = 'mta_sts_';

/** A storage option that names one of the host's tables or columns, as the library spells it. */
export type HostSchemaSetting =
  | 'domainTable'
  | 'domainColumn'
  | 'domainActiveColumn'
  | 'aliasDomains.table'
  | 'aliasDomains.aliasColumn'
  | 'aliasDomains.targetColumn'
  | 'aliasDomains.activeColumn'
  | 'policyTable';

/** A table or column the settings name that the database lacks: `column` null when the whole table is missing. */
export interface MissingHostPart {
  setting: HostSchemaSetting;
  table: string;
  column: string | null;
}

/**
 * The storage options of a part that opens the database itself: the panel's schema, and the
 * prefix of the plugin's tables (default `mta_sts_`). Everything else keeps its default.
 */
export function storageOptions(knex: Knex, schema: HostSchema, tablePrefix: string = DEFAULT_TABLE_PREFIX): StorageOptions {
  return { knex, ...schema, aliasDomains: schema.aliasDomains && { ...schema.aliasDomains }, tablePrefix };
}

/** The prefix of the plugin's own tables, defaulted and validated; `name` is the option as the caller's user wrote it. */
export function tablePrefixOption(value: unknown, name = 'options.tablePrefix'): string {
  if (value === undefined) return DEFAULT_TABLE_PREFIX;
  if (typeof value !== 'string' || !isTablePrefix(value)) {
    throw new TypeError(`${name} must start a table name: letters, digits, underscores, 1-40 characters (default ${DEFAULT_TABLE_PREFIX})`);
  }
  return value;
}

export function resolveStorage(options: StorageOptions): ResolvedStorage {
  const { knex } = options;
  if (typeof knex !== 'function' || typeof (knex as Partial<Knex>).transaction !== 'function') {
    throw new TypeError('options.knex must be a Knex instance');
  }
  const alias = options.aliasDomains;
  const cache = object(options.cache, 'cache');
  const database = object(options.database, 'database');
  return {
    knex,
    domainTable: identifier(options.domainTable ?? 'domain', 'domainTable'),
    domainColumn: identifier(options.domainColumn ?? 'domain', 'domainColumn'),
    domainActiveColumn: options.domainActiveColumn === null ? null : identifier(options.domainActiveColumn ?? 'active', 'domainActiveColumn'),
    aliasDomains:
      alias == null
        ? null
        : {
            table: identifier(alias.table, 'aliasDomains.table'),
            aliasColumn: identifier(alias.aliasColumn, 'aliasDomains.aliasColumn'),
            targetColumn: identifier(alias.targetColumn, 'aliasDomains.targetColumn'),
            activeColumn: alias.activeColumn == null ? null : identifier(alias.activeColumn, 'aliasDomains.activeColumn'),
          },
    policyTable: options.policyTable == null ? null : identifier(options.policyTable, 'policyTable'),
    migrationsTable: identifier(options.migrationsTable ?? 'mta_sts_migrations', 'migrationsTable'),
    tablePrefix: tablePrefixOption(options.tablePrefix),
    cache: {
      ttlMs: wholeNumber(cache.ttlMs ?? 5000, 'cache.ttlMs', 0, 3_600_000),
      waitMs: wholeNumber(cache.waitMs ?? 1000, 'cache.waitMs', 0, 60_000),
    },
    database: { timeoutMs: wholeNumber(database.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS, 'database.timeoutMs', 1000, 600_000) },
  };
}

// Self-contained on purpose: hosts have run this file, so what it does is frozen. Its column names
// are literals here, never imported from src/ (renaming a constant there must not rewrite a
// migration already applied); a later change to the schema is a new dated file.
import type { Knex } from 'knex';

const COLUMNS = {
  active: 'mta_sts_active',
  version: 'mta_sts_version',
  mode: 'mta_sts_mode',
  maxAge: 'mta_sts_max_age',
  mx: 'mta_sts_mx',
  id: 'mta_sts_id',
  updatedAt: 'mta_sts_updated_at',
  revision: 'mta_sts_revision',
} as const;

/** What the migration needs from the host: which table holds its domains. */
export interface MigrationConfig {
  table: string;
}

const DEFAULT_CONFIG: MigrationConfig = { table: 'domain' };

/**
 * Adds the policy columns to the host's existing domain table. Every column has a default, so
 * existing host rows become "MTA-STS inactive" without a rewrite, and on MariaDB 10.3+ the ADD
 * COLUMNs are instant (no table copy). Guarded by hasColumn so that a partly applied run, or a
 * host that already has a column, can run it again.
 */
export async function up(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const missing = await missingColumns(knex, config.table);
  if (missing.size === 0) return;
  await knex.schema.alterTable(config.table, (table) => {
    if (missing.has(COLUMNS.active)) table.boolean(COLUMNS.active).notNullable().defaultTo(false);
    if (missing.has(COLUMNS.version)) table.string(COLUMNS.version, 8).notNullable().defaultTo('STSv1');
    if (missing.has(COLUMNS.mode)) table.string(COLUMNS.mode, 8).notNullable().defaultTo('none');
    if (missing.has(COLUMNS.maxAge)) table.integer(COLUMNS.maxAge).unsigned().notNullable().defaultTo(86400);
    // TEXT: up to 100 patterns of 255 characters; TEXT columns cannot carry a default in MySQL.
    if (missing.has(COLUMNS.mx)) table.text(COLUMNS.mx).nullable();
    if (missing.has(COLUMNS.id)) table.string(COLUMNS.id, 32).nullable();
    // An ISO 8601 UTC string, not DATETIME: drivers read DATETIME in the connection's local
    // time zone, which the host controls; a string reads back the same everywhere.
    if (missing.has(COLUMNS.updatedAt)) table.string(COLUMNS.updatedAt, 24).nullable();
    if (missing.has(COLUMNS.revision)) table.integer(COLUMNS.revision).unsigned().notNullable().defaultTo(0);
  });
}

/** Removes exactly the columns `up` adds; every host column and row stays as it was. */
export async function down(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const missing = await missingColumns(knex, config.table);
  const existing = Object.values(COLUMNS).filter((name) => !missing.has(name));
  if (existing.length === 0) return;
  const client = (knex.client as { config: { client?: unknown } }).config.client; // Knex types it `any`
  if (client === 'better-sqlite3' || client === 'sqlite3') {
    // Raw SQL on SQLite: Knex's dropColumn rebuilds the whole table there (copying every row and
    // re-creating it from parsed DDL), while SQLite 3.35+ drops a column in place and keeps the
    // host's indexes, triggers and constraints untouched.
    for (const name of existing) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [config.table, name]);
    return;
  }
  await knex.schema.alterTable(config.table, (table) => table.dropColumns(...existing));
}

async function missingColumns(knex: Knex, table: string): Promise<Set<string>> {
  const missing = new Set<string>();
  for (const name of Object.values(COLUMNS)) if (!(await knex.schema.hasColumn(table, name))) missing.add(name);
  return missing;
}

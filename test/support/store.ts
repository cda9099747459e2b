import type { Knex } from 'knex';
import { PolicyStore } from '../../src/store/policy-store';
import type { MigrateOptions } from '../../src/store/migrate';
import type { TestDb } from './db';

/** The columns the plugin promises to add, spelled out here so that a rename is noticed. */
export const PLUGIN_COLUMNS = [
  'mta_sts_active',
  'mta_sts_version',
  'mta_sts_mode',
  'mta_sts_max_age',
  'mta_sts_mx',
  'mta_sts_id',
  'mta_sts_updated_at',
  'mta_sts_revision',
];
export const HOST_COLUMNS = ['domain', 'description', 'mailboxes', 'active'];

export function migrateOptions(db: TestDb): MigrateOptions {
  return { table: db.domainTable, keyColumn: 'domain', tablePrefix: db.tablePrefix, migrationsTable: db.migrationsTable };
}

export function storeFor(db: TestDb): PolicyStore {
  return new PolicyStore(
    db.knex,
    { table: db.domainTable, keyColumn: 'domain', activeColumn: 'active' },
    { table: db.aliasTable, aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
  );
}

/** Rows of a raw query, whichever driver ran it. */
async function rawRows(knex: Knex, db: TestDb, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Record<string, unknown>[]> {
  const result = await knex.raw(sql, bindings);
  const rows = db.kind === 'mariadb' ? result[0] : db.kind === 'postgres' ? result.rows : result;
  return (rows as Record<string, unknown>[]).map((row) => ({ ...row }));
}

/** Every column of a table with its type, nullability and default, in table order. */
export async function describeColumns(db: TestDb, table = db.domainTable): Promise<Record<string, unknown>[]> {
  if (db.kind === 'sqlite') return rawRows(db.knex, db, 'PRAGMA table_info(??)', [table]);
  if (db.kind === 'postgres') {
    return rawRows(
      db.knex,
      db,
      `SELECT column_name AS "COLUMN_NAME", ordinal_position AS "ORDINAL_POSITION", data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
      [table],
    );
  }
  return rawRows(
    db.knex,
    db,
    `SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_KEY, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
}

export async function columnNames(db: TestDb, table = db.domainTable): Promise<string[]> {
  return (await describeColumns(db, table)).map((c) => String(db.kind === 'sqlite' ? c.name : c.COLUMN_NAME));
}

/** Every index of a table with its columns. */
export async function describeIndexes(db: TestDb, table = db.domainTable): Promise<Record<string, unknown>[]> {
  if (db.kind === 'sqlite') {
    return rawRows(db.knex, db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name", [table]);
  }
  if (db.kind === 'postgres') {
    return rawRows(db.knex, db, 'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY indexname', [table]);
  }
  const rows = await rawRows(db.knex, db, 'SHOW INDEX FROM ??', [table]);
  return rows.map((r) => ({ key: r.Key_name, column: r.Column_name, seq: r.Seq_in_index, unique: r.Non_unique }));
}

/** The full table definition as the database prints it (MariaDB), stores it (SQLite) or describes it (PostgreSQL). */
export async function tableDefinition(db: TestDb, table = db.domainTable): Promise<string> {
  if (db.kind === 'postgres') {
    const constraints = await rawRows(
      db.knex,
      db,
      `SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace ORDER BY conname`,
      [table],
    );
    return JSON.stringify({ columns: await describeColumns(db, table), constraints });
  }
  if (db.kind === 'sqlite') {
    const [row] = await rawRows(db.knex, db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]);
    return String(row.sql);
  }
  const [row] = await rawRows(db.knex, db, 'SHOW CREATE TABLE ??', [table]);
  return String(row['Create Table']);
}

/** Every row of a table, all columns, in key order, as plain objects. */
export async function dumpRows(db: TestDb, table = db.domainTable, key = 'domain'): Promise<Record<string, unknown>[]> {
  const rows = await db.knex(table).select('*').orderBy(key);
  return rows.map((row: Record<string, unknown>) => ({ ...row }));
}

/** The same rows restricted to the host's own columns. */
export async function dumpHostRows(db: TestDb): Promise<Record<string, unknown>[]> {
  const rows = await db.knex(db.domainTable).select(HOST_COLUMNS).orderBy('domain');
  return rows.map((row: Record<string, unknown>) => ({ ...row }));
}

/** Host flags come back as 0/1 on both databases; compare them as booleans. */
export function flag(value: unknown): boolean {
  if (value === 1 || value === true || value === '1') return true;
  if (value === 0 || value === false || value === '0') return false;
  throw new Error(`not a flag: ${JSON.stringify(value)}`);
}

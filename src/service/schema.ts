// The plugin's place in the database: its migrations (applied, pending, run, reverted) and its
// columns in the host's domain table. Commands ask this before they touch a policy.
import type { Knex } from 'knex';
import type { HostSchema, MissingHostPart } from '../options/storage';
import { dialectOf } from '../store/dialect';
import { migrateLatest, migrationStatus, rollbackAll, type MigrateOptions } from '../store/migrate';
import { PANEL_POLICY_COLUMNS } from '../store/policy-layout';
import type { PolicyStore } from '../store/policy-store';
import type { ServedService } from './served';

/**
 * Every table and column of the host's the settings name (the domain table, its key and active
 * columns, the alias table and its columns, mailcow's MTA-STS table and its columns) that the database lacks, in the order they are
 * configured; a missing table is named once, without its columns. The one rule the command, the
 * server's start and health check, and the served set's failure log all ask. Reads the catalogue
 * only (one query per table), never the rows.
 */
export async function missingHostParts(knex: Knex, schema: HostSchema): Promise<MissingHostPart[]> {
  const postgres = dialectOf(knex) === 'postgres';
  const alias = schema.aliasDomains;
  const tables: Array<{ setting: MissingHostPart['setting']; table: string; columns: Array<[MissingHostPart['setting'], string | null | undefined]> }> = [
    {
      setting: 'domainTable',
      table: schema.domainTable,
      columns: [
        ['domainColumn', schema.domainColumn],
        ['domainActiveColumn', schema.domainActiveColumn],
      ],
    },
  ];
  if (alias) {
    tables.push({
      setting: 'aliasDomains.table',
      table: alias.table,
      columns: [
        ['aliasDomains.aliasColumn', alias.aliasColumn],
        ['aliasDomains.targetColumn', alias.targetColumn],
        ['aliasDomains.activeColumn', alias.activeColumn],
      ],
    });
  }
  if (schema.policyTable) {
    // mailcow's own MTA-STS table (2025-09 and later): the columns its UI writes and its route reads.
    const columns = PANEL_POLICY_COLUMNS.map((column): [MissingHostPart['setting'], string] => ['policyTable', column]);
    tables.push({ setting: 'policyTable', table: schema.policyTable, columns });
  }
  const missing: MissingHostPart[] = [];
  for (const { setting, table, columns } of tables) {
    // No columns at all: no such table (or view) in the connection's database or schema.
    const present = Object.keys(await knex(table).columnInfo());
    if (present.length === 0) {
      missing.push({ setting, table, column: null });
      continue;
    }
    // MariaDB and SQLite match column names without regard to case; PostgreSQL's quoted names do.
    const has = (column: string) => present.some((name) => (postgres ? name === column : name.toLowerCase() === column.toLowerCase()));
    for (const [columnSetting, column] of columns) if (column != null && !has(column)) missing.push({ setting: columnSetting, table, column });
  }
  return missing;
}

/** The host's tables and columns a policy store was opened with, as the settings name them. */
export function hostSchemaOf(store: PolicyStore): HostSchema {
  const { table, keyColumn, activeColumn } = store.domainTable;
  return {
    domainTable: table,
    domainColumn: keyColumn,
    domainActiveColumn: activeColumn,
    aliasDomains: store.aliasTable,
    policyTable: store.layout.policyTable,
  };
}

/** A missing part in words naming the library's option that changes it (the host's log, the status). */
export function describeMissingPart(part: MissingHostPart): string {
  if (part.setting === 'policyTable') {
    const what = part.column === null ? `the table "${part.table}"` : `the column "${part.column}" of the table "${part.table}"`;
    return `${what} does not exist: policyTable names mailcow's own MTA-STS table (mailcow 2025-09 and later); update mailcow, or set policyTable: null to keep the policies in the plugin's columns`;
  }
  const optional = part.setting === 'aliasDomains.table' ? 'aliasDomains: null' : part.setting.endsWith('ctiveColumn') ? `${part.setting}: null` : null;
  const what = part.column === null ? `the table "${part.table}"` : `the column "${part.column}" of the table "${part.table}"`;
  return `${what} does not exist: set the option ${part.setting} to the name the database uses${optional ? `, or ${optional} if it has none` : ''}`;
}

export interface SchemaDeps {
  store: PolicyStore;
  /** For the number of names served, once the columns are there. */
  served: ServedService;
  migrations: MigrateOptions;
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  missingColumns: string[];
  /** The host's tables and columns the settings name that the database lacks (see `missingHostParts`). */
  missingHost: MissingHostPart[];
  /** Names with a served policy; null while columns or tables are missing or the database is unavailable. */
  served: number | null;
}

export class SchemaService {
  constructor(private readonly deps: SchemaDeps) {}

  /**
   * The plugin's columns the host's table lacks (none once migrated). Asks the database's
   * catalogue only, never the rows: what a command checks before every run, at any table size.
   */
  missingColumns(): Promise<string[]> {
    return this.deps.store.missingColumns();
  }

  /** The host's tables and columns the settings name that the database lacks; none when all are there. */
  missingHostParts(): Promise<MissingHostPart[]> {
    return missingHostParts(this.deps.store.knex, hostSchemaOf(this.deps.store));
  }

  /** Migrations applied and pending, the plugin's columns the table lacks, and how many names are served (reads every served policy). */
  async status(): Promise<SchemaStatus> {
    const { applied, pending } = await migrationStatus(this.deps.store.knex, this.deps.migrations);
    const missingHost = await this.missingHostParts();
    // No domain table: no plugin columns either, and asking the catalogue for them says nothing more.
    const missingColumns = missingHost.some((part) => part.setting === 'domainTable') ? [] : await this.missingColumns();
    const names = missingColumns.length === 0 && missingHost.length === 0 ? await this.deps.served.names() : null;
    return { applied, pending, missingColumns, missingHost, served: names === null ? null : names.length };
  }

  /** Adds the plugin's columns and tables (idempotent); the migrations applied. */
  migrate(): Promise<string[]> {
    return migrateLatest(this.deps.store.knex, this.deps.migrations);
  }

  /** Removes exactly the plugin's columns and tables; the migrations reverted. */
  rollback(): Promise<string[]> {
    return rollbackAll(this.deps.store.knex, this.deps.migrations);
  }
}

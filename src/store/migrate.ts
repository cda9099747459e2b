import type { Knex } from 'knex';
import * as addColumns from '../../migrations/20261128000000_add_mta_sts_columns';
import type { MigrationConfig as ColumnsConfig } from '../../migrations/20261128000000_add_mta_sts_columns';
import * as reportTables from '../../migrations/20261201000000_add_tls_report_tables';
import type { ReportTablesConfig } from '../../migrations/20261201000000_add_tls_report_tables';

/** What every migration may need: the host's domain table, the prefix of the plugin's own tables. */
type MigrationConfig = ColumnsConfig & ReportTablesConfig;

interface MigrationModule {
  up(knex: Knex, config: MigrationConfig): Promise<void>;
  down(knex: Knex, config: MigrationConfig): Promise<void>;
}

// Listed, not globbed from a folder: the migrations then work the same from source, from dist/
// and inside a bundle. Names are the compiled file names, exactly what Knex's own migrator records
// when a host runs dist/migrations itself (with loadExtensions ['.js'], as plugin.json says), so
// either way of running them sees the same history.
const MIGRATIONS: ReadonlyArray<{ name: string; module: MigrationModule }> = [
  { name: '20261128000000_add_mta_sts_columns.js', module: addColumns },
  { name: '20261201000000_add_tls_report_tables.js', module: reportTables },
];

export interface MigrateOptions extends MigrationConfig {
  /** The plugin's own migrations table, apart from the host's `knex_migrations`. */
  migrationsTable: string;
}

function migrationSource(config: MigrationConfig): Knex.MigrationSource<(typeof MIGRATIONS)[number]> {
  return {
    getMigrations: async () => [...MIGRATIONS],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: (knex: Knex) => migration.module.up(knex, config),
      down: (knex: Knex) => migration.module.down(knex, config),
    }),
  };
}

/** Applies every pending plugin migration; returns the names applied (none when up to date). */
export async function migrateLatest(knex: Knex, options: MigrateOptions): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({
    migrationSource: migrationSource({ table: options.table, tablePrefix: options.tablePrefix }),
    tableName: options.migrationsTable,
  });
  return applied as string[];
}

/** Reverts every plugin migration, leaving the host's table as it was before the plugin. */
export async function rollbackAll(knex: Knex, options: MigrateOptions): Promise<string[]> {
  const [, reverted] = await knex.migrate.rollback(
    { migrationSource: migrationSource({ table: options.table, tablePrefix: options.tablePrefix }), tableName: options.migrationsTable },
    true,
  );
  return reverted as string[];
}

import type { Knex } from 'knex';
import * as addColumns from '../../migrations/20261128000000_add_mta_sts_columns';
import type { MigrationConfig } from '../../migrations/20261128000000_add_mta_sts_columns';

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
  // Knex types the result as `any`: it is [batch number, names of the migrations applied].
  const [, applied] = (await knex.migrate.latest({
    migrationSource: migrationSource({ table: options.table }),
    tableName: options.migrationsTable,
  })) as [number, string[]];
  return applied;
}

/** Reverts every plugin migration, leaving the host's table as it was before the plugin. */
export async function rollbackAll(knex: Knex, options: MigrateOptions): Promise<string[]> {
  const [, reverted] = (await knex.migrate.rollback(
    { migrationSource: migrationSource({ table: options.table }), tableName: options.migrationsTable },
    true,
  )) as [number, string[]];
  return reverted;
}

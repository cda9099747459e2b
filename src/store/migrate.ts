import { afterMigrationLock } from '../migration-lock';
import type { Knex } from 'knex';
import * as addColumns from '../../migrations/20261128000000_add_mta_sts_columns';
import * as addHistory from '../../migrations/20261201000000_add_mta_sts_history';
import * as reportTables from '../../migrations/20261201000100_add_tls_report_tables';
import * as acmeTables from '../../migrations/20261201000300_add_acme_tables';
import * as overviewTables from '../../migrations/20261201000400_add_mta_sts_overview_tables';
import * as checkTables from '../../migrations/20261201000500_add_mta_sts_checks';
import * as boundReports from '../../migrations/20261207000000_bound_tls_reports';
import * as leases from '../../migrations/20261208000000_add_mta_sts_leases';
import * as oneCheckTable from '../../migrations/20261208000100_one_check_table';
import * as dnsStates from '../../migrations/20261209000000_add_mta_sts_dns_states';
import * as failureDetails from '../../migrations/20261210000000_add_tls_failure_details';
import * as knownReporters from '../../migrations/20261210000100_add_tls_known_reporters';

/** What every migration may need from the host's configuration. */
export interface MigrationConfig {
  /** The host's domain table and its key column. */
  table: string;
  keyColumn: string;
  /** The prefix of the plugin's own tables (`mta_sts_` by default). */
  tablePrefix: string;
  /** A panel's own policy table (mailcow's `mta_sts`): then no column is added to the domain table. */
  policyTable?: string | null;
}

interface MigrationModule {
  up(knex: Knex, config: MigrationConfig): Promise<void>;
  down(knex: Knex, config: MigrationConfig): Promise<void>;
}

/**
 * The two migrations that created the standalone server's tables (accounts, sessions, secrets;
 * failed logins) while they were in this chain, kept here under their names and doing nothing.
 * The tables moved to the server's own chain (src/server/server-schema.ts), run by `mta-sts serve`
 * and `mta-sts admin` only, so that a host panel mounting the library gets none of them.
 * - Kept by name: a database migrated before the move has both names recorded in this chain's
 *   table, and Knex refuses to run a chain whose recorded names are missing from its list.
 * - Doing nothing up: a new database gets no server table from the library (the frozen files stay
 *   in migrations/ as they are, for the databases that ran them and for Knex run on that folder).
 * - Doing nothing down: rolling the library back never drops the server's accounts and sessions;
 *   their own chain owns them now, and its first migration finds an older database's tables there
 *   and keeps them with their rows. A host panel migrated before the move keeps four empty tables
 *   (`<prefix>users`, `sessions`, `server_secrets`, `login_failures`), which it may drop.
 */
const MOVED_TO_SERVER: MigrationModule = { up: async () => undefined, down: async () => undefined };

// Listed, not globbed from a folder: the migrations then work the same from source, from dist/
// and inside a bundle. Names are the compiled file names, exactly what Knex's own migrator records
// when a host runs dist/migrations itself (with loadExtensions ['.js'], as plugin.json says), so
// either way of running them sees the same history.
const MIGRATIONS: ReadonlyArray<{ name: string; module: MigrationModule }> = [
  { name: '20261128000000_add_mta_sts_columns.js', module: addColumns },
  { name: '20261201000000_add_mta_sts_history.js', module: addHistory },
  { name: '20261201000100_add_tls_report_tables.js', module: reportTables },
  { name: '20261201000200_add_server_accounts.js', module: MOVED_TO_SERVER },
  { name: '20261201000300_add_acme_tables.js', module: acmeTables },
  { name: '20261201000400_add_mta_sts_overview_tables.js', module: overviewTables },
  { name: '20261201000500_add_mta_sts_checks.js', module: checkTables },
  { name: '20261207000000_bound_tls_reports.js', module: boundReports },
  { name: '20261207000100_add_server_login_failures.js', module: MOVED_TO_SERVER },
  { name: '20261208000000_add_mta_sts_leases.js', module: leases },
  { name: '20261208000100_one_check_table.js', module: oneCheckTable },
  { name: '20261209000000_add_mta_sts_dns_states.js', module: dnsStates },
  { name: '20261210000000_add_tls_failure_details.js', module: failureDetails },
  { name: '20261210000100_add_tls_known_reporters.js', module: knownReporters },
];

export interface MigrateOptions extends MigrationConfig {
  /** The plugin's own migrations table, apart from the host's `knex_migrations`. */
  migrationsTable: string;
}

function migrationSource(config: MigrationConfig): Knex.MigrationSource<(typeof MIGRATIONS)[number]> {
  return {
    getMigrations: async () => [...MIGRATIONS],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => {
      // With a panel's own policy table the columns migration is recorded but adds nothing: the
      // panel's domain table stays exactly as the panel made it.
      const module = config.policyTable && migration.module === addColumns ? MOVED_TO_SERVER : migration.module;
      return { up: (knex: Knex) => module.up(knex, config), down: (knex: Knex) => module.down(knex, config) };
    },
  };
}

/** Applies every pending plugin migration; returns the names applied (none when up to date). */
export async function migrateLatest(knex: Knex, options: MigrateOptions): Promise<string[]> {
  // Knex answers [batch number, names applied] (typed `any`).
  const [, applied] = (await afterMigrationLock(options.migrationsTable, () =>
    knex.migrate.latest({ migrationSource: migrationSource(options), tableName: options.migrationsTable }),
  )) as [number, string[]];
  return applied;
}

/** Reverts every plugin migration, leaving the host's table as it was before the plugin. */
export async function rollbackAll(knex: Knex, options: MigrateOptions): Promise<string[]> {
  const [, reverted] = (await knex.migrate.rollback({ migrationSource: migrationSource(options), tableName: options.migrationsTable }, true)) as [
    number,
    string[],
  ];
  return reverted;
}

/** The plugin's migrations applied and pending, by name. */
export async function migrationStatus(knex: Knex, options: MigrateOptions): Promise<{ applied: string[]; pending: string[] }> {
  const [completed, pending] = (await knex.migrate.list({
    migrationSource: migrationSource(options),
    tableName: options.migrationsTable,
  })) as [Array<{ name: string } | string>, Array<(typeof MIGRATIONS)[number]>];
  return {
    applied: completed.map((entry) => (typeof entry === 'string' ? entry : entry.name)),
    pending: pending.map((migration) => migration.name),
  };
}

/**
 * Adds back the plugin's columns when the host's table lost them (a panel's schema upgrade that
 * drops columns it does not know), without touching the migrations table, which still says they
 * were added. The columns come back with their defaults; the store then restores the values.
 */
export async function repairColumns(knex: Knex, options: MigrateOptions): Promise<void> {
  if (options.policyTable) return;
  await addColumns.up(knex, options);
}

// The standalone server's own tables (accounts, sessions, secrets, failed logins): a migration chain
// of its own, run by `mta-sts serve` and `mta-sts admin` only, so that a host panel mounting the
// library never gets them. Its own Knex table, `<prefix>server_migrations`: the library's chain
// (src/store/migrate.ts, `<prefix>migrations`) never sees these names, nor this chain the library's,
// so that each can grow without the other refusing to run ("corrupt migration directory").
import { afterMigrationLock } from '../migration-lock';
import type { Knex } from 'knex';
import * as serverTables from '../../migrations/server/20261208000100_add_server_tables';

interface ServerMigration {
  up(knex: Knex, config: { tablePrefix: string }): Promise<void>;
  down(knex: Knex, config: { tablePrefix: string }): Promise<void>;
}

// Listed, not globbed, for the same reason as the library's: the same from source, dist/ or a bundle.
// On a database the library's chain migrated before the move, the first one finds every table there
// (it creates each only when missing) and records itself: from then on this chain owns them.
const MIGRATIONS: ReadonlyArray<{ name: string; module: ServerMigration }> = [{ name: '20261208000100_add_server_tables.js', module: serverTables }];

function migrationSource(tablePrefix: string): Knex.MigrationSource<(typeof MIGRATIONS)[number]> {
  return {
    getMigrations: async () => [...MIGRATIONS],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: (knex: Knex) => migration.module.up(knex, { tablePrefix }),
      down: (knex: Knex) => migration.module.down(knex, { tablePrefix }),
    }),
  };
}

/** Creates the server's tables that are missing; returns the names applied (none when up to date). */
export async function migrateServerTables(knex: Knex, tablePrefix: string): Promise<string[]> {
  // Knex answers [batch number, names applied] (typed `any`).
  const table = `${tablePrefix}server_migrations`;
  const [, applied] = (await afterMigrationLock(table, () => knex.migrate.latest({ migrationSource: migrationSource(tablePrefix), tableName: table }))) as [
    number,
    string[],
  ];
  return applied;
}

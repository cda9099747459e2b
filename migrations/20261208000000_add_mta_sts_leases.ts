// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the plugin's own tables. */
export interface LeasesConfig {
  tablePrefix?: string;
}

const leasesTable = (config: LeasesConfig) => `${config.tablePrefix ?? 'mta_sts_'}leases`;

/**
 * Named leases: one row per job that must run on one instance at a time (the scheduled DNS
 * Checks; later the DNS drift repair). The primary key on the name decides a race to create the
 * row; `expires_at` is milliseconds since 1970 by the database's clock, so the instances' own
 * clocks never decide who holds it. Rows are few and tiny: a name, the holder, a time.
 */
export async function up(knex: Knex, config: LeasesConfig = {}): Promise<void> {
  const table = leasesTable(config);
  if (await knex.schema.hasTable(table)) return;
  await knex.schema.createTable(table, (t) => {
    t.string('name', 64).notNullable().primary();
    t.string('holder', 128).notNullable();
    t.bigInteger('expires_at').notNullable();
  });
}

export async function down(knex: Knex, config: LeasesConfig = {}): Promise<void> {
  await knex.schema.dropTableIfExists(leasesTable(config));
}

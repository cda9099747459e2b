// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs from the host: the prefix of the plugin's own tables. */
export interface MigrationConfig {
  table: string;
  tablePrefix?: string;
}

const DEFAULT_CONFIG: MigrationConfig = { table: 'domain' };

const prefix = (config: MigrationConfig) => config.tablePrefix ?? 'mta_sts_';

/**
 * Two small plugin-owned tables for the overview: the last DNS Check verdict of each domain (one
 * row per domain, overwritten by every check, so the overview filters and sorts on it in SQL
 * without running checks), and panel-wide settings such as the defaults for a first policy.
 */
export async function up(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const lastChecks = `${prefix(config)}last_checks`;
  const settings = `${prefix(config)}settings`;
  if (!(await knex.schema.hasTable(lastChecks))) {
    await knex.schema.createTable(lastChecks, (t) => {
      // The domain's A-label: one row each, the key the overview joins on.
      t.string('domain', 255).notNullable().primary();
      // ISO 8601 UTC, like every time the plugin stores.
      t.string('checked_at', 24).notNullable();
      // ok | warning | error: the worst status of the check's parts.
      t.string('verdict', 16).notNullable();
      t.integer('errors').notNullable().defaultTo(0);
      t.integer('warnings').notNullable().defaultTo(0);
      // The policy id the check looked at.
      t.string('policy_id', 32).nullable();
    });
    const index = `${lastChecks}_verdict`;
    const client = (knex.client as { config: { client?: unknown } }).config.client;
    if (client === 'mysql2' || client === 'mysql') {
      // Explicitly in place, as in the history migration: works under alter_algorithm=INSTANT.
      await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??, ??), ALGORITHM=INPLACE', [lastChecks, index, 'verdict', 'domain']);
    } else {
      await knex.schema.alterTable(lastChecks, (t) => t.index(['verdict', 'domain'], index));
    }
  }
  if (!(await knex.schema.hasTable(settings))) {
    await knex.schema.createTable(settings, (t) => {
      t.string('name', 64).notNullable().primary();
      // JSON.
      t.text('value').notNullable();
      t.string('updated_at', 24).notNullable();
    });
  }
}

export async function down(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  await knex.schema.dropTableIfExists(`${prefix(config)}last_checks`);
  await knex.schema.dropTableIfExists(`${prefix(config)}settings`);
}

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
 * Two plugin-owned tables for the scheduled DNS Checks: `check_results`, the last scheduled
 * result of each domain (so a restart knows where every domain stood), and `alert_state`, per
 * domain and condition whether it is raised and when an alert was last sent (so that a restart
 * neither re-alerts nor forgets a condition, and alerts stay at one per domain and condition a day).
 */
export async function up(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const results = `${prefix(config)}check_results`;
  if (!(await knex.schema.hasTable(results))) {
    await knex.schema.createTable(results, (t) => {
      // The A-label; a primary key declared with the table copies nothing under alter_algorithm=INSTANT.
      t.string('domain', 255).notNullable().primary();
      // ISO 8601 UTC.
      t.string('checked_at', 24).notNullable();
      // The worst status of the result: ok, info, warning or error.
      t.string('worst', 8).notNullable();
      // The machine codes found, comma-separated, and the whole result as JSON.
      t.text('codes').notNullable();
      t.text('result').notNullable();
    });
  }
  const alerts = `${prefix(config)}alert_state`;
  if (!(await knex.schema.hasTable(alerts))) {
    await knex.schema.createTable(alerts, (t) => {
      t.string('domain', 255).notNullable();
      t.string('condition', 32).notNullable();
      // Whether the last check found the condition, and what the last alert sent said (raised or recovered).
      t.boolean('raised').notNullable().defaultTo(false);
      t.boolean('told_raised').notNullable().defaultTo(false);
      // When the condition last changed between raised and recovered, and when an alert was last sent (ISO 8601 UTC).
      t.string('changed_at', 24).notNullable();
      t.string('alerted_at', 24).nullable();
      t.primary(['domain', 'condition']);
    });
  }
}

export async function down(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  await knex.schema.dropTableIfExists(`${prefix(config)}alert_state`);
  await knex.schema.dropTableIfExists(`${prefix(config)}check_results`);
}

// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the plugin's own tables. */
export interface DnsStatesConfig {
  tablePrefix?: string;
}

const dnsStatesTable = (config: DnsStatesConfig) => `${config.tablePrefix ?? 'mta_sts_'}dns_states`;

/**
 * The last known publishing state of the DNS records the product publishes, one row per domain
 * (as `last_checks`), written by the publisher when it publishes or repairs and read by the
 * overview in SQL and by the scheduled checks' alert, so that neither asks DNS. `state` is the
 * worst of the domain's records (published, pending, differs), indexed for the overview's filter;
 * `records` holds each record as JSON (`[{ name, state, since, checkedAt }]`, `since`: when the
 * record entered its state).
 */
export async function up(knex: Knex, config: DnsStatesConfig = {}): Promise<void> {
  const table = dnsStatesTable(config);
  if (await knex.schema.hasTable(table)) return;
  await knex.schema.createTable(table, (t) => {
    // The domain's A-label: one row each, the key the overview joins on.
    t.string('domain', 255).notNullable().primary();
    t.string('state', 16).notNullable();
    // ISO 8601 UTC: when the publisher last saw one of the records.
    t.string('checked_at', 24).notNullable();
    t.text('records').notNullable();
  });
  const index = `${table}_state`;
  const client = (knex.client as { config: { client?: unknown } }).config.client;
  if (client === 'mysql2' || client === 'mysql') {
    // Explicitly in place, as in the overview tables' migration: works under alter_algorithm=INSTANT.
    await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??, ??), ALGORITHM=INPLACE', [table, index, 'state', 'domain']);
  } else {
    await knex.schema.alterTable(table, (t) => t.index(['state', 'domain'], index));
  }
}

export async function down(knex: Knex, config: DnsStatesConfig = {}): Promise<void> {
  await knex.schema.dropTableIfExists(dnsStatesTable(config));
}

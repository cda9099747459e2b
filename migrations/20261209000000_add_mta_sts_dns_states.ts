// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the plugin's own tables. */
export interface DnsStatesConfig {
  tablePrefix?: string;
}

const dnsStatesTable = (config: DnsStatesConfig) => `${config.tablePrefix ?? 'mta_sts_'}dns_states`;

/**
 * The last known publishing state of each DNS record the product publishes (one row per domain and
 * record name), written by the publisher when it publishes or repairs, and read by the overview in
 * SQL and by the scheduled checks' alert, so that neither asks DNS. `state` is published, pending or
 * differs; `since` is when the record entered that state (a state that lasts keeps its first time),
 * `checked_at` when it was last seen so. A name is at most `_smtp._tls.` and 253 characters.
 */
export async function up(knex: Knex, config: DnsStatesConfig = {}): Promise<void> {
  const table = dnsStatesTable(config);
  if (await knex.schema.hasTable(table)) return;
  await knex.schema.createTable(table, (t) => {
    t.string('domain', 255).notNullable();
    t.string('name', 300).notNullable();
    t.string('state', 16).notNullable();
    t.string('since', 24).notNullable();
    t.string('checked_at', 24).notNullable();
    // Read by domain only (the overview's page and filter, the alerts' page): the primary key is
    // the one index, created with the table (a separate ADD INDEX is refused under alter_algorithm=INSTANT).
    t.primary(['domain', 'name']);
  });
}

export async function down(knex: Knex, config: DnsStatesConfig = {}): Promise<void> {
  await knex.schema.dropTableIfExists(dnsStatesTable(config));
}

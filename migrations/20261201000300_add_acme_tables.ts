// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs from the host: the prefix of the plugin's own tables. */
export interface MigrationConfig {
  table: string;
  keyColumn?: string;
  tablePrefix?: string;
}

const DEFAULT_CONFIG: MigrationConfig = { table: 'domain' };

const tables = (config: MigrationConfig) => {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  return { certificates: `${prefix}acme_certificates`, accounts: `${prefix}acme_accounts`, locks: `${prefix}acme_locks` };
};

/**
 * The built-in ACME client's own tables (the standalone server with `--acme`): one row per
 * certificate name with its key (encrypted, AES-256-GCM), certificate and last order's state; the
 * ACME account per CA; and the lock rows that let only one of several instances order at a time.
 * Primary keys only, created with the tables, so nothing is altered afterwards (alter_algorithm=INSTANT).
 */
export async function up(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const t = tables(config);
  if (!(await knex.schema.hasTable(t.certificates))) {
    await knex.schema.createTable(t.certificates, (table) => {
      table.string('name', 255).primary();
      // "iv.tag.ciphertext" in base64url, AES-256-GCM with the configured key; null until issued.
      table.text('key_enc').nullable();
      table.text('certificate').nullable();
      // ISO 8601 UTC, like every time the plugin stores.
      table.string('not_after', 24).nullable();
      table.string('issued_at', 24).nullable();
      // issued | failed | skipped | pending
      table.string('state', 16).notNullable();
      table.text('reason').nullable();
      table.integer('failures').notNullable().defaultTo(0);
      table.string('next_attempt', 24).nullable();
      table.string('updated_at', 24).notNullable();
    });
  }
  if (!(await knex.schema.hasTable(t.accounts))) {
    await knex.schema.createTable(t.accounts, (table) => {
      table.string('directory_url', 255).primary();
      table.text('key_enc').notNullable();
      table.text('account_url').nullable();
      table.string('created_at', 24).notNullable();
    });
  }
  if (!(await knex.schema.hasTable(t.locks))) {
    await knex.schema.createTable(t.locks, (table) => {
      table.string('name', 64).primary();
      table.string('holder', 64).notNullable();
      // Milliseconds since the epoch: compared as numbers on every database.
      table.bigInteger('expires_at').notNullable();
    });
  }
}

export async function down(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const t = tables(config);
  await knex.schema.dropTableIfExists(t.locks);
  await knex.schema.dropTableIfExists(t.accounts);
  await knex.schema.dropTableIfExists(t.certificates);
}

// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the plugin's own tables. */
export interface ServerTablesConfig {
  tablePrefix?: string;
}

const usersTable = (config: ServerTablesConfig) => `${config.tablePrefix ?? 'mta_sts_'}users`;
const sessionsTable = (config: ServerTablesConfig) => `${config.tablePrefix ?? 'mta_sts_'}sessions`;
const secretsTable = (config: ServerTablesConfig) => `${config.tablePrefix ?? 'mta_sts_'}server_secrets`;

const isMysql = (knex: Knex) => {
  const client = (knex.client as { config: Knex.Config }).config.client;
  return client === 'mysql2' || client === 'mysql';
};

/**
 * The standalone server's own tables: its admin accounts (a scrypt hash with its parameters and
 * salt, never the password) and its login sessions, in the shape connect-session-knex 5 reads and
 * writes (`sid`, `sess`, `expired`), so that a restart logs nobody out, and the secrets that sign
 * its cookies and form tokens (random, made on first start, kept so that they outlive a restart). A panel that mounts the
 * library gets them too and never uses them; they hold nothing of the panel's own.
 */
export async function up(knex: Knex, config: ServerTablesConfig = {}): Promise<void> {
  const users = usersTable(config);
  if (!(await knex.schema.hasTable(users))) {
    await knex.schema.createTable(users, (t) => {
      t.string('username', 64).primary();
      // "scrypt$N$r$p$salt$hash" (base64url): the parameters travel with the hash, so they can grow.
      t.string('password_hash', 255).notNullable();
      t.string('created_at', 24).notNullable();
      t.string('updated_at', 24).notNullable();
    });
  }
  const secrets = secretsTable(config);
  if (!(await knex.schema.hasTable(secrets))) {
    await knex.schema.createTable(secrets, (t) => {
      t.string('name', 64).primary();
      t.string('value', 255).notNullable();
    });
  }
  const sessions = sessionsTable(config);
  if (!(await knex.schema.hasTable(sessions))) {
    await knex.schema.createTable(sessions, (t) => {
      t.string('sid', 255).primary();
      t.json('sess').notNullable();
      // The store compares these as timestamps with its own casts per database.
      if (isMysql(knex)) t.dateTime('expired').notNullable();
      else t.timestamp('expired').notNullable();
    });
    const index = `${sessions}_expired`;
    if (isMysql(knex)) {
      // Explicitly in place: a host may force alter_algorithm=INSTANT; this new, empty table copies nothing.
      await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??), ALGORITHM=INPLACE', [sessions, index, 'expired']);
    } else {
      await knex.schema.alterTable(sessions, (t) => t.index(['expired'], index));
    }
  }
}

export async function down(knex: Knex, config: ServerTablesConfig = {}): Promise<void> {
  await knex.schema.dropTableIfExists(sessionsTable(config));
  await knex.schema.dropTableIfExists(secretsTable(config));
  await knex.schema.dropTableIfExists(usersTable(config));
}

// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
// The first migration of the standalone server's own chain (src/server/server-schema.ts, its own
// Knex table `<prefix>server_migrations`), never of the library's: a host panel that mounts the
// library gets none of these tables.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the server's tables. */
export interface ServerTablesConfig {
  tablePrefix?: string;
}

const prefix = (config: ServerTablesConfig) => config.tablePrefix ?? 'mta_sts_';

const isMysql = (knex: Knex) => {
  const client = (knex.client as { config: Knex.Config }).config.client;
  return client === 'mysql2' || client === 'mysql';
};

/** An index on one column of a new, empty table. */
async function addIndex(knex: Knex, table: string, column: string): Promise<void> {
  const index = `${table}_${column}`;
  if (isMysql(knex)) {
    // Explicitly in place: a host may force alter_algorithm=INSTANT; this new, empty table copies nothing.
    await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??), ALGORITHM=INPLACE', [table, index, column]);
  } else {
    await knex.schema.alterTable(table, (t) => t.index([column], index));
  }
}

/**
 * The server's admin accounts (a scrypt hash with its parameters and salt, never the password),
 * the secrets that sign its cookies and form tokens, its login sessions (in the shape
 * connect-session-knex 5 reads and writes), and its failed-login counters (one row per limited
 * key, a digest; times in milliseconds since 1970). The same columns and indexes as the library's
 * migrations 20261201000200 and 20261207000100 created before the tables moved here, and each
 * table guarded: a database those migrations ran on already has them, with its rows, and keeps
 * them as they are.
 */
export async function up(knex: Knex, config: ServerTablesConfig = {}): Promise<void> {
  const users = `${prefix(config)}users`;
  if (!(await knex.schema.hasTable(users))) {
    await knex.schema.createTable(users, (t) => {
      t.string('username', 64).primary();
      // "scrypt$N$r$p$salt$hash" (base64url): the parameters travel with the hash, so they can grow.
      t.string('password_hash', 255).notNullable();
      t.string('created_at', 24).notNullable();
      t.string('updated_at', 24).notNullable();
    });
  }
  const secrets = `${prefix(config)}server_secrets`;
  if (!(await knex.schema.hasTable(secrets))) {
    await knex.schema.createTable(secrets, (t) => {
      t.string('name', 64).primary();
      t.string('value', 255).notNullable();
    });
  }
  const sessions = `${prefix(config)}sessions`;
  if (!(await knex.schema.hasTable(sessions))) {
    await knex.schema.createTable(sessions, (t) => {
      t.string('sid', 255).primary();
      t.json('sess').notNullable();
      // The store compares these as timestamps with its own casts per database.
      if (isMysql(knex)) t.dateTime('expired').notNullable();
      else t.timestamp('expired').notNullable();
    });
    await addIndex(knex, sessions, 'expired');
  }
  const failures = `${prefix(config)}login_failures`;
  if (!(await knex.schema.hasTable(failures))) {
    await knex.schema.createTable(failures, (t) => {
      // base64url of a SHA-256 prefix (22 characters); a primary key declared with the table copies nothing.
      t.string('key_hash', 32).notNullable().primary();
      t.integer('failures').notNullable();
      // Refused until then (0: not blocked); the row is forgotten at expires_at.
      t.bigInteger('blocked_until').notNullable();
      t.bigInteger('expires_at').notNullable();
    });
    await addIndex(knex, failures, 'expires_at');
  }
}

/** Drops the server's tables, its accounts and sessions with them: only the server's own chain runs this. */
export async function down(knex: Knex, config: ServerTablesConfig = {}): Promise<void> {
  for (const name of ['login_failures', 'sessions', 'server_secrets', 'users']) await knex.schema.dropTableIfExists(`${prefix(config)}${name}`);
}

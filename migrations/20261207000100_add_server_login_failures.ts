// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs: only the prefix of the plugin's own tables. */
export interface LoginFailuresConfig {
  tablePrefix?: string;
}

const failuresTable = (config: LoginFailuresConfig) => `${config.tablePrefix ?? 'mta_sts_'}login_failures`;

const isMysql = (knex: Knex) => {
  const client = (knex.client as { config: Knex.Config }).config.client;
  return client === 'mysql2' || client === 'mysql';
};

/**
 * The standalone server's failed-login counters, one row per limited key (an account at an
 * address, or an address alone; the key is a digest, so neither a tried name nor an address is
 * kept as text). In the database rather than in memory: the process holds none of them (a flood
 * of new keys cannot evict a blocked one, as a bounded in-memory map must), a restart forgets
 * nothing, and instances behind one proxy share them. Times are milliseconds since 1970, which
 * every database compares as plain integers.
 */
export async function up(knex: Knex, config: LoginFailuresConfig = {}): Promise<void> {
  const table = failuresTable(config);
  if (await knex.schema.hasTable(table)) return;
  await knex.schema.createTable(table, (t) => {
    // base64url of a SHA-256 prefix (22 characters); a primary key declared with the table copies nothing.
    t.string('key_hash', 32).notNullable().primary();
    t.integer('failures').notNullable();
    // Refused until then (0: not blocked); the row is forgotten at expires_at.
    t.bigInteger('blocked_until').notNullable();
    t.bigInteger('expires_at').notNullable();
  });
  const index = `${table}_expires_at`;
  if (isMysql(knex)) {
    // Explicitly in place: a host may force alter_algorithm=INSTANT; this new, empty table copies nothing.
    await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??), ALGORITHM=INPLACE', [table, index, 'expires_at']);
  } else {
    await knex.schema.alterTable(table, (t) => t.index(['expires_at'], index));
  }
}

export async function down(knex: Knex, config: LoginFailuresConfig = {}): Promise<void> {
  await knex.schema.dropTableIfExists(failuresTable(config));
}

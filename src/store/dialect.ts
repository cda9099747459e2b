import type { Knex } from 'knex';

/** The SQL dialects the store speaks; Knex hides most differences, this names the rest. */
export type Dialect = 'sqlite' | 'mysql' | 'postgres';

/** Which dialect a Knex instance speaks, from its client name ('better-sqlite3', 'mysql2', 'pg'...). */
export function dialectOf(knex: Knex): Dialect {
  const client = String(knex.client.config.client ?? knex.client.dialect ?? '').toLowerCase();
  if (client.includes('sqlite')) return 'sqlite';
  if (client === 'pg' || client.includes('postgres')) return 'postgres';
  return 'mysql';
}

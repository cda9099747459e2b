import type { Knex } from 'knex';

/** The SQL dialects the store speaks; Knex hides most differences, this names the rest. */
export type Dialect = 'sqlite' | 'mysql' | 'postgres';

/** Which dialect a Knex instance speaks, from its client name ('better-sqlite3', 'mysql2', 'pg'...). */
export function dialectOf(knex: Knex): Dialect {
  // Knex types its client as `any`; only these two names are read.
  const { config, dialect } = knex.client as { config: { client?: unknown }; dialect?: unknown };
  const name = config.client ?? dialect;
  const client = (typeof name === 'string' ? name : '').toLowerCase();
  if (client.includes('sqlite')) return 'sqlite';
  if (client === 'pg' || client.includes('postgres')) return 'postgres';
  return 'mysql';
}

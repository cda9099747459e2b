import type { Knex } from 'knex';
import { ConfigError } from '../config/errors';
import { DEFAULT_TABLE_PREFIX } from '../options/storage';
import { toALabel } from '../policy';

/**
 * The demo host's own schema, shaped like mailcow's: a `domain` table keyed by the domain name
 * with an `active` flag, and an `alias_domain` table. Run with Knex's migrator under the host's
 * usual `knex_migrations` table, before the plugin's migration.
 */
const createTables = {
  async up(knex: Knex) {
    if (!(await knex.schema.hasTable('domain'))) {
      await knex.schema.createTable('domain', (t) => {
        t.string('domain', 255).primary();
        t.string('description', 255).notNullable().defaultTo('');
        t.integer('mailboxes').notNullable().defaultTo(10);
        t.boolean('active').notNullable().defaultTo(true);
        t.string('created', 24).notNullable().defaultTo('');
      });
    }
    if (!(await knex.schema.hasTable('alias_domain'))) {
      await knex.schema.createTable('alias_domain', (t) => {
        t.string('alias_domain', 255).primary();
        t.string('target_domain', 255).notNullable();
        t.boolean('active').notNullable().defaultTo(true);
      });
    }
  },
  async down(knex: Knex) {
    await knex.schema.dropTableIfExists('alias_domain');
    await knex.schema.dropTableIfExists('domain');
  },
};

const MIGRATIONS = [{ name: '20261128000000_host_domain_tables', migration: createTables }];

/**
 * Refuses a database whose `domain` table this server did not create (a panel's), before any write:
 * its marker table says it did; a database from before the marker is recognised by the demo's
 * migration in `knex_migrations` (a panel's own Knex history never holds that name).
 */
async function assertOwnDatabase(knex: Knex, marker: string): Promise<void> {
  if (await knex.schema.hasTable(marker)) return;
  if (!(await knex.schema.hasTable('domain'))) return;
  if (await knex.schema.hasTable('knex_migrations')) {
    const own: unknown[] = await knex('knex_migrations').where({ name: MIGRATIONS[0].name }).select('name');
    if (own.length > 0) return;
  }
  throw new ConfigError(
    'embedded',
    'is set, but this database already has a "domain" table the server did not create (a panel\'s): attach to the panel with MTA_STS_EMBEDDED=no (no --embedded) and its --preset, e.g. --preset postfixadmin',
  );
}

/** Creates the demo's tables and the marker that they are the server's own; `prefix` the server's table prefix. */
export async function migrateHost(knex: Knex, prefix = DEFAULT_TABLE_PREFIX): Promise<void> {
  const marker = `${prefix}embedded`;
  await assertOwnDatabase(knex, marker);
  await knex.migrate.latest({
    tableName: 'knex_migrations',
    migrationSource: {
      getMigrations: async () => MIGRATIONS,
      getMigrationName: (m) => m.name,
      getMigration: async (m) => m.migration,
    } satisfies Knex.MigrationSource<(typeof MIGRATIONS)[number]>,
  });
  if (!(await knex.schema.hasTable(marker))) {
    await knex.schema.createTable(marker, (t) => {
      t.string('created', 24).notNullable();
    });
    await knex(marker).insert({ created: new Date().toISOString() });
  }
}

/** Seeds the demo domains once, on a fresh database. */
export async function seedDomains(knex: Knex, domains: string[]): Promise<void> {
  const [{ count }] = await knex('domain').count({ count: '*' });
  if (Number(count) > 0) return;
  const names = domains.map((domain) => {
    const name = toALabel(domain);
    if (name === null) throw new Error(`DEMO_DOMAINS: "${domain}" is not a domain name`);
    return name;
  });
  const created = new Date().toISOString();
  await knex('domain').insert(names.map((domain) => ({ domain, description: `Demo domain ${domain}`, created })));
}

/** A cell of the host's domain table as text, whatever its column type. */
export function cell(row: Record<string, unknown>, column: string): string {
  const value = row[column];
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : '';
}

/** A flag as MariaDB (TINYINT 0/1), PostgreSQL (boolean) or SQLite (0/1) stores it. */
export function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';

/**
 * The three databases every store test runs on: SQLite (the embedded default, a temp file), the
 * real MariaDB at 127.0.0.1:3306 (or TEST_MYSQL_URL) and the real PostgreSQL at 127.0.0.1:5432
 * (or TEST_PG_URL; PostfixAdmin and iRedMail run on it too). Neither server is ever skipped: if
 * one cannot be reached, its tests fail.
 */
export type DbKind = 'sqlite' | 'mariadb' | 'postgres';
export const DB_KINDS: DbKind[] = ['sqlite', 'mariadb', 'postgres'];

export interface TestDb {
  kind: DbKind;
  knex: Knex;
  /** Unique per test database, so runs and suites never collide in the shared `test` schema. */
  domainTable: string;
  aliasTable: string;
  migrationsTable: string;
  /** The prefix of the plugin's own tables (history, TLS reports), unique per test database too. */
  tablePrefix: string;
  destroy(): Promise<void>;
}

export async function createTestDb(kind: DbKind): Promise<TestDb> {
  const suffix = randomBytes(4).toString('hex');
  let dir: string | null = null;
  const knex =
    kind === 'sqlite'
      ? knexFactory({
          client: 'better-sqlite3',
          connection: { filename: join((dir = mkdtempSync(join(tmpdir(), 'mta-sts-test-'))), 'panel.sqlite') },
          useNullAsDefault: true,
        })
      : kind === 'mariadb'
        ? knexFactory({
            client: 'mysql2',
            connection: process.env.TEST_MYSQL_URL ?? { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' },
            pool: { min: 0, max: 10 },
          })
        : knexFactory({
            client: 'pg',
            connection: process.env.TEST_PG_URL ?? { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
            pool: { min: 0, max: 10 },
          });
  const db: TestDb = {
    kind,
    knex,
    domainTable: `t_domain_${suffix}`,
    aliasTable: `t_alias_domain_${suffix}`,
    migrationsTable: `t_mta_sts_migrations_${suffix}`,
    tablePrefix: `t_${suffix}_`,
    async destroy() {
      if (kind !== 'sqlite') {
        const own = [
          'history',
          'tlsrpt_settings',
          'tlsrpt_reports',
          'tlsrpt_policies',
          'tlsrpt_failures',
          'tlsrpt_policy_ids',
          'tlsrpt_known_reporters',
          'users',
          'sessions',
          'server_secrets',
          'acme_certificates',
          'acme_accounts',
          'acme_locks',
          'last_checks',
          'settings',
          'check_results',
          'alert_state',
          'login_failures',
          'server_migrations',
          'server_migrations_lock',
          'leases',
          'dns_states',
        ].map((name) => `${db.tablePrefix}${name}`);
        for (const table of [db.domainTable, db.aliasTable, db.migrationsTable, `${db.migrationsTable}_lock`, ...own]) {
          await knex.schema.dropTableIfExists(table);
        }
      }
      await knex.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return db;
}

/** A host domain table shaped like mailcow's `domain`, holding host rows before the plugin arrives. */
export async function createHostTables(db: TestDb, domains: Array<{ domain: string; active?: boolean; description?: string }> = []): Promise<void> {
  await db.knex.schema.createTable(db.domainTable, (t) => {
    t.string('domain', 255).primary();
    t.string('description', 255).nullable();
    t.integer('mailboxes').notNullable().defaultTo(10);
    t.boolean('active').notNullable().defaultTo(true);
  });
  await db.knex.schema.createTable(db.aliasTable, (t) => {
    t.string('alias_domain', 255).primary();
    t.string('target_domain', 255).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
  });
  if (domains.length > 0) {
    await db
      .knex(db.domainTable)
      .insert(domains.map((d, i) => ({ domain: d.domain, description: d.description ?? `host row ${i}`, mailboxes: 10 + i, active: d.active ?? true })));
  }
}

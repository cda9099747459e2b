// The data every bench server and figure shares: the policy served, the domain names, the
// databases (SQLite files in the bench's temp folder, MariaDB databases/tables with unique names).
import { randomBytes } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { migrateHost } from '../../src/server/host-schema';
import { renderPolicy } from '../../src/policy';
import { COLUMNS } from '../../src/store/columns';

export const POLICY_PATH = '/.well-known/mta-sts.txt';
export const MAIL_HOSTNAME = 'mail.example.org';
export const POLICY_ID = '20261128000000';
export const POLICY = { version: 'STSv1', mode: 'enforce', mx: [MAIL_HOSTNAME], maxAge: 86400 } as const;
/** The policy file every server under test answers with (the plugin renders the same text). */
export const POLICY_TEXT = renderPolicy({ ...POLICY, mx: [...POLICY.mx] });
export const MAIN_DOMAIN = 'example.org';

/** `count` host domains: example.org first, then d1.example, d2.example, ... */
export function domainNames(count: number): string[] {
  const names = [MAIN_DOMAIN];
  for (let i = 1; names.length < count; i++) names.push(`d${i}.example`);
  return names.slice(0, count);
}

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export type DbSpec = { kind: 'sqlite'; file: string } | { kind: 'mariadb'; database: string };

export function openKnex(db: DbSpec, pool = 10): Knex {
  return db.kind === 'sqlite'
    ? knexFactory({ client: 'better-sqlite3', connection: { filename: db.file }, useNullAsDefault: true })
    : knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: db.database }, pool: { min: 0, max: pool } });
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The demo host hard-codes its table names (`domain`, `alias_domain`, `knex_migrations`), so on
 * MariaDB each demo host gets a database of its own, named uniquely and dropped at the end.
 */
export async function createDatabase(name: string): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: { ...MYSQL }, pool: { min: 0, max: 1 } });
  try {
    await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [name]);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabases(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = knexFactory({ client: 'mysql2', connection: { ...MYSQL }, pool: { min: 0, max: 1 } });
  try {
    for (const name of names) await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
  } finally {
    await admin.destroy();
  }
}

/** The demo host's tables holding `names`, inserted in batches (before the demo seeds anything). */
export async function seedHost(knex: Knex, names: string[]): Promise<void> {
  await migrateHost(knex);
  const created = new Date().toISOString();
  const rows = names.map((domain, i) => ({ domain, description: `Bench domain ${i}`, created }));
  for (let i = 0; i < rows.length; i += 500) await knex('domain').insert(rows.slice(i, i + 500));
}

/** Every domain gets the bench policy, active (as if each had been saved once). */
export async function activateAll(knex: Knex, table = 'domain'): Promise<void> {
  await knex(table).update({
    [COLUMNS.active]: true,
    [COLUMNS.version]: POLICY.version,
    [COLUMNS.mode]: POLICY.mode,
    [COLUMNS.maxAge]: POLICY.maxAge,
    [COLUMNS.mx]: POLICY.mx.join(','),
    [COLUMNS.id]: POLICY_ID,
    [COLUMNS.updatedAt]: '2026-11-28T00:00:00.000Z',
    [COLUMNS.revision]: 1,
  });
}

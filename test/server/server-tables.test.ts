// The standalone server's own tables (accounts, sessions, secrets, failed logins) in its own
// migration chain: a database migrated by the main of 2026-12-07 (when the library's chain made
// them) upgrades with its rows and logins; a host panel's database gets none of them; rolling the
// library back never drops them. On SQLite, MariaDB and PostgreSQL.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import * as columns from '../../migrations/20261128000000_add_mta_sts_columns';
import * as history from '../../migrations/20261201000000_add_mta_sts_history';
import * as reportTables from '../../migrations/20261201000100_add_tls_report_tables';
import * as serverAccounts from '../../migrations/20261201000200_add_server_accounts';
import * as acmeTables from '../../migrations/20261201000300_add_acme_tables';
import * as overviewTables from '../../migrations/20261201000400_add_mta_sts_overview_tables';
import * as checkTables from '../../migrations/20261201000500_add_mta_sts_checks';
import * as boundReports from '../../migrations/20261207000000_bound_tls_reports';
import * as loginFailures from '../../migrations/20261207000100_add_server_login_failures';
import * as serverTables from '../../migrations/server/20261208000100_add_server_tables';
import { Accounts } from '../../src/server/accounts';
import { migrateHost } from '../../src/server/host-schema';
import { LoginLimit } from '../../src/server/login-limit';
import { serverSecret } from '../../src/server/secrets';
import { migrateServerTables } from '../../src/server/server-schema';
import { migrationStatus, rollbackAll, type MigrateOptions } from '../../src/store/migrate';
import { DB_KINDS, createTestDb, type DbKind, type TestDb } from '../support/db';
import { createServer } from '../support/server';
import { describeColumns, describeIndexes, migrateOptions, tableDefinition } from '../support/store';
import { logIn, postfixAdminDb, serve } from '../support/standalone';

const PASSWORD = 'a long enough password';
const SERVER_TABLES = ['users', 'sessions', 'server_secrets', 'login_failures'];
const SERVER_CHAIN = ['20261208000100_add_server_tables.js'];

type Config = { table: string; keyColumn: string; tablePrefix: string };
/** The library's chain exactly as the main of 2026-12-07 ran it: the real files, the server's two among them. */
const TODAYS_MAIN: Array<[string, { up(knex: Knex, config: Config): Promise<void>; down(knex: Knex, config: Config): Promise<void> }]> = [
  ['20261128000000_add_mta_sts_columns.js', columns],
  ['20261201000000_add_mta_sts_history.js', history],
  ['20261201000100_add_tls_report_tables.js', reportTables],
  ['20261201000200_add_server_accounts.js', serverAccounts],
  ['20261201000300_add_acme_tables.js', acmeTables],
  ['20261201000400_add_mta_sts_overview_tables.js', overviewTables],
  ['20261201000500_add_mta_sts_checks.js', checkTables],
  ['20261207000000_bound_tls_reports.js', boundReports],
  ['20261207000100_add_server_login_failures.js', loginFailures],
];
const TODAYS_NAMES = TODAYS_MAIN.map(([name]) => name);

async function migrateAsTodaysMain(knex: Knex, config: Config, tableName: string): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({
    tableName,
    migrationSource: {
      getMigrations: async () => TODAYS_MAIN,
      getMigrationName: ([name]) => name,
      getMigration: async ([, module]) => ({ up: (k: Knex) => module.up(k, config), down: (k: Knex) => module.down(k, config) }),
    } satisfies Knex.MigrationSource<(typeof TODAYS_MAIN)[number]>,
  })) as [number, string[]];
  return applied;
}

async function tablesPresent(knex: Knex, prefix: string): Promise<string[]> {
  const present: string[] = [];
  for (const name of [...SERVER_TABLES, 'server_migrations']) if (await knex.schema.hasTable(`${prefix}${name}`)) present.push(name);
  return present;
}

/** A session cookie as express-session signs it (cookie-signature: HMAC-SHA256, base64 without padding). */
function sessionCookie(sid: string, secret: string): string {
  const signature = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `mta-sts.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** A panel database with PostfixAdmin's tables: a new one on the real MariaDB or PostgreSQL, a file for SQLite. */
async function panelDatabase(kind: DbKind): Promise<{ url: string; knex: Knex; drop(): Promise<void> }> {
  if (kind !== 'sqlite') return postfixAdminDb(kind, ['example.org']);
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-upgrade-'));
  const file = join(dir, 'panel.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  // The same shape (mailcow's, as PostfixAdmin's): `domain` and `alias_domain`.
  await migrateHost(knex);
  await knex('domain').insert({ domain: 'example.org' });
  return {
    url: `sqlite:${file}`,
    knex,
    async drop() {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const kind of DB_KINDS) {
  describe(`a database migrated by the main of 2026-12-07, then by this version, on ${kind}`, function () {
    this.timeout(120_000);
    const library: MigrateOptions = { table: 'domain', keyColumn: 'domain', tablePrefix: 'mta_sts_', migrationsTable: 'mta_sts_migrations' };
    let db: Awaited<ReturnType<typeof panelDatabase>>;
    before(async () => {
      db = await panelDatabase(kind);
    });
    after(() => db.drop());

    it('keeps the accounts, sessions and secrets; the library chain runs again; serve logs the old session and the account in', async () => {
      assert.deepEqual(await migrateAsTodaysMain(db.knex, library, library.migrationsTable), TODAYS_NAMES);
      assert.deepEqual(await tablesPresent(db.knex, 'mta_sts_'), SERVER_TABLES, "today's library chain made the server's tables");
      const accounts = new Accounts(db.knex, 'mta_sts_users');
      await accounts.add('alice', PASSWORD);
      // The three secrets an earlier start made; the session cookie is signed with the first.
      const [secret] = await Promise.all(['session', 'login-csrf', 'tab-csrf'].map((name) => serverSecret(db.knex, 'mta_sts_server_secrets', name)));
      const store = new ConnectSessionKnexStore({ knex: db.knex, tableName: 'mta_sts_sessions', createTable: false, cleanupInterval: 0 });
      const expires = new Date(Date.now() + 3600_000).toISOString();
      await store.set('session-from-before', {
        cookie: { originalMaxAge: 3600_000, expires, httpOnly: true, path: '/', sameSite: 'lax', secure: false },
        user: 'alice',
      } as never);
      await new LoginLimit(db.knex, 'mta_sts_login_failures').failed('192.0.2.9', 'mallory');
      const before = {
        users: await db.knex('mta_sts_users').select('*'),
        secrets: await db.knex('mta_sts_server_secrets').select('*').orderBy('name'),
        sessions: await db.knex('mta_sts_sessions').select('sid').orderBy('sid'),
        failures: await db.knex('mta_sts_login_failures').select('*').orderBy('key_hash'),
      };

      const server = await serve(['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9']);
      try {
        const old = sessionCookie('session-from-before', secret);
        assert.equal((await request(server.base).get('/domains').redirects(0)).status, 303, 'without a session: to the login');
        assert.equal((await request(server.base).get('/domains').set('Cookie', old).redirects(0)).status, 200, 'the session from before the upgrade');
        const cookie = await logIn(server.base, 'alice', PASSWORD);
        assert.equal((await request(server.base).get('/domains').set('Cookie', cookie).redirects(0)).status, 200, 'a new login');
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }

      assert.deepEqual(await db.knex('mta_sts_users').select('*'), before.users);
      assert.deepEqual(await db.knex('mta_sts_server_secrets').select('*').orderBy('name'), before.secrets);
      const sessions = await db.knex<{ sid: string }>('mta_sts_sessions').select('sid');
      assert.ok(sessions.some((row) => row.sid === 'session-from-before') && sessions.length === before.sessions.length + 1, JSON.stringify(sessions));
      assert.deepEqual(await db.knex('mta_sts_login_failures').select('*').orderBy('key_hash'), before.failures);
      const status = await migrationStatus(db.knex, library);
      assert.deepEqual(status.pending, []);
      assert.deepEqual(
        TODAYS_NAMES.filter((name) => !status.applied.includes(name)),
        [],
        "today's names stay recorded in the library's chain",
      );
      assert.deepEqual(await db.knex('mta_sts_server_migrations').pluck('name'), SERVER_CHAIN, 'the server chain found its tables and recorded itself');
      assert.equal(status.applied.filter((name) => SERVER_CHAIN.includes(name)).length, 0, 'the library chain never sees its names');
    });

    it("rolls the library back without the server's tables, and serve then starts with them as they were", async () => {
      const reverted = await rollbackAll(db.knex, library);
      assert.ok(
        reverted.includes('20261201000200_add_server_accounts.js') && reverted.includes('20261207000100_add_server_login_failures.js'),
        String(reverted),
      );
      assert.equal(await db.knex.schema.hasColumn('domain', 'mta_sts_mode'), false, 'the library is gone from the panel');
      assert.deepEqual(await tablesPresent(db.knex, 'mta_sts_'), [...SERVER_TABLES, 'server_migrations']);
      const server = await serve(['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9']);
      try {
        const cookie = await logIn(server.base, 'alice', PASSWORD);
        assert.equal((await request(server.base).get('/domains').set('Cookie', cookie).redirects(0)).status, 200);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    });
  });
}

for (const kind of DB_KINDS) {
  describe(`the server's tables and a host panel's database, on ${kind}`, function () {
    this.timeout(60_000);

    it("a host that mounts the library gets none; the server's chain makes them, recorded apart; its down drops them", async () => {
      const host = await createServer({ db: kind });
      const { db } = host;
      try {
        assert.deepEqual(await tablesPresent(db.knex, db.tablePrefix), [], 'migrate() made no server table');
        assert.deepEqual((await migrationStatus(db.knex, migrateOptions(db))).pending, []);

        assert.deepEqual(await migrateServerTables(db.knex, db.tablePrefix), SERVER_CHAIN);
        assert.deepEqual(await migrateServerTables(db.knex, db.tablePrefix), [], 'a second run applies nothing');
        assert.deepEqual(await tablesPresent(db.knex, db.tablePrefix), [...SERVER_TABLES, 'server_migrations']);
        assert.ok(!(await db.knex(db.migrationsTable).pluck('name')).some((name: string) => SERVER_CHAIN.includes(name)));
        await host.mtaSts.rollback();
        assert.deepEqual(await tablesPresent(db.knex, db.tablePrefix), [...SERVER_TABLES, 'server_migrations'], "the library's rollback leaves them");
        await serverTables.down(db.knex, { tablePrefix: db.tablePrefix });
        assert.deepEqual(await tablesPresent(db.knex, db.tablePrefix), ['server_migrations']);
      } finally {
        await host.close();
      }
    });

    it("makes the same tables as the library's two migrations did before the move", async () => {
      const db: TestDb = await createTestDb(kind);
      const [old, moved] = [`${db.tablePrefix}o_`, `${db.tablePrefix}n_`];
      try {
        await serverAccounts.up(db.knex, { tablePrefix: old });
        await loginFailures.up(db.knex, { tablePrefix: old });
        await serverTables.up(db.knex, { tablePrefix: moved });
        for (const name of SERVER_TABLES) {
          const shape = async (prefix: string) =>
            JSON.stringify({
              columns: await describeColumns(db, `${prefix}${name}`),
              indexes: await describeIndexes(db, `${prefix}${name}`),
              definition: await tableDefinition(db, `${prefix}${name}`),
            }).replaceAll(prefix, '<prefix>');
          assert.equal(await shape(moved), await shape(old), name);
        }
      } finally {
        await serverTables.down(db.knex, { tablePrefix: moved });
        await serverAccounts.down(db.knex, { tablePrefix: old });
        await loginFailures.down(db.knex, { tablePrefix: old });
        await db.destroy();
      }
    });
  });
}

describe("the server's tables on MariaDB that forces alter_algorithm=INSTANT (as a host may)", function () {
  this.timeout(60_000);

  it('are made all the same: the indexes of the new, empty tables explicitly in place', async () => {
    const db = await createTestDb('mariadb');
    const instant = knexFactory({
      client: 'mysql2',
      connection: process.env.TEST_MYSQL_URL ?? { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' },
      pool: {
        min: 0,
        max: 2,
        afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
          conn.query("SET SESSION alter_algorithm = 'INSTANT'", (err) => done(err, conn));
        },
      },
    });
    try {
      assert.deepEqual(await migrateServerTables(instant, db.tablePrefix), SERVER_CHAIN);
      assert.deepEqual(await tablesPresent(db.knex, db.tablePrefix), [...SERVER_TABLES, 'server_migrations']);
      // The control: this session refuses an index added the usual way.
      await assert.rejects(
        instant.raw('ALTER TABLE ?? ADD INDEX ?? (??)', [`${db.tablePrefix}users`, 'control_idx', 'created_at']),
        /ALGORITHM=INSTANT is not supported/,
      );
    } finally {
      await instant.destroy();
      await db.destroy();
    }
  });
});

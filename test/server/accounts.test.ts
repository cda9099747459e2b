// `mta-sts admin add|passwd|remove` with --password-stdin, and what the login form then accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { Accounts, hashPassword, verifyPassword } from '../../src/server/accounts';
import { createPanel } from '../../src/server/app';
import { DB_KINDS, createHostTables, createTestDb } from '../support/db';
import { cli, logIn } from '../support/standalone';

describe('mta-sts admin (accounts of the standalone server)', function () {
  this.timeout(60_000);
  let dir: string;
  let url: string;
  let knex: Knex;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-accounts-'));
    url = `sqlite:${join(dir, 'panel.sqlite')}`;
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    // The embedded default's first start: its tables, and no account (no adminPassword given).
    await createPanel({ knex, mailHostname: 'mail.example.org', dnsServers: ['127.0.0.1:9'] }).then((panel) => panel.close());
  });
  after(async () => {
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], input?: string) => cli(['--database', url, 'admin', ...args], { input, cwd: dir });

  it('adds an account from stdin, stores only a salted scrypt hash, and refuses a second with that name', async () => {
    const add = await run(['add', 'alice', '--password-stdin'], 'first password 123\n');
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, 'added alice\n');
    const row = (await knex('mta_sts_users').where({ username: 'alice' }).first()) as Record<string, unknown>;
    const hash = String(row.password_hash);
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!hash.includes('first password'));
    // The trailing newline of `echo` is not part of the password.
    assert.equal(await new Accounts(knex, 'mta_sts_users').verify('alice', 'first password 123'), 'alice');
    const again = await run(['add', 'alice', '--password-stdin'], 'another password 1');
    assert.equal(again.code, 2);
    assert.equal(again.stderr, 'mta-sts: the user "alice" exists already; use `mta-sts admin passwd alice`\n');
  });

  it('changes a password: the old one stops working, the new one logs in', async () => {
    const passwd = await run(['passwd', 'alice', '--password-stdin'], 'second password 456');
    assert.equal(passwd.code, 0, passwd.stderr);
    const accounts = new Accounts(knex, 'mta_sts_users');
    assert.equal(await accounts.verify('alice', 'first password 123'), null);
    assert.equal(await accounts.verify('alice', 'second password 456'), 'alice');
    const { app, close } = await createPanel({ knex, mailHostname: 'mail.example.org', dnsServers: ['127.0.0.1:9'] });
    const http: Server = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
      const cookie = await logIn(base, 'alice', 'second password 456');
      assert.equal((await request(base).get('/domains').set('Cookie', cookie).redirects(0)).status, 200);
      await assert.rejects(logIn(base, 'alice', 'first password 123'), /login: 401/);
      // Removing the account ends its session at the next request.
      assert.equal((await run(['remove', 'alice'])).code, 0);
      assert.equal((await request(base).get('/domains').set('Cookie', cookie).redirects(0)).status, 303);
    } finally {
      close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('refuses, in one sentence and exit code 2: an unknown user, a short password, a bad name, no password source', async () => {
    const cases: Array<[string[], string | undefined, string]> = [
      [['passwd', 'nobody', '--password-stdin'], 'long enough password', 'mta-sts: there is no user "nobody"\n'],
      [['remove', 'nobody'], undefined, 'mta-sts: there is no user "nobody"\n'],
      [['add', 'bob', '--password-stdin'], 'short', 'mta-sts: the password must have at least 10 characters\n'],
      [
        ['add', 'bob/../x', '--password-stdin'],
        'long enough password',
        'mta-sts: "bob/../x" is not a valid user name (letters, digits and . _ @ -, at most 64, starting with a letter or digit)\n',
      ],
      [['add', 'bob'], undefined, 'mta-sts: give the password on stdin with --password-stdin, or run this on a terminal to be asked for it\n'],
    ];
    for (const [args, input, message] of cases) {
      const result = await run(args, input);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, message);
    }
    // There is no flag that takes a password on the command line.
    const flag = await run(['add', 'bob', '--password', 'long enough password']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--password'/);
  });

  it('hashes verify in constant shape: a damaged or foreign hash never matches', async () => {
    const hash = await hashPassword('some password 1');
    assert.equal(await verifyPassword('some password 1', hash), true);
    assert.equal(await verifyPassword('some password 2', hash), false);
    for (const bad of ['', 'plain', hash.replace('scrypt', 'bcrypt'), hash.replace('$32768$', '$99999999$'), hash.slice(0, -2)]) {
      assert.equal(await verifyPassword('some password 1', bad), false, bad);
    }
  });
});

describe('two servers started at once with ADMIN_PASSWORD on a database without accounts', function () {
  this.timeout(60_000);
  for (const kind of DB_KINDS) {
    it(`both start, and there is one admin (${kind})`, async () => {
      const db = await createTestDb(kind);
      try {
        await createHostTables(db, [{ domain: 'example.org' }]);
        const schema = {
          domainTable: db.domainTable,
          domainColumn: 'domain',
          domainActiveColumn: 'active',
          aliasDomains: { table: db.aliasTable, aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
        };
        const options = { knex: db.knex, schema, embedded: false, tablePrefix: db.tablePrefix, mailHostname: 'mail.example.org', dnsServers: ['127.0.0.1:9'] };
        // The tables exist (a first start without a password), as after the migrations of either server.
        await createPanel(options).then((panel) => panel.close());
        const panels = await Promise.all([1, 2].map(() => createPanel({ ...options, adminPassword: 'the admin password 1' })));
        for (const panel of panels) panel.close();
        assert.equal(panels.filter((panel) => panel.createdAdmin).length, 1, 'one of them created it');
        assert.equal(await new Accounts(db.knex, `${db.tablePrefix}users`).verify('admin', 'the admin password 1'), 'admin');
      } finally {
        await db.destroy();
      }
    });
  }
});

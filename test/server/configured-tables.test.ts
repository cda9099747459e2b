// A table or column the settings name that the database lacks (issue 21: the default preset on a
// PostfixAdmin database without `alias_domain`): `serve` and the commands that read the panel's
// tables refuse to start in one sentence naming it and the flag that changes it (exit 2), `status`
// lists it, and a running server's /healthz says degraded and why, and logs the failed load.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { cli, postfixAdminDb, serve, type PanelDb, type Run } from '../support/standalone';

const QUIET = { ADMIN_PASSWORD: 'a long enough password', MTA_STS_CHECK_INTERVAL_MINUTES: '0', DNS_SERVERS: '127.0.0.1:9' };
const NO_ALIAS_TABLE =
  /^mta-sts: alias-table "alias_domain" does not exist in .*: name the panel's table with --alias-table \(MTA_STS_ALIAS_TABLE\), or give --alias-table none if the panel has none$/;

function assertOneSentence(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** PostfixAdmin's `domain` table in a SQLite file, without `alias_domain`. */
async function sqlitePanel(file: string): Promise<{ url: string; knex: Knex }> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  await knex.schema.createTable('domain', (t) => {
    t.string('domain', 255).primary();
    t.string('description', 255).notNullable().defaultTo('');
    t.boolean('active').notNullable().defaultTo(true);
  });
  await knex('domain').insert({ domain: 'example.org' });
  return { url: `sqlite:${file}`, knex };
}

describe('a table or column the settings name that the database lacks', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-configured-tables-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['sqlite', 'mariadb', 'postgres'] as const) {
    it(`the default preset on a PostfixAdmin database without alias_domain (${kind}): serve, show, certificate-names and status exit 2 naming --alias-table`, async () => {
      let db: PanelDb | null = null;
      let sqlite: Knex | null = null;
      let url: string;
      if (kind === 'sqlite') {
        const panel = await sqlitePanel(join(dir, 'postfix.sqlite'));
        sqlite = panel.knex;
        url = panel.url;
      } else {
        db = await postfixAdminDb(kind, ['example.org']);
        await db.knex.schema.dropTable('alias_domain');
        url = db.url;
      }
      try {
        const base = ['--database', url, '--mail-hostname', 'mx.panel.test'];
        assertOneSentence(await cli([...base, 'serve', '--port', '0'], { env: QUIET, cwd: dir }), NO_ALIAS_TABLE);
        assertOneSentence(await cli([...base, 'show', 'example.org'], { cwd: dir }), NO_ALIAS_TABLE);
        assertOneSentence(await cli([...base, 'certificate-names'], { cwd: dir }), NO_ALIAS_TABLE);

        // With the flag the sentence names, everything runs.
        const none = [...base, '--alias-table', 'none'];
        assert.equal((await cli([...none, 'migrate'], { cwd: dir })).code, 0);
        const set = await cli([...none, 'set', 'example.org', '--mode', 'testing', '--mx', 'mx.panel.test', '--active', 'yes'], { cwd: dir });
        assert.equal(set.code, 0, set.stderr);

        // status says what is missing rather than "columns missing: none", and exits 2.
        const status = await cli([...base, 'status'], { cwd: dir });
        assertOneSentence(status, NO_ALIAS_TABLE);
        assert.match(status.stdout, /^panel tables and columns missing: alias_domain$/m);
        assert.match(status.stdout, /^names served: unknown \(panel tables or columns missing\)$/m);
        const json = await cli([...base, 'status', '--json'], { cwd: dir });
        assert.equal(json.code, 2);
        assert.deepEqual((JSON.parse(json.stdout) as { missingHost: unknown }).missingHost, [
          { setting: 'aliasDomains.table', table: 'alias_domain', column: null },
        ]);

        const fine = await cli([...none, 'status'], { cwd: dir });
        assert.equal(fine.code, 0, fine.stderr);
        assert.match(fine.stdout, /^panel tables and columns missing: none$/m);
        assert.match(fine.stdout, /^names served: 1$/m);
      } finally {
        await sqlite?.destroy();
        await db?.drop();
      }
    });
  }

  it('a mapped column the table lacks (MariaDB, SQLite): the sentence names the column and its flag', async () => {
    const db = await postfixAdminDb('mariadb', ['example.org']);
    const panel = await sqlitePanel(join(dir, 'postfix.sqlite'));
    try {
      await db.knex.schema.alterTable('alias_domain', (t) => t.dropColumn('active'));
      const base = ['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mx.panel.test'];
      const noActive =
        /^mta-sts: alias-active-column "active" is not a column of the table "alias_domain" in .*: name the panel's column with --alias-active-column \(MTA_STS_ALIAS_ACTIVE_COLUMN\), or give --alias-active-column none if the panel has none$/;
      assertOneSentence(await cli([...base, 'serve', '--port', '0'], { env: QUIET, cwd: dir }), noActive);
      assertOneSentence(await cli([...base, 'list'], { cwd: dir }), noActive);
      assert.equal((await cli([...base, '--alias-active-column', 'none', 'migrate'], { cwd: dir })).code, 0);

      const sqliteBase = ['--database', panel.url, '--alias-table', 'none', '--mail-hostname', 'mx.panel.test'];
      assertOneSentence(
        await cli([...sqliteBase, '--domain-column', 'domain_name', 'show', 'example.org'], { cwd: dir }),
        /^mta-sts: domain-column "domain_name" is not a column of the table "domain" in sqlite:.*: name the panel's column with --domain-column \(MTA_STS_DOMAIN_COLUMN\)$/,
      );
      const status = await cli([...sqliteBase, 'status'], { cwd: dir, env: { MTA_STS_ACTIVE_COLUMN: 'enabled' } });
      assert.equal(status.code, 2, status.stderr);
      assert.match(status.stdout, /^panel tables and columns missing: domain\.enabled$/m);
      assert.match(
        status.stderr,
        /^mta-sts: active-column "enabled" is not a column of the table "domain" .*--active-column \(MTA_STS_ACTIVE_COLUMN\), or give --active-column none/,
      );
    } finally {
      await panel.knex.destroy();
      await db.drop();
    }
  });

  it('a table dropped under a running server: /healthz 503 degraded with the reason, and the failed load logged with its cause', async () => {
    const db = await postfixAdminDb('mariadb', ['example.org']);
    let server: Awaited<ReturnType<typeof serve>> | null = null;
    try {
      const args = ['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mx.panel.test'];
      server = await serve(args, QUIET, dir);
      const ok = await request(server.base).get('/healthz');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.status, 'ok');
      assert.equal(ok.body.reason, undefined);

      await db.knex.schema.dropTable('alias_domain');
      const degraded = await request(server.base).get('/healthz');
      assert.equal(degraded.status, 503);
      assert.equal(degraded.body.status, 'degraded');
      assert.equal(degraded.body.database, 'reachable');
      assert.match(degraded.body.reason as string, /^alias-table "alias_domain" does not exist in the database: .*--alias-table \(MTA_STS_ALIAS_TABLE\)/);

      // The next reload of the served set fails: the log says why, once.
      const failed = /loading the served set failed: the table \\?"alias_domain\\?" does not exist: set the option aliasDomains\.table/;
      for (let i = 0; i < 120 && !failed.test(server.output()); i++) {
        await request(server.base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.match(server.output(), failed);
      assert.equal(
        server
          .output()
          .split('\n')
          .filter((line) => failed.test(line)).length,
        1,
        server.output(),
      );
    } finally {
      if (server) await server.stop();
      await db.drop();
    }
  });
});

// Attached to a panel's database, nothing silent and nothing written where it should not be: the
// mail host name is required (the demo's placeholder would reach every record), embedded mode never
// writes into a panel's `domain` table, and a mistyped SQLite path is refused rather than created.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { cli, postfixAdminDb, serve, type Run } from '../support/standalone';

function assertOneSentence(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

const MAIL_HOST_REFUSED = /^mta-sts: mail-hostname is required with a panel database: .*--mail-hostname/;
const EMBEDDED_REFUSED =
  /^mta-sts: embedded is set, but this database already has a "domain" table the server did not create .*MTA_STS_EMBEDDED=no .*--preset postfixadmin$/;
const QUIET = { ADMIN_PASSWORD: 'a long enough password', MTA_STS_CHECK_INTERVAL_MINUTES: '0', DNS_SERVERS: '127.0.0.1:9' };

function sqliteKnex(file: string): Knex {
  return knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
}

describe('attached to a panel: nothing silent, nothing written where it should not be', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-panel-guards-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('the mail host name', () => {
    it('serve and show on a PostfixAdmin database refuse to start without --mail-hostname, and run with it', async () => {
      const db = await postfixAdminDb('mariadb', ['example.org']);
      try {
        const base = ['--database', db.url, '--preset', 'postfixadmin'];
        assertOneSentence(await cli([...base, 'serve'], { env: QUIET, cwd: dir }), MAIL_HOST_REFUSED);
        assertOneSentence(await cli([...base, 'show', 'example.org'], { cwd: dir }), MAIL_HOST_REFUSED);
        assertOneSentence(await cli([...base, 'check', 'example.org', '--no-probes'], { cwd: dir }), MAIL_HOST_REFUSED);
        // Nothing was written before the refusal.
        assert.equal(await db.knex.schema.hasTable('mta_sts_migrations'), false);

        const named = [...base, '--mail-hostname', 'mx.panel.test'];
        const server = await serve(named, QUIET, dir);
        assert.equal(await server.stop(), 0, server.output());
        const set = await cli([...named, 'set', 'example.org', '--mode', 'testing', '--mx', 'mx.panel.test', '--active', 'yes'], { cwd: dir });
        assert.equal(set.code, 0, set.stderr);
        const show = await cli([...named, 'show', 'example.org'], { cwd: dir });
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /^mta-sts\.example\.org\.?\s.*CNAME\s+mx\.panel\.test\.?$/m);
        // The same from the environment.
        const fromEnv = await cli([...base, 'show', 'example.org'], { cwd: dir, env: { MAIL_HOSTNAME: 'mx.panel.test' } });
        assert.equal(fromEnv.code, 0, fromEnv.stderr);
      } finally {
        await db.drop();
      }
    });

    it('the embedded default starts without it, and creates its database', async () => {
      const server = await serve([], QUIET, dir);
      assert.equal(await server.stop(), 0, server.output());
      assert.equal(existsSync(join(dir, 'data', 'panel.sqlite')), true);
    });
  });

  describe('the embedded flag', () => {
    it('MariaDB: MTA_STS_EMBEDDED=yes on a PostfixAdmin database is refused before any write', async () => {
      const db = await postfixAdminDb('mariadb', []);
      try {
        await db.knex.schema.dropTable('alias_domain');
        const run = await cli(['--database', db.url, '--mail-hostname', 'mx.panel.test', 'serve'], { env: { ...QUIET, MTA_STS_EMBEDDED: 'yes' }, cwd: dir });
        assertOneSentence(run, EMBEDDED_REFUSED);
        assert.equal(await db.knex.schema.hasTable('alias_domain'), false, 'no demo table created');
        assert.deepEqual(await db.knex('domain').pluck('domain'), [], 'no demo domain inserted');
        assert.equal(await db.knex.schema.hasTable('mta_sts_embedded'), false);
      } finally {
        await db.drop();
      }
    });

    it("SQLite: a panel's domain table is refused; a fresh file becomes the server's own", async () => {
      const file = join(dir, 'panel.sqlite');
      const knex = sqliteKnex(file);
      try {
        await knex.schema.createTable('domain', (t) => {
          t.string('domain').primary();
          t.boolean('active').defaultTo(true);
        });
        await knex('domain').insert({ domain: 'panel.example' });
        const run = await cli(['--database', `sqlite:${file}`, 'serve'], { env: { ...QUIET, MTA_STS_EMBEDDED: 'yes' }, cwd: dir });
        assertOneSentence(run, EMBEDDED_REFUSED);
        assert.deepEqual(await knex('domain').pluck('domain'), ['panel.example']);
        assert.equal(await knex.schema.hasTable('alias_domain'), false);
      } finally {
        await knex.destroy();
      }
      const own = join(dir, 'own.sqlite');
      const server = await serve(['--database', `sqlite:${own}`], { ...QUIET, MTA_STS_EMBEDDED: 'yes' }, dir);
      assert.equal(await server.stop(), 0, server.output());
      const check = sqliteKnex(own);
      try {
        assert.equal(await check.schema.hasTable('mta_sts_embedded'), true, 'the marker is created with the demo tables');
        assert.deepEqual((await check('domain').pluck('domain')).sort(), ['example.net', 'example.org']);
      } finally {
        await check.destroy();
      }
    });

    for (const kind of ['sqlite', 'mariadb'] as const) {
      it(`${kind}: an embedded database from before the marker keeps working, and gets its marker`, async () => {
        const file = join(dir, 'old.sqlite');
        const db = kind === 'mariadb' ? await postfixAdminDb('mariadb', []) : null;
        try {
          if (db) {
            await db.knex.schema.dropTable('alias_domain');
            await db.knex.schema.dropTable('domain');
          }
          const url = db ? db.url : `sqlite:${file}`;
          const env = { ...QUIET, MTA_STS_EMBEDDED: 'yes' };
          const first = await serve(['--database', url], env, dir);
          assert.equal(await first.stop(), 0, first.output());
          // As before this change: the demo's tables and its migration, no marker.
          const knex = db ? db.knex : sqliteKnex(file);
          try {
            await knex.schema.dropTable('mta_sts_embedded');
            await knex('domain').insert({ domain: 'added.example', description: 'added', created: '' });
          } finally {
            if (!db) await knex.destroy();
          }
          const again = await serve(['--database', url], env, dir);
          assert.equal(await again.stop(), 0, again.output());
          const after = db ? db.knex : sqliteKnex(file);
          try {
            assert.equal(await after.schema.hasTable('mta_sts_embedded'), true);
            assert.deepEqual((await after('domain').pluck('domain')).sort(), ['added.example', 'example.net', 'example.org']);
          } finally {
            if (!db) await after.destroy();
          }
        } finally {
          await db?.drop();
        }
      });
    }
  });

  describe('mistyped SQLite paths', () => {
    it('a command on a missing SQLite file refuses it in one sentence and creates nothing', async () => {
      const wrong = join(dir, 'wrong', 'path.sqlite');
      assertOneSentence(
        await cli(['--database', `sqlite:${wrong}`, 'list'], { cwd: dir }),
        /^mta-sts: database names the SQLite file .*wrong\/path\.sqlite, which does not exist: .*--database/,
      );
      assert.equal(existsSync(join(dir, 'wrong')), false);
      // A host app with no --database: the default file is not created either.
      assertOneSentence(await cli(['list'], { cwd: dir }), /^mta-sts: database names the SQLite file .*data\/panel\.sqlite, which does not exist/);
      assertOneSentence(await cli(['admin', 'remove', 'x'], { cwd: dir }), /^mta-sts: database names the SQLite file .*data\/panel\.sqlite/);
      // Nor by serve attached to a panel (not embedded).
      assertOneSentence(
        await cli(['--database', `sqlite:${wrong}`, '--preset', 'postfixadmin', '--mail-hostname', 'mx.panel.test', 'serve'], { env: QUIET, cwd: dir }),
        /^mta-sts: database names the SQLite file .*wrong\/path\.sqlite, which does not exist/,
      );
      assert.equal(existsSync(join(dir, 'data')), false);
      assert.equal(existsSync(join(dir, 'wrong')), false);
    });
  });
});

// The standalone server as a person runs it: `mta-sts serve` as a child process on a loopback
// port, attached to a PostfixAdmin database on the real PostgreSQL and MariaDB, accounts made
// with `mta-sts admin`, policies set with `mta-sts set`, a restart in between.
import assert from 'node:assert/strict';
import request from 'supertest';
import { textOf } from '../support/server';
import { cli, logIn, postfixAdminDb, serve, type PanelDb } from '../support/standalone';

const PASSWORD = 'a long enough password';

for (const kind of ['postgres', 'mariadb'] as const) {
  describe(`mta-sts serve --preset postfixadmin on ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`, function () {
    this.timeout(120_000);
    let db: PanelDb;
    const args = () => ['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9'];
    before(async () => {
      db = await postfixAdminDb(kind, ['example.org', 'example.net']);
    });
    after(() => db.drop());

    it('serves a policy set with `mta-sts set` by Host, shows it in the tab after logging in, and keeps the session over a restart', async () => {
      const migrate = await cli([...args(), 'migrate']);
      assert.equal(migrate.code, 0, migrate.stderr);
      const add = await cli([...args(), 'admin', 'add', 'postmaster', '--password-stdin'], { input: `${PASSWORD}\n` });
      assert.equal(add.code, 0, add.stderr);
      const set = await cli([...args(), 'set', 'example.org', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);

      let server = await serve(args());
      try {
        const policy = await request(server.base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
        assert.equal(policy.status, 200);
        assert.equal(policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
        assert.equal((await request(server.base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.net')).status, 404, 'no policy set');

        const cookie = await logIn(server.base, 'postmaster', PASSWORD);
        const tab = await request(server.base).get('/domains/example.org?tab=mta-sts').set('Cookie', cookie).redirects(0);
        assert.equal(tab.status, 200);
        assert.match(textOf(tab.text), /mail\.example\.org/);
        assert.match(tab.text, /value="testing"[^>]*checked|checked[^>]*value="testing"|<option[^>]*value="testing"[^>]*selected/);
        const list = await request(server.base).get('/domains').set('Cookie', cookie);
        assert.match(textOf(list.text), /example\.org.*testing/s);

        assert.equal(await server.stop(), 0, server.output());
        server = await serve(args());
        const again = await request(server.base).get('/domains/example.org?tab=mta-sts').set('Cookie', cookie).redirects(0);
        assert.equal(again.status, 200, 'the same cookie is still logged in after the restart');
        assert.match(textOf(again.text), /mail\.example\.org/);
        const policyAgain = await request(server.base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
        assert.equal(policyAgain.status, 200);
        assert.match(policyAgain.text, /mode: testing/);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
      // The panel's table is the panel's: nothing created, nothing seeded.
      const domains = (await db.knex('domain').select('domain').orderBy('domain')) as Array<{ domain: string }>;
      assert.deepEqual(
        domains.map((row) => row.domain),
        ['example.net', 'example.org'],
      );
      assert.equal(await db.knex.schema.hasTable('knex_migrations'), false, "the embedded default's own migrations never ran here");
    });
  });
}

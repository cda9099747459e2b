import assert from 'node:assert/strict';
import { TestServer, createServer } from '../support/server';

// The core flow on the real MariaDB at 127.0.0.1:3306 and PostgreSQL at 127.0.0.1:5432 (never
// skipped: if one is down, this fails).
for (const db of ['mariadb', 'postgres'] as const)
  describe(`the whole flow on ${db === 'mariadb' ? 'MariaDB' : 'PostgreSQL'}`, () => {
    let server: TestServer;
    before(async () => {
      server = await createServer({ db });
    });
    after(async () => {
      await server?.close();
    });

    it('migrates the host table once: the policy columns with their defaults, existing rows untouched', async () => {
      const row = await server.row('example.org');
      assert.equal(row.description, 'host row 0', 'the host row keeps its values');
      assert.equal(Number(row.mta_sts_active), 0);
      assert.equal(row.mta_sts_mode, 'none');
      assert.equal(Number(row.mta_sts_max_age), 86400);
      assert.equal(Number(row.mta_sts_revision), 0);
      assert.deepEqual(await server.mtaSts.migrate(), [], 'a second run applies nothing');
    });

    it('serves nothing and lists no certificate names before any policy is saved', async () => {
      assert.equal((await server.policy('mta-sts.example.org')).status, 404);
      assert.deepEqual(await server.mtaSts.certificateNames(), []);
    });

    it('saves through the API, serves the policy at once (domain, alias, U-label) and lists the names', async () => {
      const put = await server.put('example.org', { mode: 'enforce', mx: 'mail.example.org, *.mx.example.net', maxAge: 604800, active: true, revision: 0 });
      assert.equal(put.status, 200, put.text);
      assert.match(put.body.id, /^[0-9]{14}$/);
      const body = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n';
      for (const host of ['mta-sts.example.org', 'MTA-STS.Example.ORG.:443', 'mta-sts.alias.example']) {
        const res = await server.policy(host);
        assert.equal(res.status, 200, host);
        assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(res.text, body, host);
      }
      const idn = await server.put('bücher.example', { mode: 'testing', mx: ['mail.bücher.example'], active: true });
      assert.equal(idn.status, 200, idn.text);
      const served = await server.policy('mta-sts.xn--bcher-kva.example');
      assert.equal(served.status, 200);
      assert.equal(served.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.xn--bcher-kva.example\r\nmax_age: 86400\r\n');

      const names = ['mta-sts.alias.example', 'mta-sts.example.org', 'mta-sts.xn--bcher-kva.example'];
      assert.deepEqual([...(await server.mtaSts.certificateNames())].sort(), names);
      const api = await server.request().get('/api/v1/mta-sts/certificate-names');
      assert.deepEqual([...api.body.names].sort(), names);
    });

    it('stores exactly what the API answered, and refuses a stale revision', async () => {
      const row = await server.row('example.org');
      assert.equal(Number(row.mta_sts_active), 1);
      assert.equal(row.mta_sts_mx, 'mail.example.org,*.mx.example.net');
      assert.equal(Number(row.mta_sts_revision), 1);
      const stale = await server.put('example.org', { mode: 'none', revision: 0 });
      assert.equal(stale.status, 409);
      assert.equal((await server.row('example.org')).mta_sts_mode, 'enforce');
    });

    it('saves through the admin form, with the CSRF token from the tab, served at once', async () => {
      const res = await server.submitTab('example.org', { mode: 'testing' });
      assert.equal(res.status, 200);
      const served = await server.policy('mta-sts.example.org');
      assert.match(served.text, /^version: STSv1\r\nmode: testing\r\n/);
    });

    it('does not serve a domain the host has switched off', async () => {
      await server.put('inactive.example', { mode: 'enforce', mx: ['mail.example.org'], active: true });
      assert.equal((await server.policy('mta-sts.inactive.example')).status, 404);
      assert.ok(!(await server.mtaSts.certificateNames()).includes('mta-sts.inactive.example'));
    });

    it('rolls back to the host table as it was', async () => {
      assert.deepEqual([...(await server.mtaSts.rollback())].sort(), [
        '20261128000000_add_mta_sts_columns.js',
        '20261201000000_add_mta_sts_history.js',
        '20261201000100_add_tls_report_tables.js',
        // This one and 20261207000100: recorded only, their tables moved to the server's chain.
        '20261201000200_add_server_accounts.js',
        '20261201000300_add_acme_tables.js',
        '20261201000400_add_mta_sts_overview_tables.js',
        '20261201000500_add_mta_sts_checks.js',
        '20261207000000_bound_tls_reports.js',
        '20261207000100_add_server_login_failures.js',
        '20261208000000_add_mta_sts_leases.js',
        '20261208000100_one_check_table.js',
        '20261209000000_add_mta_sts_dns_states.js',
        '20261210000000_add_tls_failure_details.js',
        '20261210000100_add_tls_known_reporters.js',
      ]);
      const row = await server.row('example.org');
      assert.deepEqual(
        Object.keys(row).filter((k) => k.startsWith('mta_sts_')),
        [],
      );
      assert.equal(row.description, 'host row 0');
    });
  });

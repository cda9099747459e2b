import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { PRESETS } from '../../src/config/presets';
import { CertificateStore } from '../../src/store/certificate-store';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';

const CLI = join(__dirname, '../../src/cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mta-sts` as a user would, in a child process, with only the given environment. */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A panel database shaped like PostfixAdmin's (domain + alias_domain), on SQLite. */
function panelDb(dir: string): { url: string; knex: Knex } {
  const file = join(dir, 'panel.sqlite');
  return { url: `sqlite:${file}`, knex: knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true }) };
}

describe('the mta-sts command', function () {
  this.timeout(60_000);
  let dir: string;
  let db: { url: string; knex: Knex };
  let dns: TestDnsServer;
  let base: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-cli-'));
    db = panelDb(dir);
    await db.knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await db.knex.schema.createTable('alias_domain', (t) => {
      t.string('alias_domain', 255).primary();
      t.string('target_domain', 255).notNullable();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await db.knex('domain').insert([
      { domain: 'example.org', active: true },
      { domain: 'example.net', active: true },
      { domain: 'legacy.example', active: true },
      { domain: 'off.example', active: false },
    ]);
    await db.knex('alias_domain').insert({ alias_domain: 'alias.example', target_domain: 'example.org', active: true });
    dns = await startDnsServer();
    base = ['--database', db.url, '--preset', 'postfixadmin', '--dns-servers', dns.address, '--mail-hostname', 'mail.example.org'];
  });
  after(async () => {
    await db.knex.destroy();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('usage', () => {
    it('prints help for the program and for every command, exit 0', async () => {
      const top = await run(['--help']);
      assert.equal(top.code, 0);
      const commands = [
        'list',
        'show',
        'set',
        'retire',
        'check',
        'import-static',
        'import-mailcow',
        'migrate',
        'rollback',
        'status',
        'certificate-names',
        'report-intake',
        'report-fetch',
        'bulk',
        'defaults',
        'history',
        'publish',
        'export',
      ];
      for (const command of commands) assert.match(top.stdout, new RegExp(`\\n  ${command}\\b`), command);
      for (const command of commands) {
        const help = await run([command, '--help']);
        assert.equal(help.code, 0, command);
        assert.match(help.stdout, new RegExp(`Usage: mta-sts ${command}`), command);
        assert.match(help.stdout, /Exit codes: 0 ok; 1 problems found/, command);
      }
    });

    it('refuses an unknown command or preset with exit 2 and no stack trace', async () => {
      const unknown = await run(['frobnicate']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command 'frobnicate'/);
      const preset = await run(['--preset', 'plesk', 'list']);
      assert.equal(preset.code, 2);
      assert.match(preset.stderr, /--preset.*plesk.*(choices|Allowed choices)/i);
      for (const out of [unknown, preset]) assert.doesNotMatch(out.stderr, /\n\s+at /);
    });

    it('offers exactly the presets of src/config/presets.ts, in help and in the error for an unknown one', async () => {
      // One list: a preset added there is offered here, with nothing else to edit.
      const names = Object.keys(PRESETS);
      const top = await run(['--help']);
      // The help of --preset, up to the next option, as one line (commander wraps it to the terminal).
      const help = /--preset <panel>([\s\S]*?)\n {2}-/.exec(top.stdout)?.[1].replace(/\s+/g, ' ') ?? '';
      const offered = /\(choices: ([^)]*)\)/.exec(help)?.[1];
      assert.deepEqual(
        offered?.split(/, ?/).map((name) => name.replace(/"/g, '')),
        names,
      );
      const unknown = await run(['status'], { MTA_STS_PRESET: 'plesk' });
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, new RegExp(`choose one of ${names.join(', ')}$`, 'm'));
    });

    it('says in one sentence that a database refuses the connection, exit 2', async () => {
      const refused = await run(['--database', 'mysql://root@127.0.0.1:1/test', 'list']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /^mta-sts: database could not be reached at mysql:\/\/root@127\.0\.0\.1:1\/test \(ECONNREFUSED/);
      assert.equal(refused.stderr.trim().split('\n').length, 1);
      // Knex's own "Acquire connection error" and its stack trace stay off stdout, so `--json | jq` works.
      const json = await run(['--database', 'mysql://root@127.0.0.1:1/none', 'list', '--json']);
      assert.equal(json.code, 2);
      assert.equal(json.stdout, '');
      assert.match(json.stderr, /^mta-sts: database could not be reached at mysql:\/\/root@127\.0\.0\.1:1\/none \(ECONNREFUSED[^\n]*\n$/);
      const admin = await run(['--database', 'mysql://root@127.0.0.1:1/none', 'admin', 'remove', 'nobody']);
      assert.equal(admin.code, 2);
      assert.equal(admin.stdout, '');
      assert.equal(admin.stderr.trim().split('\n').length, 1);
    });

    it('names a bad database URL, a wrong table and a missing migration', async () => {
      const badUrl = await run(['--database', 'oracle://x/y', 'list']);
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /database has the unknown scheme "oracle:"/);
      const table = await run(['--database', db.url, '--domain-table', 'domains', 'list']);
      assert.equal(table.code, 2);
      assert.match(table.stderr, /domain-table "domains" does not exist/);
      const notMigrated = await run([...base, 'list']);
      assert.equal(notMigrated.code, 2);
      assert.match(notMigrated.stderr, /run `mta-sts migrate` first/);
    });
  });

  describe('on a PostfixAdmin-shaped database', () => {
    it('migrates once, then reports the schema up to date (status exit 0)', async () => {
      const migrated = await run([...base, 'migrate']);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /applied: 20261128000000_add_mta_sts_columns\.js/);
      assert.match((await run([...base, 'migrate'])).stdout, /already up to date/);
      const status = await run([...base, 'status', '--json']);
      assert.equal(status.code, 0);
      const json = JSON.parse(status.stdout);
      assert.deepEqual(json.pending, []);
      assert.deepEqual(json.missingColumns, []);
      assert.equal(json.served, 0);
    });

    it("sets a policy with the tab's rules: saved with a new id, served, listed, shown with its records", async () => {
      const set = await run([...base, 'set', 'example.org', '--mode', 'testing', '--mx', 'mail.example.org, *.mx.example.org', '--active', 'yes', '--json']);
      assert.equal(set.code, 0, set.stderr);
      const saved = JSON.parse(set.stdout);
      assert.equal(saved.changed, true);
      assert.match(saved.id, /^\d{14}$/);
      assert.equal(saved.served, true);
      const show = await run([...base, 'show', 'example.org']);
      assert.match(show.stdout, new RegExp(`_mta-sts\\.example\\.org\\. IN TXT "v=STSv1; id=${saved.id}"`));
      assert.match(show.stdout, /mta-sts\.example\.org\. IN CNAME mail\.example\.org\./);
      const list = await run([...base, 'list', '--active', '--json']);
      assert.deepEqual(
        JSON.parse(list.stdout).domains.map((d: { domain: string }) => d.domain),
        ['example.org'],
      );
      const names = await run([...base, 'certificate-names']);
      assert.deepEqual(names.stdout.trim().split('\n'), ['mta-sts.alias.example', 'mta-sts.example.org']);
    });

    it('certificate-names --status shows what the built-in ACME client did per name, and why one was skipped', async () => {
      const store = new CertificateStore(db.knex, 'mta_sts_');
      await store.put('mta-sts.alias.example', { state: 'skipped', reason: 'mta-sts.alias.example points to 192.0.2.10, not to this server (198.51.100.1)' });
      await store.put('mta-sts.example.org', { state: 'issued', notAfter: '2027-03-01T00:00:00.000Z', keyEnc: 'v1.a.b.c', certificate: 'PEM' });
      const text = await run([...base, 'certificate-names', '--status']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^mta-sts\.alias\.example\tskipped\tmta-sts\.alias\.example points to 192\.0\.2\.10, not to this server/m);
      assert.match(text.stdout, /^mta-sts\.example\.org\tissued\tvalid until 2027-03-01/m);
      const json = await run([...base, 'certificate-names', '--status', '--json']);
      const parsed = JSON.parse(json.stdout) as { status: Array<{ name: string; state: string }> };
      assert.deepEqual(
        parsed.status.map((s) => [s.name, s.state]),
        [
          ['mta-sts.alias.example', 'skipped'],
          ['mta-sts.example.org', 'issued'],
        ],
      );
      assert.doesNotMatch(json.stdout + text.stdout, /v1\.a\.b\.c|keyEnc|key_enc/, 'no key material, not even encrypted');
    });

    it('certificate-names says what failed when the database answers but a configured table is missing', async () => {
      const other = panelDb(mkdtempSync(join(dir, 'no-alias-')));
      try {
        await other.knex.schema.createTable('domain', (t) => {
          t.string('domain', 255).primary();
          t.boolean('active').notNullable().defaultTo(true);
        });
        await other.knex('domain').insert({ domain: 'example.org', active: true });
        const args = ['--database', other.url, '--preset', 'postfixadmin', '--dns-servers', dns.address, '--mail-hostname', 'mail.example.org'];
        // Named before anything runs, with the flag that changes it: neither migrate nor certificate-names gets to a query.
        const sentence =
          /^mta-sts: alias-table "alias_domain" does not exist in sqlite:.*: name the panel's table with --alias-table \(MTA_STS_ALIAS_TABLE\), or give --alias-table none if the panel has none\n$/;
        for (const command of ['migrate', 'certificate-names']) {
          const refused = await run([...args, command]);
          assert.equal(refused.code, 2, command);
          assert.equal(refused.stdout, '', command);
          assert.doesNotMatch(refused.stderr, /did not answer/);
          assert.match(refused.stderr, sentence, command);
        }
        assert.equal((await run([...args, '--alias-table', 'none', 'migrate'])).code, 0);
        const names = await run([...args, '--alias-table', 'none', 'certificate-names']);
        assert.equal(names.code, 0, names.stderr);
      } finally {
        await other.knex.destroy();
      }
    });

    it('refuses bad values with the field and the rule, and saves nothing (exit 2)', async () => {
      const before = await db.knex('domain').where({ domain: 'example.org' }).first();
      const bad = await run([...base, 'set', 'example.org', '--mode', 'enforce', '--mx', 'mail..example.org', '--max-age', '99999999999']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /nothing was saved/);
      assert.match(bad.stderr, /mx: .*"mail\.\.example\.org" has an empty label/);
      assert.match(bad.stderr, /maxAge: Maximum Age must be a whole number/);
      assert.deepEqual(await db.knex('domain').where({ domain: 'example.org' }).first(), before);
      const active = await run([...base, 'set', 'example.org', '--active', 'maybe']);
      assert.equal(active.code, 2);
      assert.match(active.stderr, /--active must be yes or no/);
    });

    it('says a domain is missing, exit 2', async () => {
      const missing = await run([...base, 'show', 'nosuch.example']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^mta-sts: nosuch\.example: there is no such domain in this panel\n$/);
    });

    it('set and show say that the panel marks a domain inactive, so nothing is served until it is active again', async () => {
      const reason = 'The panel marks off.example inactive, so nothing is served for it until the domain is active again.';
      const set = await run([...base, 'set', 'off.example', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /^off\.example: saved; policy id \d{14}\n$/);
      assert.equal(set.stderr, `warning: ${reason}\n`);
      const json = await run([...base, 'set', 'off.example', '--max-age', '604800', '--json']);
      assert.deepEqual(JSON.parse(json.stdout).warnings, [{ code: 'host-inactive', message: reason }]);
      const show = await run([...base, 'show', 'off.example']);
      assert.equal(show.code, 0, show.stderr);
      assert.match(
        show.stdout,
        /^served at\s+nothing served: the panel marks off\.example inactive, so nothing is served for it until the domain is active again$/m,
      );
      const shown = JSON.parse((await run([...base, 'show', 'off.example', '--json'])).stdout);
      assert.equal(shown.policyFile, null);
      assert.deepEqual(shown.warnings, [{ code: 'host-inactive', message: reason }]);
      // An active domain: saved, served, no warning.
      const active = await run([...base, 'set', 'example.org', '--mode', 'testing', '--json']);
      assert.deepEqual(JSON.parse(active.stdout).warnings, []);
      // The later tests expect off.example without a policy, as it was.
      await db.knex('domain').where({ domain: 'off.example' }).update({
        mta_sts_active: false,
        mta_sts_mode: 'none',
        mta_sts_mx: null,
        mta_sts_max_age: 86400,
        mta_sts_id: null,
        mta_sts_updated_at: null,
        mta_sts_revision: 0,
      });
    });

    it('retires a policy: mode none, max_age at most a day, a new id, still served', async () => {
      await run([...base, 'set', 'example.net', '--mode', 'enforce', '--mx', 'mx.example.net', '--max-age', '604800', '--active', 'yes']);
      const before = JSON.parse((await run([...base, 'show', 'example.net', '--json'])).stdout);
      const retired = await run([...base, 'retire', 'example.net', '--json']);
      assert.equal(retired.code, 0, retired.stderr);
      const after = JSON.parse(retired.stdout);
      assert.equal(after.mode, 'none');
      assert.equal(after.maxAge, 86400);
      assert.equal(after.served, true);
      assert.notEqual(after.id, before.id);
    });

    it('bulk: previews with --dry-run, changes listed or filtered domains, starts first policies from the defaults; history dates a retirement', async () => {
      const before = await db.knex('domain').where({ domain: 'example.org' }).first();
      const dry = await run([...base, 'bulk', '--all', '--filter', 'mode=testing', '--max-age', '3600', '--dry-run', '--json']);
      assert.equal(dry.code, 0, dry.stderr);
      const preview = JSON.parse(dry.stdout);
      assert.deepEqual(
        preview.results.map((r: { domain: string; status: string }) => [r.domain, r.status]),
        [['example.org', 'changed']],
      );
      assert.deepEqual(await db.knex('domain').where({ domain: 'example.org' }).first(), before, '--dry-run saves nothing');

      const listed = await run([
        ...base,
        'bulk',
        '--domains',
        'legacy.example,nosuch.example',
        '--mode',
        'testing',
        '--mx',
        'mx.legacy.example',
        '--active',
        'yes',
      ]);
      assert.equal(listed.code, 1, 'a domain was not found');
      assert.match(listed.stdout, /legacy\.example\s+changed/);
      assert.match(listed.stdout, /nosuch\.example\s+not-found/);

      const defaults = await run([...base, 'defaults', '--mode', 'testing', '--mx', 'mx.example.net', '--max-age', '604800', '--json']);
      assert.equal(defaults.code, 0, defaults.stderr);
      assert.deepEqual(JSON.parse(defaults.stdout), { mode: 'testing', maxAge: 604800, mx: ['mx.example.net'] });
      const first = await run([...base, 'bulk', '--domains', 'off.example', '--active', 'yes', '--json']);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(JSON.parse(first.stdout).results[0].after, { active: true, version: 'STSv1', mode: 'testing', maxAge: 604800, mx: ['mx.example.net'] });

      const badFilter = await run([...base, 'bulk', '--all', '--filter', 'colour=red', '--mode', 'none']);
      assert.equal(badFilter.code, 2);
      assert.match(badFilter.stderr, /--filter takes mode=, state=, verdict= or search=/);

      // example.net was in enforce for a week, then retired (previous test).
      const history = await run([...base, 'history', 'example.net', '--json']);
      assert.equal(history.code, 0, history.stderr);
      const json = JSON.parse(history.stdout);
      assert.equal(json.total, 2);
      assert.equal(json.window.retiring, true);
      assert.ok(new Date(json.window.completeAt).getTime() > Date.now() + 6 * 86400_000, 'senders may hold the enforce policy for a week');
      // The later tests expect these two without a policy, as they were.
      await db.knex('domain').whereIn('domain', ['legacy.example', 'off.example']).update({
        mta_sts_active: false,
        mta_sts_mode: 'none',
        mta_sts_mx: null,
        mta_sts_max_age: 86400,
        mta_sts_id: null,
        mta_sts_updated_at: null,
        mta_sts_revision: 0,
      });
    });

    it('runs the DNS Check: a table per domain, a summary, exit 1 when a check is an error', async () => {
      dns.setZone([]);
      const failing = await run([...base, 'check', 'example.org']);
      assert.equal(failing.code, 1, failing.stderr);
      assert.match(failing.stdout, /example\.org \(policy id \d{14}/);
      assert.match(failing.stdout, /sts-txt\s+ERROR/);
      assert.match(failing.stderr, /1 checked: 1 with errors/);
      const json = await run([...base, 'check', 'example.org', 'nosuch.example', '--json']);
      assert.equal(json.code, 1);
      const parsed = JSON.parse(json.stdout);
      assert.deepEqual(parsed.unknown, ['nosuch.example']);
      assert.deepEqual(
        parsed.results[0].checks.map((c: { name: string }) => c.name),
        ['sts-txt', 'sts-host', 'mx', 'tlsrpt', 'policy', 'dane', 'https', 'mx-tls', 'caa'],
      );
    });

    it('check --all: every active domain, and exit 0 when nothing is an error', async () => {
      const id = JSON.parse((await run([...base, 'show', 'example.org', '--json'])).stdout).id as string;
      const idNet = JSON.parse((await run([...base, 'show', 'example.net', '--json'])).stdout).id as string;
      dns.setZone([
        { name: '_mta-sts.example.org', type: 'TXT', data: `v=STSv1; id=${id}` },
        { name: 'mta-sts.example.org', type: 'CNAME', data: 'mail.example.org' },
        { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
        { name: '_mta-sts.example.net', type: 'TXT', data: `v=STSv1; id=${idNet}` },
        { name: 'mta-sts.example.net', type: 'CNAME', data: 'mail.example.org' },
        { name: 'example.net', type: 'MX', data: { preference: 10, exchange: 'mx.example.net' } },
        { name: 'mail.example.org', type: 'A', data: '192.0.2.25' },
      ]);
      // The HTTPS and STARTTLS probes need servers this test does not run: off.
      const all = await run([...base, 'check', '--all', '--no-probes', '--json']);
      const parsed = JSON.parse(all.stdout);
      assert.deepEqual(
        parsed.results.map((r: { domain: string }) => r.domain),
        ['example.net', 'example.org'],
      );
      const errors = parsed.results.flatMap((r: { checks: Array<{ name: string; status: string }> }) =>
        r.checks.filter((c) => c.status === 'error').map((c) => c.name),
      );
      assert.deepEqual(errors, []);
      assert.equal(all.code, 0, all.stderr);
    });
  });

  describe('imports', () => {
    it('import-static keeps the id published in DNS and serves the file as it was', async () => {
      const file = join(dir, 'mta-sts.txt');
      writeFileSync(file, 'version: STSv1\r\nmode: enforce\r\nmx: mx1.legacy.example\r\nmx: mx2.legacy.example\r\nmax_age: 604800\r\n');
      dns.setZone([{ name: '_mta-sts.legacy.example', type: 'TXT', data: 'v=STSv1; id=2023legacy01' }]);
      const imported = await run([...base, 'import-static', file, '--domain', 'legacy.example', '--json']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /keeping the published id 2023legacy01/);
      const policy = JSON.parse(imported.stdout);
      assert.equal(policy.id, '2023legacy01');
      assert.deepEqual(policy.mx, ['mx1.legacy.example', 'mx2.legacy.example']);
      assert.equal(policy.mode, 'enforce');
      assert.equal(policy.served, true);
    });

    it('import-static refuses a file that is not a policy (exit 1) and a bad --id (exit 2), saving nothing', async () => {
      const file = join(dir, 'broken.txt');
      writeFileSync(file, 'version: STSv1\nmode: enforce\nmax_age: 86400\n');
      const broken = await run([...base, 'import-static', file, '--domain', 'legacy.example', '--id', 'x1']);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /is not a valid MTA-STS policy; nothing was saved/);
      assert.match(broken.stderr, /enforce/);
      writeFileSync(file, 'version: STSv1\nmode: testing\nmx: a.example\nmax_age: 86400\n');
      const badId = await run([...base, 'import-static', file, '--domain', 'legacy.example', '--id', 'not-an-id!']);
      assert.equal(badId.code, 2);
      assert.match(badId.stderr, /"not-an-id!" is not a policy id/);
      const still = JSON.parse((await run([...base, 'show', 'legacy.example', '--json'])).stdout);
      assert.equal(still.id, '2023legacy01');
    });

    it("import-mailcow reads mailcow's mta_sts table, keeps valid ids, and reports the rows it could not take (exit 1)", async () => {
      await db.knex.schema.createTable('mta_sts', (t) => {
        t.string('id', 100);
        t.string('domain', 255).primary();
        t.string('version', 100);
        t.string('mode', 100);
        t.string('mx', 255);
        t.string('max_age', 255);
        t.boolean('active');
      });
      await db.knex('mta_sts').insert([
        {
          id: '20240115120000',
          domain: 'example.net',
          version: 'stsv1',
          mode: 'enforce',
          mx: 'mx.example.net,mx2.example.net',
          max_age: '1209600',
          active: true,
        },
        { id: 'bad id!', domain: 'off.example', version: 'stsv1', mode: 'testing', mx: 'mx.off.example', max_age: '86400', active: false },
        { id: '20240101000000', domain: 'example.org', version: 'stsv1', mode: 'enforce', mx: '', max_age: '86400', active: true },
      ]);
      const out = await run([...base, 'import-mailcow', '--json']);
      assert.equal(out.code, 1, out.stderr);
      const byDomain = Object.fromEntries(JSON.parse(out.stdout).imported.map((o: { domain: string }) => [o.domain, o]));
      assert.equal(byDomain['example.net'].status, 'saved');
      assert.equal(byDomain['example.net'].id, '20240115120000');
      assert.equal(byDomain['off.example'].status, 'saved');
      assert.match(byDomain['off.example'].problems[0], /id "bad id!" is not valid; a new one was made/);
      assert.equal(byDomain['example.org'].status, 'bad-policy');
      const net = JSON.parse((await run([...base, 'show', 'example.net', '--json'])).stdout);
      assert.deepEqual([net.mode, net.maxAge, net.mx, net.id], ['enforce', 1209600, ['mx.example.net', 'mx2.example.net'], '20240115120000']);
      const off = JSON.parse((await run([...base, 'show', 'off.example', '--json'])).stdout);
      assert.equal(off.active, false);
    });
  });
});

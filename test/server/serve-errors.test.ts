// What a person sees when the server cannot start or an account command cannot run: one sentence
// on stderr naming the setting, exit code 2 (docs/cli.md: usage, configuration or connection error),
// never a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { cli } from '../support/standalone';

function assertOneSentence(run: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

describe('mta-sts serve and mta-sts admin: failures are one sentence and exit code 2', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-serve-errors-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = () => `sqlite:${join(dir, 'own.sqlite')}`;

  it('names a bad setting: port, metrics port and host, log level, secure cookies, trusted proxy, auth header, API key', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['serve', '--port', 'eighty'], {}, /^mta-sts: port must be a port number from 0 to 65535, got "eighty"$/],
      [['serve', '--metrics-port', '70000'], {}, /^mta-sts: metricsPort must be a port number/],
      [['serve'], { LOG_LEVEL: 'loud' }, /^mta-sts: logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
      [['serve', '--secure-cookies', 'maybe'], {}, /^mta-sts: secureCookies must be yes or no/],
      [['serve', '--trusted-proxy', '10.0.0.0/33'], {}, /^mta-sts: trustedProxy must be addresses or CIDR ranges .*"10\.0\.0\.0\/33" is not one/],
      [['serve', '--auth-header', 'X-Remote-User'], {}, /^mta-sts: authHeader needs --trusted-proxy/],
      [['serve'], { API_KEY: 'short' }, /^mta-sts: apiKey must have at least 16 characters/],
      [
        ['serve', '--metrics-port', '9464', '--metrics-host', 'everywhere'],
        {},
        /^mta-sts: metricsHost must be an IP address to listen on, .*got "everywhere"$/,
      ],
      [['serve'], { METRICS_HOST: '0.0.0.0' }, /^mta-sts: metricsHost needs --metrics-port/],
      [['serve', '--acme', '--secure-cookies', 'no'], {}, /^mta-sts: secureCookies cannot be no with --acme/],
    ];
    for (const [args, env, pattern] of cases) assertOneSentence(await cli(['--database', sqlite(), ...args], { env, cwd: dir }), pattern);
  });

  it('names a bad config file setting', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ port: 'x' }));
    assertOneSentence(await cli(['--config', file, '--database', sqlite(), 'serve'], { cwd: dir }), /^mta-sts: port must be a port number/);
    writeFileSync(file, JSON.stringify({ listen: 80 }));
    assertOneSentence(await cli(['--config', file, 'serve'], { cwd: dir }), /^mta-sts: config file .* has the unknown setting "listen"/);
  });

  it('an unknown preset', async () => {
    // On the command line commander names the allowed choices (and adds its usage hint).
    const flag = await cli(['--preset', 'plesk', 'serve'], { cwd: dir });
    assert.equal(flag.code, 2);
    assert.match(
      flag.stderr.split('\n')[0],
      /option '--preset <panel>' argument 'plesk' is invalid\. Allowed choices are default, postfixadmin, iredmail, mailcow\./,
    );
    assert.doesNotMatch(flag.stderr, /\n\s+at /);
    assertOneSentence(
      await cli(['serve'], { env: { MTA_STS_PRESET: 'plesk' }, cwd: dir }),
      /^mta-sts: preset "plesk" is not known; choose one of default, postfixadmin, iredmail, mailcow$/,
    );
  });

  it('a database that refuses the connection, or the password', async () => {
    assertOneSentence(
      await cli(['--database', 'postgres://postgres@127.0.0.1:1/test', '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', 'serve'], {
        cwd: dir,
      }),
      /^mta-sts: database could not be reached at postgres:\/\/postgres@127\.0\.0\.1:1\/test \(ECONNREFUSED/,
    );
    assertOneSentence(
      await cli(['--database', 'mysql://root:wrong-secret@127.0.0.1:3306/test', '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', 'serve'], {
        cwd: dir,
      }),
      /^mta-sts: database could not be reached at mysql:\/\/root:\*\*\*@127\.0\.0\.1:3306\/test \(ER_ACCESS_DENIED_ERROR/,
    );
    assertOneSentence(await cli(['--database', 'mysql://root:wrong-secret@127.0.0.1:3306/test', 'admin', 'remove', 'x'], { cwd: dir }), /wrong-secret|\*\*\*/);
    const leaked = await cli(['--database', 'mysql://root:wrong-secret@127.0.0.1:3306/test', '--mail-hostname', 'mail.example.org', 'serve'], { cwd: dir });
    assert.doesNotMatch(leaked.stderr, /wrong-secret/, 'the password is never printed');
  });

  it("a missing domain table: the server never creates a panel's table", async () => {
    const url = sqlite();
    writeFileSync(join(dir, 'own.sqlite'), '');
    assertOneSentence(
      await cli(['--database', url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', 'serve'], { cwd: dir }),
      /^mta-sts: domain-table "domain" does not exist in sqlite:.*the server never creates a panel's domain table\)$/,
    );
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'own.sqlite') }, useNullAsDefault: true });
    try {
      assert.equal(await knex.schema.hasTable('domain'), false);
    } finally {
      await knex.destroy();
    }
  });

  it('a missing domain, and an account before the first start', async () => {
    const file = join(dir, 'panel.sqlite');
    const url = `sqlite:${file}`;
    writeFileSync(file, '');
    const add = await cli(['--database', url, 'admin', 'add', 'admin', '--password-stdin'], { input: 'a long enough password', cwd: dir });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, 'added admin\n');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    try {
      // `admin` makes the server's own tables and nothing of the library's.
      assert.deepEqual(await knex('mta_sts_users').pluck('username'), ['admin']);
      assert.equal(await knex.schema.hasTable('mta_sts_server_migrations'), true);
      assert.equal(await knex.schema.hasTable('mta_sts_migrations'), false);
      await knex.schema.createTable('domain', (t) => {
        t.string('domain').primary();
        t.boolean('active').defaultTo(true);
      });
      await knex('domain').insert({ domain: 'example.org' });
    } finally {
      await knex.destroy();
    }
    // A domain table and no alias table: the default preset's alias table is switched off.
    const panel = ['--database', url, '--alias-table', 'none'];
    assert.equal((await cli([...panel, 'migrate'], { cwd: dir })).code, 0);
    // Exactly one sentence: the command waits for the served-set reload it started before closing the database.
    for (const args of [
      ['show', 'nowhere.example'],
      ['set', 'nowhere.example', '--mode', 'testing'],
    ]) {
      assertOneSentence(
        await cli([...panel, '--mail-hostname', 'mail.example.org', ...args], { cwd: dir }),
        /^mta-sts: nowhere\.example: there is no such domain in this panel$/,
      );
    }
  });
});

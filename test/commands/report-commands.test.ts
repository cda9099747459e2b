import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import knexFactory, { type Knex } from 'knex';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { startDovecot, type TestDovecot } from '../support/dovecot';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { createTestCa, type TestCa } from '../support/tls';
import { googleSample, microsoftSample } from '../support/report-samples';

const CLI = join(__dirname, '../../src/cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mta-sts` in a child process with `input` on its stdin, as a Postfix pipe would. */
function run(args: string[], input: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('the report-intake and report-fetch commands', function () {
  this.timeout(60_000);
  let dir: string;
  let knex: Knex;
  let dns: TestDnsServer;
  let key: DkimKey;
  let base: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-report-cli-'));
    const file = join(dir, 'panel.sqlite');
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex.schema.createTable('alias_domain', (t) => {
      t.string('alias_domain', 255).primary();
      t.string('target_domain', 255).notNullable();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex('domain').insert({ domain: 'example.org', active: true });
    dns = await startDnsServer();
    key = dkimKey();
    dns.setZone([{ name: 'sel1._domainkey.google.example', type: 'TXT', data: key.txt }]);
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--dns-servers', dns.address, '--mail-hostname', 'mail.example.org'];
    const migrated = await run([...base, 'migrate'], '');
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(async () => {
    await knex.destroy();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signed = (report: Record<string, unknown>) =>
    signMail(reportMail(report, { domain: 'example.org', submitter: 'google.example' }), 'google.example', 'sel1', key);
  const stored = async () => (await knex('mta_sts_tlsrpt_reports').select('report_id', 'dkim').orderBy('report_id')).map((r) => `${r.report_id} ${r.dkim}`);

  it('report-intake stores a signed report mail from stdin (exit 0), says so, and stores it once', async () => {
    const mail = await signed(googleSample('example.org', '2026-11-20', 'piped'));
    const first = await run([...base, 'report-intake'], mail);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'stored: report piped from Google Inc. for example.org, DKIM pass (google.example)\n');
    const again = await run([...base, 'report-intake', '--json'], mail);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { status: string }).status, 'duplicate');
    assert.deepEqual(await stored(), ['piped pass']);
  });

  it('report-intake refuses a mail that is not a report with exit 1 and one sentence on stderr', async () => {
    const refused = await run([...base, 'report-intake'], 'From: someone@example.com\r\nSubject: hello\r\n\r\nno report\r\n');
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr, 'mta-sts: not stored: The message has no application/tlsrpt+gzip or application/tlsrpt+json part.\n');
    const foreign = await run(
      [...base, 'report-intake', '--json'],
      reportMail(googleSample('not-ours.example'), { domain: 'not-ours.example', submitter: 'x.example' }),
    );
    assert.equal(foreign.code, 1);
    assert.equal((JSON.parse(foreign.stdout) as { code: string }).code, 'unknown-domain');
    const unreachable = await run(['--database', 'mysql://root@127.0.0.1:1/test', 'report-intake'], 'x');
    assert.equal(unreachable.code, 2);
    assert.equal(unreachable.stderr.trim().split('\n').length, 1, unreachable.stderr);
  });

  describe('report-fetch, against Dovecot on loopback', () => {
    let ca: TestCa;
    let dovecot: TestDovecot;
    let caFile: string;

    before(async () => {
      ca = createTestCa();
      dovecot = await startDovecot(ca.issue(['127.0.0.1']));
      caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, ca.cert);
    });
    after(async () => {
      await dovecot?.close();
      ca?.dispose();
    });

    it('fetches the unseen report mails, stores them, moves them to --done, leaves a non-report (exit 1 for it)', async () => {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: dovecot.port,
        secure: true,
        auth: { user: dovecot.user, pass: dovecot.password },
        tls: { ca: ca.cert },
        logger: false,
      });
      await client.connect();
      try {
        await client.append('INBOX', await signed(microsoftSample('example.org', '2026-11-21', 'fetched')));
        await client.append('INBOX', 'From: someone@example.com\r\nSubject: hello\r\n\r\nno report\r\n');
        const url = `imaps://${dovecot.user}@127.0.0.1:${dovecot.port}/INBOX`;
        const fetched = await run([...base, 'report-fetch', '--imap', url, '--done', 'Done', '--ca', caFile, '--json'], '', {
          MTA_STS_IMAP_PASSWORD: dovecot.password,
        });
        assert.equal(fetched.code, 1, fetched.stderr);
        assert.deepEqual(JSON.parse(fetched.stdout), { messages: 2, created: 1, duplicate: 0, refused: 1, failed: 0 });
        assert.match(fetched.stderr, /2 unseen messages: 1 reports stored, 0 already stored, 1 not reports \(flagged, left in place\)/);
        assert.ok((await stored()).includes('fetched pass'));
        const done = await client.status('Done', { messages: true });
        assert.equal(done && done.messages, 1);

        // The password from stdin instead; nothing new now, exit 0.
        const again = await run([...base, 'report-fetch', '--imap', url, '--done', 'Done', '--ca', caFile, '--password-stdin'], `${dovecot.password}\n`);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /^0 unseen messages/);
      } finally {
        await client.logout();
      }
    });

    it('never takes the password on the command line, and says what is wrong in one sentence (exit 2)', async () => {
      const url = `imaps://${dovecot.user}@127.0.0.1:${dovecot.port}/INBOX`;
      const none = await run([...base, 'report-fetch', '--imap', url], '');
      assert.equal(none.code, 2);
      assert.equal(none.stderr, 'mta-sts: give the IMAP password in MTA_STS_IMAP_PASSWORD or on stdin with --password-stdin (never on the command line)\n');
      const inUrl = await run([...base, 'report-fetch', '--imap', `imaps://u:pw@127.0.0.1:${dovecot.port}/INBOX`], '', { MTA_STS_IMAP_PASSWORD: 'x' });
      assert.equal(inUrl.code, 2);
      assert.match(inUrl.stderr, /^mta-sts: --imap\.url must not contain a password/);
      const wrong = await run([...base, 'report-fetch', '--imap', url, '--ca', caFile], '', { MTA_STS_IMAP_PASSWORD: 'wrong' });
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /^mta-sts: could not fetch from 127\.0\.0\.1:\d+: the server refused the login/);
      assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
      const untrusted = await run([...base, 'report-fetch', '--imap', url], '', { MTA_STS_IMAP_PASSWORD: dovecot.password });
      assert.equal(untrusted.code, 2, 'the test CA is not trusted without --ca');
      assert.match(untrusted.stderr, /^mta-sts: could not fetch from 127\.0\.0\.1:\d+: .*certificate/);
      assert.equal(untrusted.stderr.trim().split('\n').length, 1, untrusted.stderr);
    });
  });

  describe('report-fetch and a server without STARTTLS (Dovecot with ssl = no)', () => {
    let ca: TestCa;
    let plain: TestDovecot;

    before(async () => {
      ca = createTestCa();
      plain = await startDovecot(ca.issue(['127.0.0.1']), { tls: 'none' });
    });
    after(async () => {
      await plain?.close();
      ca?.dispose();
    });

    it('does not send the password (exit 2, one sentence naming --allow-plaintext) unless --allow-plaintext names the host', async () => {
      const url = `imap://${plain.user}@127.0.0.1:${plain.port}/INBOX`;
      const env = { MTA_STS_IMAP_PASSWORD: plain.password };
      const refused = await run([...base, 'report-fetch', '--imap', url], '', env);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(
        refused.stderr,
        `mta-sts: could not fetch from 127.0.0.1:${plain.port}: the server offers no STARTTLS, so the password was not sent: ` +
          'use imaps://, turn on STARTTLS there, or allow plain text with --allow-plaintext 127.0.0.1\n',
      );
      const otherHost = await run([...base, 'report-fetch', '--imap', url, '--allow-plaintext', 'mail.example.org'], '', env);
      assert.equal(otherHost.code, 2);
      assert.equal(otherHost.stderr, "mta-sts: --allow-plaintext must name the server's host (127.0.0.1) to let its password go without TLS, or be left out\n");
      const allowed = await run([...base, 'report-fetch', '--imap', url, '--allow-plaintext', '127.0.0.1'], '', env);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stderr, /^0 unseen messages/);
    });
  });
});

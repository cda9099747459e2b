import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import type { Logger } from '../../src';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { startDovecot, type TestDovecot } from '../support/dovecot';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { TestServer, createServer } from '../support/server';
import { createTestCa, type TestCa } from '../support/tls';
import { googleSample, microsoftSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

/** A mail client of the test mailbox, for putting messages in and looking at what the fetch left. */
async function mailbox(dovecot: TestDovecot, ca: TestCa): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.port,
    secure: true,
    auth: { user: dovecot.user, pass: dovecot.password },
    tls: { ca: ca.cert },
    logger: false,
  });
  await client.connect();
  return client;
}

/** Every message of a mailbox: its subject and flags. */
async function contents(client: ImapFlow, path: string): Promise<Array<{ subject: string; flags: string[] }>> {
  const lock = await client.getMailboxLock(path);
  try {
    // Another session (the fetcher) may have moved messages since this one last looked: catch up first.
    await client.noop();
    const exists = client.mailbox ? client.mailbox.exists : 0;
    if (exists === 0) return [];
    const messages = await client.fetchAll('1:*', { envelope: true, flags: true });
    return messages.map((m) => ({ subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].sort() }));
  } finally {
    lock.release();
  }
}

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (message: string, detail?: unknown) => lines.push(`${message}${detail instanceof Error ? `: ${detail.message}` : ''}`);
  return { lines, error: add, warn: add, info: add };
}

describe('TLS report mails fetched by IMAP (reports.imap), against Dovecot on loopback', function () {
  this.timeout(60_000);
  let ca: TestCa;
  let dovecot: TestDovecot;
  let dns: TestDnsServer;
  let key: DkimKey;
  let server: TestServer | null = null;
  let client: ImapFlow | null = null;

  before(async () => {
    ca = createTestCa();
    dovecot = await startDovecot(ca.issue(['127.0.0.1']));
    dns = await startDnsServer();
    key = dkimKey();
    dns.setZone([{ name: 'sel1._domainkey.google.example', type: 'TXT', data: key.txt }]);
  });
  after(async () => {
    await dovecot?.close();
    await dns?.close();
    ca?.dispose();
  });
  afterEach(async () => {
    await client?.logout();
    client = null;
    await server?.close();
    server = null;
  });

  const signed = async (report: Record<string, unknown>) =>
    signMail(reportMail(report, { domain: 'example.org', submitter: 'google.example' }), 'google.example', 'sel1', key);
  const imapOption = (extra: Record<string, unknown> = {}) => ({
    url: `imaps://${dovecot.user}@127.0.0.1:${dovecot.port}/INBOX`,
    password: dovecot.password,
    tls: { ca: ca.cert },
    ...extra,
  });
  const stored = async () =>
    (await server!.db.knex(`${server!.db.tablePrefix}tlsrpt_reports`).select('report_id', 'received_via').orderBy('report_id')).map(
      (r: Record<string, unknown>) => `${String(r.report_id)} ${String(r.received_via)}`,
    );

  it('stores each report once (also one that came by HTTPS), moves it to the done folder it creates, and leaves a non-report flagged', async () => {
    const logger = capture();
    server = await createServer({
      plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 }, logger, reports: { imap: imapOption({ doneMailbox: 'TLS-Done' }) } },
    });
    const fetcher = server.mtaSts.reportFetcher;
    assert.ok(fetcher, 'reports.imap gives a fetcher');

    // The same report first arrives over HTTPS.
    const setup = await server.request().put(`${API}/example.org/reporting`).send({ rua: 'mailto:tlsrpt@example.org' });
    const twice = googleSample('example.org', '2026-11-20', 'both-ways');
    const https = await server
      .request()
      .post(new URL(setup.body.reportingUri).pathname)
      .set('Content-Type', 'application/tlsrpt+json')
      .send(JSON.stringify(twice));
    assert.equal(https.status, 201, https.text);

    client = await mailbox(dovecot, ca);
    await client.append('INBOX', await signed(twice));
    await client.append('INBOX', await signed(microsoftSample('example.org', '2026-11-21', 'by-imap')));
    await client.append('INBOX', 'From: someone@example.com\r\nTo: tlsrpt@example.org\r\nSubject: Out of office\r\n\r\nBack on Monday.\r\n');

    const outcome = await fetcher.runOnce();
    assert.deepEqual(outcome, { messages: 3, created: 1, duplicate: 1, refused: 1, failed: 0 }, logger.lines.join('\n'));
    assert.deepEqual(await stored(), ['both-ways https', 'by-imap mail']);
    assert.deepEqual(await contents(client, 'INBOX'), [{ subject: 'Out of office', flags: ['\\Flagged', '\\Seen'] }]);
    const done = await contents(client, 'TLS-Done');
    assert.equal(done.length, 2);
    assert.ok(
      done.every((m) => m.subject.startsWith('Report Domain: example.org')),
      JSON.stringify(done),
    );
    assert.ok(
      logger.lines.some((line) => line.includes('not a TLS report') && line.includes('left there, flagged')),
      logger.lines.join('\n'),
    );

    // Nothing new: the flagged message is not read again, nothing is stored twice.
    assert.deepEqual(await fetcher.runOnce(), { messages: 0, created: 0, duplicate: 0, refused: 0, failed: 0 });
    assert.deepEqual(await stored(), ['both-ways https', 'by-imap mail']);
  });

  it('started, polls at once and on its interval, marks reports seen without a done folder, and stops', async () => {
    const logger = capture();
    server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 500, retries: 0 },
        logger,
        reports: { imap: imapOption({ mailbox: 'Seen-Only', intervalMs: 10_000 }) },
      },
    });
    client = await mailbox(dovecot, ca);
    await client.mailboxCreate('Seen-Only');
    await client.append('Seen-Only', await signed(googleSample('example.org', '2026-11-22', 'polled')));
    const fetcher = server.mtaSts.reportFetcher!;
    fetcher.start();
    const deadline = Date.now() + 20_000;
    while ((await stored()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await fetcher.stop();
    assert.deepEqual(await stored(), ['polled mail'], logger.lines.join('\n'));
    assert.deepEqual(await contents(client, 'Seen-Only'), [
      { subject: 'Report Domain: example.org Submitter: google.example Report-ID: <2026.11.20T00.00.00Z+example.org@google.example>', flags: ['\\Seen'] },
    ]);
  });

  it('leaves a report it cannot store (database trouble) unseen, and stores it on the next poll', async () => {
    const logger = capture();
    server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 500, retries: 0 },
        logger,
        reports: { imap: imapOption({ mailbox: 'Retry', doneMailbox: 'Retry-Done' }) },
      },
    });
    client = await mailbox(dovecot, ca);
    await client.mailboxCreate('Retry');
    await client.append('Retry', await signed(googleSample('example.org', '2026-11-23', 'retried')));
    const table = `${server.db.tablePrefix}tlsrpt_reports`;
    await server.db.knex.schema.renameTable(table, `${table}_away`);
    try {
      assert.deepEqual(await server.mtaSts.reportFetcher!.runOnce(), { messages: 1, created: 0, duplicate: 0, refused: 0, failed: 1 });
    } finally {
      await server.db.knex.schema.renameTable(`${table}_away`, table);
    }
    assert.deepEqual(
      (await contents(client, 'Retry')).map((m) => m.flags),
      [[]],
      'still there, unseen',
    );
    assert.ok(
      logger.lines.some((line) => line.includes('could not store the TLS report mail') && line.includes('tried again next time')),
      logger.lines.join('\n'),
    );
    assert.deepEqual(await server.mtaSts.reportFetcher!.runOnce(), { messages: 1, created: 1, duplicate: 0, refused: 0, failed: 0 });
    assert.deepEqual(await stored(), ['retried mail']);
    assert.deepEqual(await contents(client, 'Retry'), []);
  });

  it('moves a report the database refuses to the failed folder it creates, logs why, and stores the next one in the same poll', async () => {
    const logger = capture();
    server = await createServer({
      plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 }, logger, reports: { imap: imapOption({ mailbox: 'Refused' }) } },
    });
    // A database that refuses one report for a reason of its own (a host's trigger, a narrower column, a charset).
    const policies = `${server.db.tablePrefix}tlsrpt_policies`;
    await server.db.knex.raw(
      `CREATE TRIGGER ${server.db.tablePrefix}refuse BEFORE INSERT ON ${policies} WHEN NEW.policy_type = 'tlsa' BEGIN SELECT RAISE(ABORT, 'refused by the host trigger'); END`,
    );
    client = await mailbox(dovecot, ca);
    await client.mailboxCreate('Refused');
    const refused = googleSample('example.org', '2026-11-24', 'refused');
    (refused.policies as Array<Record<string, any>>)[0].policy['policy-type'] = 'tlsa';
    await client.append('Refused', await signed(refused));
    await client.append('Refused', await signed(googleSample('example.org', '2026-11-25', 'after-it')));
    const outcome = await server.mtaSts.reportFetcher!.runOnce();
    assert.deepEqual(outcome, { messages: 2, created: 1, duplicate: 0, refused: 1, failed: 0 }, logger.lines.join('\n'));
    assert.deepEqual(await stored(), ['after-it mail']);
    assert.deepEqual(
      // \Recent is Dovecot's for a message new to the folder.
      (await contents(client, 'failed')).map((m) => m.flags.filter((flag) => flag !== '\\Recent')),
      [['\\Seen']],
    );
    assert.ok(
      logger.lines.some((line) => line.includes('the database refused to store the TLS report "refused"') && line.includes('refused by the host trigger')),
      logger.lines.join('\n'),
    );
    assert.ok(
      logger.lines.some((line) => line.includes('could not be stored') && line.includes('moved to failed')),
      logger.lines.join('\n'),
    );
    // The next poll is not stopped by it: it is no longer there.
    assert.deepEqual(await server.mtaSts.reportFetcher!.runOnce(), { messages: 0, created: 0, duplicate: 0, refused: 0, failed: 0 });
  });

  for (const db of ['mariadb', 'postgres'] as const) {
    it(`on ${db}: stores a report with NUL and one with a 100 KB fingerprint, flags one with a 40-character policy-type, and goes on`, async () => {
      const logger = capture();
      const box = `Worst-${db}`;
      server = await createServer({
        db,
        plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 }, logger, reports: { imap: imapOption({ mailbox: box }) } },
      });
      client = await mailbox(dovecot, ca);
      await client.mailboxCreate(box);
      const nul = googleSample('example.org', '2026-11-20', 'nul\u0000');
      nul['organization-name'] = 'Google\u0000 Inc.';
      const wide = googleSample('example.org', '2026-11-21', 'wide');
      (wide.policies as Array<Record<string, any>>)[0].policy['policy-string'] = [
        'mode: testing',
        'max_age: 86400',
        ...Array.from({ length: 50 }, (_, i) => `mx: ${String(i).padStart(2, '0')}${'m'.repeat(1994)}.example.org`),
      ];
      const longType = googleSample('example.org', '2026-11-22', 'long-type');
      (longType.policies as Array<Record<string, any>>)[0].policy['policy-type'] = 't'.repeat(40);
      for (const report of [nul, wide, longType, googleSample('example.org', '2026-11-23', 'last')]) await client.append(box, await signed(report));
      const outcome = await server.mtaSts.reportFetcher!.runOnce();
      assert.deepEqual(outcome, { messages: 4, created: 3, duplicate: 0, refused: 1, failed: 0 }, logger.lines.join('\n'));
      assert.deepEqual(await stored(), ['last mail', 'nul mail', 'wide mail']);
      assert.deepEqual(
        (await contents(client, box)).map((m) => m.flags),
        [['\\Seen'], ['\\Seen'], ['\\Flagged', '\\Seen'], ['\\Seen']],
        'the refused one stays flagged; the stored ones are marked seen',
      );
    });
  }

  it("leaves a report over its domain's daily quota in the mailbox, flagged, with a log line saying so", async () => {
    const logger = capture();
    server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 500, retries: 0 },
        logger,
        reports: { dailyReportsPerDomain: 1, imap: imapOption({ mailbox: 'Quota', doneMailbox: 'Quota-Done' }) },
      },
    });
    client = await mailbox(dovecot, ca);
    await client.mailboxCreate('Quota');
    await client.append('Quota', await signed(googleSample('example.org', '2026-11-26', 'first')));
    await client.append('Quota', await signed(googleSample('example.org', '2026-11-27', 'second')));
    assert.deepEqual(await server.mtaSts.reportFetcher!.runOnce(), { messages: 2, created: 1, duplicate: 0, refused: 1, failed: 0 });
    assert.deepEqual(await stored(), ['first mail']);
    assert.deepEqual(
      (await contents(client, 'Quota')).map((m) => m.flags),
      [['\\Flagged', '\\Seen']],
    );
    assert.ok(
      logger.lines.some((line) => line.includes('example.org has stored its 1 reports for today (UTC)')),
      logger.lines.join('\n'),
    );
    assert.ok(
      logger.lines.some((line) => line.includes('quota of reports for today') && line.includes('left there, flagged')),
      logger.lines.join('\n'),
    );
  });

  it('logs a refused login and resolves null, never throwing', async () => {
    const logger = capture();
    server = await createServer({ plugin: { logger, reports: { imap: imapOption({ password: 'wrong' }) } } });
    assert.equal(await server.mtaSts.reportFetcher!.runOnce(), null);
    assert.ok(
      logger.lines.some((line) => line.startsWith(`fetching TLS reports from 127.0.0.1:${dovecot.port} failed`)),
      logger.lines.join('\n'),
    );
  });
});

import assert from 'node:assert/strict';
import { createResolver } from '../../src/dns';
import { MAX_DKIM_SIGNATURES, verifyDkim } from '../../src/service/dkim';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { TestServer, createServer } from '../support/server';
import { googleSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

describe('TLS report mails (RFC 8460 section 5.3), DKIM checked with our resolver', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  let key: DkimKey;

  before(async () => {
    dns = await startDnsServer();
    key = dkimKey();
  });
  after(async () => {
    await dns.close();
  });
  beforeEach(async () => {
    dns.setZone([{ name: 'sel1._domainkey.google.example', type: 'TXT', data: key.txt }]);
    server = await createServer({ plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 } } });
  });
  afterEach(async () => {
    await server?.close();
  });
  const reports = async () =>
    server.db.knex(`${server.db.tablePrefix}tlsrpt_reports`).select('organisation', 'report_id', 'received_via', 'dkim', 'dkim_domain');

  it('stores a signed gzip report once, marked pass; the same report by HTTPS is a duplicate', async () => {
    const sample = googleSample('example.org', '2026-11-20', 'mail-1');
    const mail = await signMail(reportMail(sample, { domain: 'example.org', submitter: 'google.example' }), 'google.example', 'sel1', key);
    const result = await server.mtaSts.ingestReportMessage(mail);
    assert.equal(result.status, 'created', JSON.stringify(result));
    assert.ok(
      dns.queries.some((q) => q.name === 'sel1._domainkey.google.example' && q.type === 'TXT'),
      'the key was looked up on our DNS server',
    );
    assert.deepEqual((await server.mtaSts.ingestReportMessage(mail)).status, 'duplicate');

    const setup = await server.request().put(`${API}/example.org/reporting`).send({ rua: 'mailto:tlsrpt@example.org' });
    const https = await server
      .request()
      .post(new URL(setup.body.reportingUri).pathname)
      .set('Content-Type', 'application/tlsrpt+json')
      .send(JSON.stringify(sample));
    assert.equal(https.status, 200, https.text);
    assert.deepEqual(await reports(), [
      { organisation: 'Google Inc.', report_id: 'mail-1', received_via: 'mail', dkim: 'pass', dkim_domain: 'google.example' },
    ]);
  });

  it('keeps unsigned and badly signed reports, marked so', async () => {
    const unsigned = reportMail(googleSample('example.org', '2026-11-20', 'unsigned'), { domain: 'example.org', submitter: 'google.example', json: true });
    assert.equal((await server.mtaSts.ingestReportMessage(unsigned)).status, 'created');
    const signed = await signMail(
      reportMail(googleSample('example.org', '2026-11-21', 'tampered'), { domain: 'example.org', submitter: 'google.example' }),
      'google.example',
      'sel1',
      key,
    );
    const tampered = signed.replace('Subject: Report', 'Subject: Changed');
    assert.equal((await server.mtaSts.ingestReportMessage(tampered)).status, 'created');
    const rows = await reports();
    assert.deepEqual(
      rows.map((r) => [r.report_id, r.dkim]),
      [
        ['unsigned', 'none'],
        ['tampered', 'fail'],
      ],
    );
  });

  it('marks a report temperror when the key cannot be looked up, and refuses mails without a report or for unknown domains', async () => {
    dns.setFault('servfail', { name: 'sel1._domainkey.google.example' });
    const signed = await signMail(
      reportMail(googleSample('example.org', '2026-11-20', 'servfail'), { domain: 'example.org', submitter: 'google.example' }),
      'google.example',
      'sel1',
      key,
    );
    const result = await server.mtaSts.ingestReportMessage(signed);
    assert.equal(result.status, 'created');
    assert.equal(result.status === 'created' && result.dkim?.result, 'temperror');
    const none = await server.mtaSts.ingestReportMessage('From: a@b.example\r\nSubject: hello\r\n\r\nno report here\r\n');
    assert.deepEqual(none.status === 'refused' && none.code, 'mail.noReport');
    const foreign = await server.mtaSts.ingestReportMessage(
      reportMail(googleSample('not-ours.example'), { domain: 'not-ours.example', submitter: 'google.example' }),
    );
    assert.deepEqual(foreign.status === 'refused' && foreign.code, 'unknown-domain');
  });

  it('refuses a mail whose header is longer than the reader takes, with its code and words, and stores nothing', async () => {
    const mail = reportMail(googleSample('example.org', '2026-11-20', 'long-header'), { domain: 'example.org', submitter: 'google.example' });
    const result = await server.mtaSts.ingestReportMessage(`X-Long: ${'a'.repeat(20_000)}\r\n${mail}`);
    assert.deepEqual(result.status === 'refused' && [result.code, result.message], [
      'mail.headerTooLong',
      'A MIME header of the message is too long: at most 64 KiB of headers per part, 16 KiB per field, 1 KiB per parameter.',
    ]);
    assert.deepEqual(await reports(), []);
  });

  /** A report mail signed `count` times, selectors sel0 (first, at the bottom) to sel<count-1> (on top). */
  const signedTimes = async (count: number, reportId: string) => {
    dns.setZone(Array.from({ length: count }, (_, i) => ({ name: `sel${i}._domainkey.google.example`, type: 'TXT' as const, data: key.txt })));
    let mail = reportMail(googleSample('example.org', '2026-11-20', reportId), { domain: 'example.org', submitter: 'google.example' });
    for (let i = 0; i < count; i++) mail = await signMail(mail, 'google.example', `sel${i}`, key);
    return mail;
  };
  const keyLookups = () => [...new Set(dns.queries.filter((q) => q.name.endsWith('._domainkey.google.example')).map((q) => q.name.split('.')[0]))].sort();

  it('verifies at most 3 signatures of a mail that carries 20: three key lookups, the first three in the header', async () => {
    const mail = await signedTimes(20, 'many-signatures');
    dns.queries.splice(0);
    const result = await server.mtaSts.ingestReportMessage(mail);
    assert.equal(result.status, 'created', JSON.stringify(result));
    assert.equal(result.status === 'created' && result.dkim?.result, 'pass');
    assert.equal(MAX_DKIM_SIGNATURES, 3);
    assert.deepEqual(keyLookups(), ['sel17', 'sel18', 'sel19'], 'only the three newest signatures were looked up');
  });

  it('gives a message one deadline for all its signatures: slow keys make it temperror, and no lookup starts after it', async () => {
    const mail = Buffer.from(await signedTimes(3, 'slow-keys'));
    const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 5000, retries: 0 });
    const quiet = { warn: () => {}, info: () => {}, error: () => {} };
    dns.setDelay(600);
    try {
      // Three lookups of 600 ms: within a deadline of 5 s it passes, within 900 ms it cannot.
      assert.deepEqual(await verifyDkim(mail, resolver(), quiet, 5000), { result: 'pass', domain: 'google.example', fromAligned: true }, 'in time, it passes');
      dns.queries.splice(0);
      const started = Date.now();
      assert.deepEqual(await verifyDkim(mail, resolver(), quiet, 900), { result: 'temperror', domain: null });
      const elapsed = Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 1500)); // whatever mailauth still had in flight
      assert.ok(elapsed < 3 * 600, `answered at the deadline (${elapsed} ms), not after three slow lookups`);
      assert.ok(keyLookups().length < 3, `lookups after the deadline: ${keyLookups().join(', ')}`);
    } finally {
      dns.setDelay(0);
    }
  });
});

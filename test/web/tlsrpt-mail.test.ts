import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { TestServer, createServer } from '../support/server';
import { googleSample } from '../tlsrpt/samples';

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
});

// Issue 22: "ready for enforce" counts only trusted reports. A report posted to the public intake
// or mailed unsigned, or signed by a domain that is not the reporter's, is shown as unverified and
// never makes a domain ready; a DKIM-signed report aligned with its reporter counts, and so do
// that organisation's later HTTPS reports and a known reporter's. Real DKIM (mailauth through our
// resolver and a loopback DNS server), the real HTTPS intake, SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { googleSample } from '../support/report-samples';
import { TestServer, createServer } from '../support/server';

const API = '/api/v1/mta-sts';
const NOW = new Date('2026-11-22T12:00:00Z');

/** A report of `organisation` for example.org on `day`, with `failed` sessions failing under the policy. */
function report(organisation: string, id: string, options: { day?: string; contact?: string; failed?: number } = {}): Record<string, unknown> {
  const sample = googleSample('example.org', options.day ?? '2026-11-20', id);
  sample['organization-name'] = organisation;
  if (options.contact) sample['contact-info'] = options.contact;
  const policy = (sample.policies as Array<Record<string, unknown>>)[0];
  if (options.failed) {
    policy.summary = { 'total-successful-session-count': 10, 'total-failure-session-count': options.failed };
    policy['failure-details'] = [{ 'result-type': 'certificate-expired', 'receiving-mx-hostname': 'mx.example.org', 'failed-session-count': options.failed }];
  }
  return sample;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`trusted TLS reports (${kind})`, function () {
    this.timeout(30_000);
    let dns: TestDnsServer;
    let server: TestServer;
    let key: DkimKey;
    let intake: string;

    before(async () => {
      dns = await startDnsServer();
      key = dkimKey();
    });
    after(async () => {
      await dns.close();
    });
    beforeEach(async () => {
      dns.setZone([
        { name: 'sel1._domainkey.google.example', type: 'TXT', data: key.txt },
        { name: 'sel1._domainkey.evil.example', type: 'TXT', data: key.txt },
      ]);
      server = await createServer({ db: kind, plugin: { now: () => NOW, dns: { servers: [dns.address], timeoutMs: 500, retries: 0 } } });
      assert.equal((await server.put('example.org', { mode: 'testing', mx: ['mx.example.org'], maxAge: 86400, active: true })).status, 200);
      const setup = await server
        .request()
        .put(`${API}/example.org/reporting`)
        .send({ rua: ['mailto:tlsrpt@example.org'] });
      intake = new URL(setup.body.reportingUri).pathname;
    });
    afterEach(async () => {
      await server?.close();
    });

    const post = async (body: unknown) => {
      const res = await server.request().post(intake).set('Content-Type', 'application/tlsrpt+json').send(JSON.stringify(body));
      assert.equal(res.status, 201, res.text);
    };
    const mail = async (body: Record<string, unknown>, from: string, signer: string | null) => {
      const raw = reportMail(body, { domain: 'example.org', submitter: from });
      const result = await server.mtaSts.ingestReportMessage(signer ? await signMail(raw, signer, 'sel1', key) : raw);
      assert.equal(result.status, 'created', JSON.stringify(result));
      return result;
    };
    /** What the reports page says: ready or not, how many organisations are trusted, which are unverified. */
    const readiness = async () => {
      const res = await server.request().get(`${server.adminPath}/example.org/reports?days=14`);
      assert.equal(res.status, 200, res.text);
      return {
        ready: /data-readiness="ready"/.test(res.text),
        trusted: /data-trusted>([^<]*)</.exec(res.text)?.[1].replace(/ organisations that .*/, '') ?? '',
        blocked: /sessions failed under the policy/.test(res.text),
        unverified: [...res.text.matchAll(/<th scope="row">([^<]+) <span class="badge[^>]*>unverified</g)].map((m) => m[1]),
      };
    };

    it('never counts made-up organisations on the public intake, unsigned mail, or a signature of another domain', async () => {
      await post(report('Google Inc.', 'https-1', { failed: 50 }));
      await post(report('Microsoft Corporation', 'https-2'));
      // Unsigned, by the real mail path; then signed by evil.example for a Google contact and From.
      await mail(report('Yahoo', 'unsigned-1', { failed: 50 }), 'yahoo.example', null);
      const foreign = await mail(report('Google Inc.', 'foreign-1', { contact: 'tlsrpt@google.example' }), 'google.example', 'evil.example');
      assert.equal(foreign.status === 'created' && foreign.dkim?.result, 'pass', 'the signature itself is valid');
      assert.deepEqual(await readiness(), {
        ready: false,
        trusted: '0 of 3',
        blocked: false,
        unverified: ['Google Inc.', 'Microsoft Corporation', 'Yahoo'],
      });
      const summary = await server.request().get(`${API}/example.org/reports?from=2026-11-09&to=2026-11-22`);
      assert.deepEqual(
        summary.body.organisations.map((o: { name: string; trusted: boolean }) => [o.name, o.trusted]),
        [
          ['Google Inc.', false],
          ['Microsoft Corporation', false],
          ['Yahoo', false],
        ],
      );
    });

    it('counts a DKIM-signed report aligned with its reporter, and afterwards that organisation over HTTPS', async () => {
      // d=google.example, From google.example: aligned with the From (contact-info is google.com).
      await mail(report('Google Inc.', 'signed-1'), 'google.example', 'google.example');
      const row = await server.db.knex(`${server.db.tablePrefix}tlsrpt_reports`).where('report_id', 'signed-1').first('aligned_domain');
      assert.equal(row.aligned_domain, 'google.example');
      assert.deepEqual(await readiness(), { ready: false, trusted: '1 of 1', blocked: false, unverified: [] });
      // The same organisation over HTTPS counts: its failures now stand in the way of enforce.
      await post(report('Google Inc.', 'https-after', { failed: 7 }));
      await post(report('Nobody', 'https-nobody', { failed: 9 }));
      assert.deepEqual(await readiness(), { ready: false, trusted: '1 of 2', blocked: true, unverified: ['Nobody'] });
      assert.match((await server.request().get(`${server.adminPath}/example.org/reports?days=14`)).text, /7 sessions failed under the policy/);
      // Aligned with the contact-info only (From of another domain, d= a parent of the contact's domain).
      await mail(report('Mailer Org', 'contact-1', { contact: 'tlsrpt@reports.google.example' }), 'mailer.example', 'google.example');
      assert.deepEqual((await readiness()).trusted, '2 of 3');
    });

    it('counts known reporters, edited on the reports page (CSRF, 400 naming the line) and over the API (400 naming the field)', async () => {
      await post(report('Google Inc.', 'k1'));
      await post(report('Microsoft Corporation', 'k2'));
      assert.deepEqual(await readiness(), { ready: false, trusted: '0 of 2', blocked: false, unverified: ['Google Inc.', 'Microsoft Corporation'] });
      const path = `${server.adminPath}/example.org/reports/known-reporters`;
      assert.equal((await server.request().post(path).type('form').send({ names: 'Google Inc.' })).status, 403, 'no CSRF token');
      const csrf = await server.csrf('example.org');
      const form = (names: string) => server.request().post(path).type('form').set('Cookie', csrf.cookie).send({ _csrf: csrf.token, names });
      const bad = await form(`Google Inc.\n${'x'.repeat(256)}`);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /The known reporters were not saved: line 2: a name has at most 255 characters\./);
      const saved = await form('Google Inc.\r\nMicrosoft Corporation\r\n');
      assert.equal(saved.status, 200);
      assert.match(saved.text, /The known reporters were saved\./);
      assert.match(saved.text, />Google Inc\.\nMicrosoft Corporation<\/textarea>/);
      assert.deepEqual(await readiness(), { ready: true, trusted: '2 of 2', blocked: false, unverified: [] });

      const api = (body: unknown) =>
        server
          .request()
          .put(`${API}/known-reporters`)
          .send(body as object);
      const tooMany = await api({ names: Array.from({ length: 101 }, (_v, i) => `Org ${i}`) });
      assert.equal(tooMany.status, 400);
      assert.deepEqual(tooMany.body.errors, [{ field: 'names[100]', message: 'at most 100 names' }]);
      assert.deepEqual((await api({ names: ['ok', 'tab\there'] })).body.errors, [{ field: 'names[1]', message: 'a name must not contain control characters' }]);
      assert.deepEqual((await api({ names: 'Google Inc.' })).body.errors, [{ field: 'names', message: 'names must be an array of strings' }]);
      assert.deepEqual((await server.request().get(`${API}/known-reporters`)).body, { names: ['Google Inc.', 'Microsoft Corporation'], max: 100 });
      assert.deepEqual((await api({ names: ['Google Inc.'] })).body, { names: ['Google Inc.'], max: 100 });
      assert.deepEqual(await readiness(), { ready: false, trusted: '1 of 2', blocked: false, unverified: ['Microsoft Corporation'] });
    });
  });
}

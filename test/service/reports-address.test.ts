import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { DB_KINDS } from '../support/db';
import { TestServer, createServer } from '../support/server';
import { createTestServices } from '../support/services';
import { googleSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';
const INTAKE = /^https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/;
const TESTING = { mode: 'testing', mx: ['mx.example.org'], maxAge: 86400, active: true };

/** The value of the tab's rua field. */
function ruaField(html: string): string | undefined {
  return /<input[^>]* name="rua" value="([^"]*)"/.exec(html)?.[1];
}

// The panel's report address is there as soon as the policy is active: no save of the report
// addresses first, and no copying it back into them.
for (const kind of DB_KINDS) {
  describe(`the panel's report address of an active policy (${kind})`, () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await createServer({ db: kind, plugin: { now: () => new Date('2026-11-21T12:00:00Z') } });
    });
    afterEach(async () => {
      await server?.close();
    });

    it('is in the API at once, stays the same, takes a report posted to it; none for a domain without an active policy', async () => {
      assert.equal((await server.request().get(`${API}/example.org`)).body.reportingUri, null, 'no policy yet: no address');
      assert.equal((await server.put('example.org', TESTING)).status, 200);
      const first = await server.request().get(`${API}/example.org`);
      assert.equal(first.status, 200);
      assert.match(first.body.reportingUri, INTAKE);
      assert.equal((await server.request().get(`${API}/example.org`)).body.reportingUri, first.body.reportingUri);
      assert.deepEqual(first.body.records[2], { type: 'TXT', name: '_smtp._tls.example.org', value: `v=TLSRPTv1; rua=${first.body.reportingUri}` });

      const posted = await server
        .request()
        .post(new URL(first.body.reportingUri).pathname)
        .set('Content-Type', 'application/tlsrpt+json')
        .send(JSON.stringify(googleSample('example.org')));
      assert.equal(posted.status, 201, posted.text);
      const summary = await server.request().get(`${API}/example.org/reports?from=2026-11-20&to=2026-11-20`);
      assert.deepEqual(summary.body.days, [{ date: '2026-11-20', success: 42, failure: 0 }]);

      await server.put('example.com', { ...TESTING, mx: ['mx.example.com'], active: false });
      assert.equal((await server.request().get(`${API}/example.com`)).body.reportingUri, null, 'inactive policy: no address made');
    });

    it('is on the tab before any save, with the suggested rua in the field and in the _smtp._tls record', async () => {
      await server.put('example.org', TESTING);
      const uri = (await server.request().get(`${API}/example.org`)).body.reportingUri as string;
      const tab = await server.request().get(`${server.adminPath}/example.org`);
      assert.equal(tab.status, 200);
      assert.match(tab.text, new RegExp(`data-reporting-uri [^>]*>${uri}</code>`));
      assert.equal(ruaField(tab.text), uri);
      assert.ok(tab.text.includes('Suggested, not saved yet'), 'the field says the addresses are a suggestion');
      assert.ok(tab.text.includes(`>v=TLSRPTv1; rua=${uri}</code>`), 'the record to publish carries the address');
      assert.doesNotMatch(tab.text, /Save the report addresses once/);

      const german = await server.request().get(`${server.adminPath}/example.org`).set('Accept-Language', 'de');
      assert.ok(german.text.includes('Vorgeschlagen, noch nicht gespeichert'));

      const inactive = await server.request().get(`${server.adminPath}/example.com`);
      assert.ok(inactive.text.includes('This panel gives the domain its report address as soon as the policy is active.'));
      assert.doesNotMatch(inactive.text, /data-reporting-uri/);
    });

    it('keeps the address once addresses are saved, shows no suggestion after, and a cleared list stays cleared', async () => {
      await server.put('example.org', TESTING);
      const uri = (await server.request().get(`${API}/example.org`)).body.reportingUri as string;
      const saved = await server
        .request()
        .put(`${API}/example.org/reporting`)
        .send({ rua: ['mailto:tls@example.org'] });
      assert.deepEqual(saved.body, {
        rua: ['mailto:tls@example.org'],
        reportingUri: uri,
        suggestedRua: null,
        record: 'v=TLSRPTv1; rua=mailto:tls@example.org',
      });
      const cleared = await server.request().put(`${API}/example.org/reporting`).send({ rua: [] });
      assert.deepEqual(cleared.body, { rua: [], reportingUri: uri, suggestedRua: null, record: null });
      assert.equal((await server.request().get(`${API}/example.org`)).body.records.length, 2, 'no _smtp._tls record once cleared');
      assert.equal(ruaField((await server.request().get(`${server.adminPath}/example.org`)).text), '');
    });
  });

  describe(`the first reads of the report address at once (${kind})`, () => {
    it('end with one token, from one instance or two over the same tables', async () => {
      const t = await createTestServices(kind, { domains: [{ domain: 'example.org' }] });
      try {
        const saved = await t.service.policies.update('example.org', TESTING, 'json');
        assert.equal(saved.status, 'saved');
        const record = await t.service.policies.find('example.org');
        assert.ok(record);
        const second = MtaStsService.fromOptions(resolveOptions(t.options));
        const views = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? t.service : second).reports.reporting(record)));
        const uris = new Set(views.map((v) => v.reportingUri));
        assert.equal(uris.size, 1, [...uris].join(' '));
        assert.match([...uris][0] ?? '', INTAKE);
        const rows = await t.db.knex(`${t.db.tablePrefix}tlsrpt_settings`).where('domain', 'example.org');
        assert.equal(rows.length, 1);
        await second.served.idle();
      } finally {
        await t.destroy();
      }
    });
  });
}

describe("the mailbox's address among the suggested report addresses", () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('suggests mailto: of reports.mailAddress, then the intake URL, in the field and the record', async () => {
    server = await createServer({ plugin: { reports: { mailAddress: 'tlsrpt@mail.example.net' } } });
    await server.put('example.org', TESTING);
    const res = await server.request().get(`${API}/example.org`);
    const uri = res.body.reportingUri as string;
    assert.match(uri, INTAKE);
    assert.equal(res.body.records[2].value, `v=TLSRPTv1; rua=mailto:tlsrpt@mail.example.net,${uri}`);
    const tab = await server.request().get(`${server.adminPath}/example.org`);
    assert.equal(ruaField(tab.text), `mailto:tlsrpt@mail.example.net, ${uri}`);
  });
});

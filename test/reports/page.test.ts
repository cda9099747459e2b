import assert from 'node:assert/strict';
import { TestServer, createServer } from '../support/server';
import { googleSample, microsoftSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

describe('TLS reports on the tab and the reports page', () => {
  let server: TestServer;
  let clock: Date;

  beforeEach(async () => {
    clock = new Date('2026-11-10T12:00:00Z');
    server = await createServer({ plugin: { now: () => clock } });
  });
  afterEach(async () => {
    await server?.close();
  });

  async function postRua(rua: string, lang = 'en') {
    const page = await server.csrf('example.org');
    return server
      .request()
      .post(`${server.adminPath}/example.org/reporting`)
      .type('form')
      .set('Cookie', page.cookie)
      .set('Accept-Language', lang)
      .send({ _csrf: page.token, rua });
  }
  async function intakePath(): Promise<string> {
    return new URL((await server.request().get(`${API}/example.org`)).body.reportingUri).pathname;
  }
  const post = async (report: unknown) => {
    const res = await server
      .request()
      .post(await intakePath())
      .set('Content-Type', 'application/tlsrpt+json')
      .send(JSON.stringify(report));
    assert.ok(res.status === 201 || res.status === 200, res.text);
  };
  const page = (query = '', lang = 'en') => server.request().get(`${server.adminPath}/example.org/reports${query}`).set('Accept-Language', lang);

  it('sets the report addresses from the tab, shows the report address with a copy button and the _smtp._tls record', async () => {
    assert.equal((await server.submitTab('example.org', { mode: 'testing', mx: 'mx.example.org', active: '1' })).status, 200);
    const before = await server.request().get(`${server.adminPath}/example.org`);
    const intake = /data-reporting-uri data-copy="[^"]+">([^<]+)</.exec(before.text)?.[1] ?? '';
    assert.match(intake, /^https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/);
    assert.match(before.text, new RegExp(`_smtp\\._tls\\.example\\.org.*v=TLSRPTv1; rua=${escape(intake)}`, 's'));
    const saved = await postRua('mailto:tlsrpt@example.org');
    assert.equal(saved.status, 200);
    assert.match(saved.text, /The report addresses were saved/);
    const uri = /data-reporting-uri data-copy="[^"]+">([^<]+)</.exec(saved.text)?.[1] ?? '';
    assert.match(uri, /^https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/);
    assert.equal(uri, intake, 'saving the addresses keeps the report address');
    assert.match(saved.text, /_smtp\._tls\.example\.org/);
    assert.match(saved.text, /v=TLSRPTv1; rua=mailto:tlsrpt@example\.org/);
    const bad = await postRua('ftp://nope.example');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Nothing was saved: correct the report addresses\. Report addresses has a problem: &#34;ftp:\/\/nope\.example&#34;/);
    const german = await postRua('nicht gültig', 'de');
    assert.match(german.text, /Berichtsadressen hat ein Problem/);
    // A new token: the address changes, the old one is refused.
    const form = await server.csrf('example.org');
    const renewed = await server
      .request()
      .post(`${server.adminPath}/example.org/reporting/token`)
      .type('form')
      .set('Cookie', form.cookie)
      .send({ _csrf: form.token });
    assert.equal(renewed.status, 200, renewed.text);
    assert.doesNotMatch(renewed.text, new RegExp(escape(uri)));
  });

  it('refuses the reporting forms without a CSRF token', async () => {
    const res = await server.request().post(`${server.adminPath}/example.org/reporting`).type('form').send({ rua: 'mailto:a@example.org' });
    assert.equal(res.status, 403);
  });

  it('shows a chart with a title and a table alternative, organisations, and "ready for enforce"', async () => {
    await server.put('example.org', { mode: 'testing', mx: ['mx.example.org'], maxAge: 86400, active: true });
    await postRua('mailto:tlsrpt@example.org');
    await post(googleSample('example.org', '2026-11-08', 'g1'));
    await post({ ...googleSample('example.org', '2026-11-09', 'y1'), 'organization-name': 'Yahoo' });
    const res = await page();
    assert.equal(res.status, 200);
    assert.match(res.text, /<svg role="img" aria-labelledby="mta-sts-chart-title mta-sts-chart-desc"/);
    assert.match(res.text, /<title id="mta-sts-chart-title">Successful and failed sessions per day, 2026-10-12 to 2026-11-10<\/title>/);
    assert.match(res.text, /<tr data-day="2026-11-08"><th scope="row">2026-11-08<\/th><td>42<\/td><td>0<\/td><\/tr>/);
    // Posted to the public intake by anyone who read the rua: shown, marked unverified, not counted.
    assert.match(res.text, /<th scope="row">Google Inc\. <span class="badge text-bg-warning" title="[^"]+">unverified<\/span><\/th><td>1<\/td><td>42<\/td>/);
    assert.match(res.text, /data-readiness="not-ready"/);
    assert.match(res.text, /0 of 2 organisations that reported in the last 14 days are trusted/);
    // Known reporters count: then ready.
    assert.equal(
      (
        await server
          .request()
          .put(`${API}/known-reporters`)
          .send({ names: ['Google Inc.', 'Yahoo'] })
      ).status,
      200,
    );
    const known = await page();
    assert.match(known.text, /<th scope="row">Google Inc\.<\/th><td>1<\/td><td>42<\/td>/);
    assert.match(known.text, /data-readiness="ready"/);
    assert.match(known.text, /Ready for enforce: in the last 14 days, 2 organisations sent trusted reports/);
    assert.match(known.text, /2 of 2 organisations that reported in the last 14 days are trusted/);
    const week = await page('?days=7');
    assert.match(week.text, /Reports from 2026-11-04 to 2026-11-10/);
    assert.equal((await page('?days=8')).status, 400);
  });

  it('says what stands in the way of enforce, and explains each failure group against the policy, in German too', async () => {
    await server.put('example.org', { mode: 'testing', mx: ['mx1.example.org'], maxAge: 86400, active: true });
    await postRua('mailto:tlsrpt@example.org');
    const failing = googleSample('example.org', '2026-11-09', 'g-fail');
    const policy = (failing.policies as Array<Record<string, unknown>>)[0];
    policy.summary = { 'total-successful-session-count': 10, 'total-failure-session-count': 4 };
    policy['failure-details'] = [
      { 'result-type': 'certificate-host-mismatch', 'receiving-mx-hostname': 'mx.example.org', 'receiving-ip': '192.0.2.1', 'failed-session-count': 4 },
    ];
    await post(failing);
    // Not trusted yet: its failures stand in nobody's way.
    assert.doesNotMatch((await page()).text, /sessions failed under the policy/);
    assert.equal(
      (
        await server
          .request()
          .put(`${API}/known-reporters`)
          .send({ names: ['Google Inc.'] })
      ).status,
      200,
    );
    const res = await page();
    assert.match(res.text, /data-readiness="not-ready"/);
    assert.match(res.text, /Trusted reports from at least two organisations in the last 14 days are needed; 1 sent trusted reports\./);
    assert.match(res.text, /4 sessions failed under the policy in the last 14 days \(certificate-host-mismatch\)/);
    assert.match(res.text, /The certificate of mx\.example\.org is not valid for that name \(4 sessions\)/);
    assert.match(res.text, /mx\.example\.org matches none of the MX entries of the policy/);
    const de = await page('', 'de');
    assert.match(de.text, /Noch nicht bereit für enforce/);
    assert.match(de.text, /Das Zertifikat von mx\.example\.org gilt nicht für diesen Namen/);
    assert.match(de.text, /<title id="mta-sts-chart-title">Erfolgreiche und fehlgeschlagene Verbindungen pro Tag/);
  });

  it('warns when senders still apply an old policy id long after it was replaced', async () => {
    clock = new Date('2026-11-01T12:00:00Z');
    const first = await server.put('example.org', { mode: 'testing', mx: ['mx.example.org'], maxAge: 86400, active: true });
    clock = new Date('2026-11-03T12:00:00Z');
    await server.put('example.org', { mode: 'enforce' });
    clock = new Date('2026-11-10T12:00:00Z');
    await postRua('mailto:tlsrpt@example.org');
    await post(googleSample('example.org', '2026-11-09', 'old-policy'));
    await post(microsoftSample('example.org', '2026-11-09', 'ms'));
    const res = await page();
    assert.match(res.text, new RegExp(`Senders still applied the old policy ${first.body.id} on 2026-11-09, although it was replaced on 2026-11-03`));
    const api = await server.request().get(`${API}/example.org/reports?from=2026-11-01&to=2026-11-10`);
    assert.equal(api.body.policies[0].id, first.body.id);
  });

  it('escapes what senders wrote: organisation names, hosts and result types', async () => {
    await postRua('mailto:tlsrpt@example.org');
    const hostile = microsoftSample('example.org', '2026-11-09', '<b>id</b>');
    hostile['organization-name'] = '<script>alert(1)</script>';
    (hostile.policies as Array<Record<string, Array<Record<string, unknown>>>>)[0]['failure-details'][1]['result-type'] = '"><img src=x onerror=alert(2)>';
    await post(hostile);
    const res = await page();
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /<script>alert|<img src=x/);
    assert.match(res.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(res.text, /&#34;&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
  });
});

/** A text as a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

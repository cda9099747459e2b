// "Why mail fails": the reports page and the API group the period's failures by result type,
// receiving MX, sending organisation and sending IP (ten each, the rest as others, with shares),
// and show each detail's reason code as text and its additional information as a link only when
// it is an https: URL.
import assert from 'node:assert/strict';
import { TestServer, createServer } from '../support/server';
import { googleSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

/** A report of `org` on 2026-11-09 with the given failure details. */
function report(org: string, details: Array<Record<string, unknown>>): Record<string, unknown> {
  const sample: Record<string, unknown> = { ...googleSample('example.org', '2026-11-09', `r-${org}`), 'organization-name': org };
  const policy = (sample.policies as Array<Record<string, unknown>>)[0];
  const failed = details.reduce((sum, d) => sum + Number(d['failed-session-count'] ?? 0), 0);
  policy.summary = { 'total-successful-session-count': 10, 'total-failure-session-count': failed };
  policy['failure-details'] = details;
  return sample;
}

describe('Failures grouped by cause and place on the reports page and the API', () => {
  let server: TestServer;

  before(async () => {
    const clock = new Date('2026-11-10T12:00:00Z');
    server = await createServer({ plugin: { now: () => clock } });
    await server.put('example.org', { mode: 'testing', mx: ['mx1.example.org', 'mx2.example.org'], maxAge: 86400, active: true });
    const intake = new URL((await server.request().get(`${API}/example.org`)).body.reportingUri).pathname;
    const post = async (body: unknown) => {
      const res = await server.request().post(intake).set('Content-Type', 'application/tlsrpt+json').send(JSON.stringify(body));
      assert.equal(res.status, 201, res.text);
    };
    // Twelve organisations, one sending IP each: org-1 fails 12 sessions, org-12 one.
    for (let i = 1; i <= 12; i++) {
      await post(
        report(`org-${i}`, [
          {
            'result-type': i % 2 === 0 ? 'certificate-expired' : 'starttls-not-supported',
            'sending-mta-ip': `192.0.2.${i}`,
            'receiving-mx-hostname': i <= 6 ? 'mx1.example.org' : 'mx2.example.org',
            'receiving-mx-helo': 'helo.example.org',
            'failed-session-count': 13 - i,
          },
        ]),
      );
    }
    // The free texts senders write: a reason code, an https link, and texts that must not become links.
    await post(
      report('Texts <b>Inc</b>', [
        {
          'result-type': 'validation-failure',
          'sending-mta-ip': '198.51.100.7',
          'receiving-mx-hostname': 'mx1.example.org',
          'failed-session-count': 1,
          'failure-reason-code': 'X509_V_ERR_<script>',
          'additional-info-uri': 'https://reports.example/why?id=1&x=2',
        },
        { 'result-type': 'validation-failure', 'sending-mta-ip': '198.51.100.8', 'failed-session-count': 1, 'additional-information': 'javascript:alert(1)' },
        { 'result-type': 'validation-failure', 'sending-mta-ip': '198.51.100.9', 'failed-session-count': 1, 'additional-information': 'http://plain.example/' },
      ]),
    );
  });
  after(async () => {
    await server?.close();
  });

  const page = (lang: string) => server.request().get(`${server.adminPath}/example.org/reports?days=7`).set('Accept-Language', lang);
  /** The rows (name, sessions, share) of one breakdown table of the page. */
  function rows(html: string, key: string): string[][] {
    const table = new RegExp(`<table class="table table-sm" data-breakdown="${key}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
    return [...table.matchAll(/<tr( data-others)?><th scope="row"[^>]*>([^<]*)<\/th><td>(\d+)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[2], m[3], m[4]]);
  }

  it('shows four breakdowns of the failed sessions, ten rows each and the others, with their shares', async () => {
    const res = await page('en');
    assert.equal(res.status, 200);
    // 78 + 3 failed sessions.
    assert.match(res.text, /81 failed sessions in the failure details of this period/);
    const ips = rows(res.text, 'sendingIp');
    assert.equal(ips.length, 11, 'ten and the others');
    assert.deepEqual(ips[0], ['192.0.2.1', '12', '14.8%']);
    assert.deepEqual(ips[10], ['others', '6', '7.4%'], '192.0.2.11, .12 and the three of 198.51.100.x');
    assert.deepEqual(rows(res.text, 'resultType'), [
      ['starttls-not-supported', '42', '51.9%'],
      ['certificate-expired', '36', '44.4%'],
      ['validation-failure', '3', '3.7%'],
    ]);
    assert.deepEqual(rows(res.text, 'receivingMx'), [
      ['mx1.example.org', '58', '71.6%'],
      ['mx2.example.org', '21', '25.9%'],
      ['not reported', '2', '2.5%'],
    ]);
    const orgs = rows(res.text, 'organisation');
    assert.deepEqual(orgs[0], ['org-1', '12', '14.8%']);
    assert.equal(orgs.length, 11);
    assert.equal(orgs[10][0], 'others');
  });

  it('shows every field of a detail; the additional information a link only when https, everything escaped', async () => {
    const res = await page('en');
    assert.match(res.text, /<th scope="col">Sending IP<\/th>/);
    assert.match(res.text, /<td class="font-monospace text-break" data-reason>X509_V_ERR_&lt;script&gt;<\/td>/);
    assert.match(
      res.text,
      /<a href="https:\/\/reports\.example\/why\?id=1&amp;x=2" rel="noopener noreferrer nofollow" target="_blank">https:\/\/reports\.example\/why\?id=1&amp;x=2<\/a>/,
    );
    assert.match(res.text, /<td class="small text-break" data-info>javascript:alert\(1\)<\/td>/);
    assert.match(res.text, /<td class="small text-break" data-info>http:\/\/plain\.example\/<\/td>/);
    assert.doesNotMatch(res.text, /href="javascript:|href="http:\/\/plain/);
    assert.match(res.text, /helo\.example\.org/);
    assert.match(res.text, /<td data-organisation>Texts &lt;b&gt;Inc&lt;\/b&gt;<\/td>/);
    assert.doesNotMatch(res.text, /<b>Inc<\/b>|<script>/);
  });

  it('says the same in German', async () => {
    const res = await page('de');
    assert.equal(res.status, 200);
    assert.match(res.text, /Fehlgeschlagene Verbindungen nach Ursache und Ort/);
    assert.match(res.text, /<caption class="caption-top">Nach sendender IP<\/caption>/);
    const ips = rows(res.text, 'sendingIp');
    assert.deepEqual(ips[0], ['192.0.2.1', '12', '14,8\u00a0%']);
    assert.deepEqual(ips[10], ['übrige', '6', '7,4\u00a0%']);
    assert.deepEqual(rows(res.text, 'receivingMx')[2][0], 'nicht angegeben');
    assert.match(res.text, /<th scope="col">Weitere Informationen<\/th>/);
  });

  it('answers the breakdowns and every detail field in the API', async () => {
    const res = await server.request().get(`${API}/example.org/reports?from=2026-11-09&to=2026-11-09`);
    assert.equal(res.status, 200);
    const { breakdown, failures } = res.body;
    assert.equal(breakdown.sessions, 81);
    assert.deepEqual(breakdown.resultType[0], { name: 'starttls-not-supported', others: false, sessions: 42, share: 51.9 });
    assert.deepEqual(breakdown.sendingIp[10], { name: null, others: true, sessions: 6, share: 7.4 });
    assert.deepEqual(breakdown.receivingMx[2], { name: null, others: false, sessions: 2, share: 2.5 });
    assert.equal(breakdown.organisation.length, 11);
    const linked = failures.find((f: Record<string, unknown>) => f.sendingMtaIp === '198.51.100.7');
    assert.deepEqual(linked, {
      resultType: 'validation-failure',
      receivingMxHostname: 'mx1.example.org',
      receivingIp: null,
      sendingMtaIp: '198.51.100.7',
      receivingMxHelo: null,
      failureReasonCode: 'X509_V_ERR_<script>',
      additionalInformation: 'https://reports.example/why?id=1&x=2',
      organisation: 'Texts <b>Inc</b>',
      sessions: 1,
    });
  });
});

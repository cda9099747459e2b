import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AuthorizeTarget } from '../../src';
import { TestServer, createServer } from '../support/server';
import { googleSample, microsoftSample, rfcSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';
const COLUMNS =
  'organization-name,report-id,start-datetime,end-datetime,policy-type,policy-domain,result-type,sending-mta-ip,receiving-mx-hostname,receiving-mx-helo,receiving-ip,failed-session-count,additional-information,failure-reason-code';

/** A report whose texts try to break a CSV file and a spreadsheet: commas, quotes, line breaks, formulas. */
function hostileSample(domain: string): Record<string, unknown> {
  return {
    'organization-name': 'Evil, "Inc."',
    'date-range': { 'start-datetime': '2026-11-19T00:00:00Z', 'end-datetime': '2026-11-19T23:59:59Z' },
    'contact-info': null,
    'report-id': '=cmd|/c calc',
    policies: [
      {
        policy: { 'policy-type': 'sts', 'policy-domain': domain, 'mx-host': [`mx.${domain}`] },
        summary: { 'total-successful-session-count': 1, 'total-failure-session-count': 4 },
        'failure-details': [
          {
            'result-type': 'validation-failure',
            'sending-mta-ip': '192.0.2.1',
            'receiving-mx-hostname': `mx.${domain}`,
            'receiving-mx-helo': '-helo',
            'receiving-ip': '198.51.100.7',
            'failed-session-count': 4,
            'additional-information': '@SUM(1+1)\r\nsecond line',
            'failure-reason-code': '+X509',
          },
        ],
      },
    ],
  };
}

async function setUp(db: 'sqlite' | 'mariadb' | 'postgres' = 'sqlite') {
  const state = { clock: new Date('2026-11-21T12:00:00Z') };
  const server = await createServer({ db, plugin: { now: () => state.clock } });
  const intake: Record<string, string> = {};
  for (const domain of ['example.org', 'example.com']) {
    const setup = await server
      .request()
      .put(`${API}/${domain}/reporting`)
      .send({ rua: [`mailto:tlsrpt@${domain}`] });
    intake[domain] = new URL(setup.body.reportingUri).pathname;
  }
  const post = (domain: string, body: string | Buffer, gzip = false) =>
    server
      .request()
      .post(intake[domain])
      .set('Content-Type', gzip ? 'application/tlsrpt+gzip' : 'application/tlsrpt+json')
      .send(body);
  return { server, state, post };
}

/** The export as text, read whole (supertest buffers it). */
async function exported(server: TestServer, domain: string, query: string) {
  const res = await server
    .request()
    .get(`${API}/${domain}/reports/export?${query}`)
    .buffer(true)
    .parse((response, done) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => done(null, body));
    });
  return { res, text: res.body as string };
}

for (const db of ['sqlite', 'postgres', 'mariadb'] as const) {
  describe(`stored TLS reports as files (${db})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let post: Awaited<ReturnType<typeof setUp>>['post'];

    beforeEach(async () => {
      ({ server, post } = await setUp(db));
    });
    afterEach(async () => {
      await server?.close();
    });

    it('lists the reports of the period a page at a time, newest first, with how each came in and its size', async () => {
      for (const day of ['2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19']) {
        assert.equal((await post('example.org', JSON.stringify(googleSample('example.org', day, `g-${day}`)))).status, 201);
      }
      assert.equal((await post('example.com', JSON.stringify(googleSample('example.com', '2026-11-18', 'other')))).status, 201);
      const first = await server.request().get(`${API}/example.org/reports/list?from=2026-11-16&to=2026-11-21&limit=2`);
      assert.equal(first.status, 200, first.text);
      assert.deepEqual([first.body.total, first.body.page, first.body.limit, first.body.more], [4, 1, 2, true]);
      assert.deepEqual(
        first.body.reports.map((r: { reportId: string }) => r.reportId),
        ['g-2026-11-19', 'g-2026-11-18'],
      );
      const report = first.body.reports[0];
      assert.deepEqual(
        [report.organisation, report.start, report.end, report.receivedVia, report.dkim, report.dkimDomain, report.success, report.failure],
        ['Google Inc.', '2026-11-19T00:00:00.000Z', '2026-11-19T23:59:59.000Z', 'https', null, null, 42, 0],
      );
      assert.ok(Number.isInteger(report.id) && report.size > 100 && report.size < 1000, String(report.size));
      const second = await server.request().get(`${API}/example.org/reports/list?from=2026-11-16&to=2026-11-21&limit=2&page=2`);
      assert.deepEqual(
        second.body.reports.map((r: { reportId: string }) => r.reportId),
        ['g-2026-11-17', 'g-2026-11-16'],
      );
      assert.equal(second.body.more, false);
      const past = await server.request().get(`${API}/example.org/reports/list?from=2026-11-16&to=2026-11-21&limit=2&page=3`);
      assert.deepEqual([past.status, past.body.reports], [200, []]);
    });

    it('exports every failure detail of the period with all RFC 8460 fields, as JSON Lines and as CSV', async () => {
      assert.equal((await post('example.org', JSON.stringify(rfcSample('example.org')))).status, 201);
      assert.equal((await post('example.org', JSON.stringify(microsoftSample('example.org', '2026-11-20', 'm1')))).status, 201);
      assert.equal((await post('example.org', JSON.stringify(googleSample('example.org', '2026-11-20', 'g1')))).status, 201);
      const { res, text } = await exported(server, 'example.org', 'from=2024-04-01&to=2024-04-30&format=jsonl');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
      assert.equal(res.headers['content-disposition'], 'attachment; filename="tlsrpt-failures-example.org-2024-04-01-2024-04-30.jsonl"');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const rows = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(rows.length, 3);
      assert.deepEqual(rows[2], {
        'organization-name': 'Company-X',
        'report-id': '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
        'start-datetime': '2024-04-01T00:00:00.000Z',
        'end-datetime': '2024-04-01T23:59:59.000Z',
        'policy-type': 'sts',
        'policy-domain': 'example.org',
        'result-type': 'validation-failure',
        'sending-mta-ip': '198.51.100.62',
        'receiving-mx-hostname': 'mx-backup.mail.example.org',
        'receiving-mx-helo': null,
        'receiving-ip': '203.0.113.58',
        'failed-session-count': 3,
        'additional-information': null,
        'failure-reason-code': 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
      });
      const csv = await exported(server, 'example.org', 'from=2026-11-01&to=2026-11-21&format=csv');
      assert.equal(csv.res.headers['content-type'], 'text/csv; charset=utf-8; header=present');
      assert.equal(
        csv.text,
        `${COLUMNS}\r\n` +
          'Microsoft Corporation,m1,2026-11-20T00:00:00.000Z,2026-11-20T23:59:59.000Z,no-policy-found,example.org,sts-policy-fetch-error,40.107.1.1,mx.example.org,,192.0.2.25,,,\r\n' +
          'Microsoft Corporation,m1,2026-11-20T00:00:00.000Z,2026-11-20T23:59:59.000Z,no-policy-found,example.org,tls-version-too-old,40.107.1.2,mx.example.org,,,2,,\r\n',
      );
      // The default is CSV of the last 30 days.
      const plain = await exported(server, 'example.org', '');
      assert.equal(plain.text, csv.text);
    });

    it('reads a period of more reports than one batch (16) whole, each once, by their start and then as stored', async () => {
      // Stored out of date order: days 18, 12, 16, 10, 14, 18, ... (a sender catching up).
      const stored = Array.from({ length: 35 }, (_, i) => ({ id: `batch-${String(i).padStart(2, '0')}`, day: `2026-11-${10 + ((i * 3) % 5) * 2}` }));
      for (const { id, day } of stored) assert.equal((await post('example.org', JSON.stringify(microsoftSample('example.org', day, id)))).status, 201);
      const ids = [...stored].sort((a, b) => a.day.localeCompare(b.day) || a.id.localeCompare(b.id)).map((r) => r.id);
      // Another domain's reports in between the ids are not this domain's rows.
      assert.equal((await post('example.com', JSON.stringify(microsoftSample('example.com', '2026-11-18', 'com')))).status, 201);
      const { text } = await exported(server, 'example.org', 'format=jsonl');
      const rows = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, string>);
      assert.equal(rows.length, 70);
      assert.deepEqual([...new Set(rows.map((row) => row['report-id']))], ids);
    });
  });
}

describe('stored TLS reports as files: downloads, quoting and refusals', function () {
  this.timeout(60_000);
  let server: TestServer;
  let post: Awaited<ReturnType<typeof setUp>>['post'];

  beforeEach(async () => {
    ({ server, post } = await setUp());
  });
  afterEach(async () => {
    await server?.close();
  });

  const listed = async (domain: string) => (await server.request().get(`${API}/${domain}/reports/list?from=2024-01-01&to=2024-12-31`)).body.reports;

  it('downloads the original JSON byte for byte as posted, gzip or plain, as an attachment with a safe name', async () => {
    // Spacing and key order the parser does not keep: the download is the sender's text, not a re-serialisation.
    const text = JSON.stringify(rfcSample('example.org'), null, 3).replace('"Company-X"', '"Company/X \\"..\\\\x\\""');
    assert.equal((await post('example.org', gzipSync(text), true)).status, 201);
    const plainText = `${JSON.stringify(googleSample('example.org', '2024-05-01', 'plain'))}\n`;
    assert.equal((await post('example.org', plainText)).status, 201);
    const [plain, gz] = await listed('example.org');
    for (const [row, body] of [
      [gz, text],
      [plain, plainText],
    ] as const) {
      const res = await server
        .request()
        .get(`${API}/example.org/reports/${row.id}/original`)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(body, 'utf8').equals(res.body as Buffer));
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(res.headers['content-disposition'], /^attachment; filename="tlsrpt-example\.org-2024-0[45]-01-[A-Za-z0-9._-]+-\d+\.json"$/);
    }
    assert.equal(
      (await server.request().get(`${API}/example.org/reports/${gz.id}/original`)).headers['content-disposition'],
      `attachment; filename="tlsrpt-example.org-2024-04-01-Company_X_.._x_-${gz.id}.json"`,
    );
    // By the sender's report-id too; with the organisation when two used the same one.
    const byReportId = await server.request().get(`${API}/example.org/reports/5065427c-23d3-47ca-b6e0-946ea0e8c4be/original`);
    assert.deepEqual(
      [byReportId.status, byReportId.headers['content-disposition']],
      [200, `attachment; filename="tlsrpt-example.org-2024-04-01-Company_X_.._x_-${gz.id}.json"`],
    );
    assert.equal((await post('example.org', JSON.stringify(microsoftSample('example.org', '2024-05-02', 'plain')))).status, 201);
    const twice = await server.request().get(`${API}/example.org/reports/plain/original`);
    assert.deepEqual([twice.status, twice.body.errors?.[0]?.field], [400, 'organisation']);
    assert.equal((await server.request().get(`${API}/example.org/reports/plain/original?organisation=Google%20Inc.`)).text, plainText);
    assert.equal((await server.request().get(`${API}/example.org/reports/no-such-report/original`)).status, 404);
    // The same download from the reports page, with the page's authorization.
    const page = await server.request().get(`${server.adminPath}/example.org/reports/${gz.id}/original`);
    assert.deepEqual([page.status, page.headers['content-type']], [200, 'application/json']);
  });

  it('quotes CSV cells (RFC 4180) and keeps spreadsheet formulas from running', async () => {
    assert.equal((await post('example.org', JSON.stringify(hostileSample('example.org')))).status, 201);
    const { text } = await exported(server, 'example.org', 'from=2026-11-19&to=2026-11-19&format=csv');
    assert.equal(
      text,
      `${COLUMNS}\r\n` +
        `"Evil, ""Inc.""",'=cmd|/c calc,2026-11-19T00:00:00.000Z,2026-11-19T23:59:59.000Z,sts,example.org,validation-failure,192.0.2.1,mx.example.org,'-helo,198.51.100.7,4,"'@SUM(1+1)\r\nsecond line",'+X509\r\n`,
    );
    const jsonl = await exported(server, 'example.org', 'from=2026-11-19&to=2026-11-19&format=jsonl');
    // JSON Lines carries the values as sent: no spreadsheet reads it.
    assert.equal(JSON.parse(jsonl.text)['report-id'], '=cmd|/c calc');
  });

  it('answers HEAD with the headers only, and an error before the first row as an error, not as a file', async () => {
    assert.equal((await post('example.org', JSON.stringify(hostileSample('example.org')))).status, 201);
    const head = await server.request().head(`${API}/example.org/reports/export?from=2026-11-19&to=2026-11-19`);
    assert.deepEqual([head.status, head.headers['content-disposition']], [200, 'attachment; filename="tlsrpt-failures-example.org-2026-11-19-2026-11-19.csv"']);
    const table = `${server.db.tablePrefix}tlsrpt_reports`;
    const realError = console.error;
    console.error = () => undefined;
    await server.db.knex.schema.renameTable(table, `${table}_away`);
    try {
      const res = await server.request().get(`${API}/example.org/reports/export?from=2026-11-19&to=2026-11-19`);
      assert.equal(res.status, 500);
      assert.equal(res.headers['content-disposition'], undefined);
      assert.match(res.headers['content-type'], /^application\/json/);
    } finally {
      await server.db.knex.schema.renameTable(`${table}_away`, table);
      console.error = realError;
    }
  });

  it('refuses another owner’s domain (403) and a report of another domain (404)', async () => {
    assert.equal((await post('example.org', JSON.stringify(rfcSample('example.org')))).status, 201);
    assert.equal((await post('example.com', JSON.stringify(googleSample('example.com', '2024-04-02', 'com')))).status, 201);
    const [org] = await listed('example.org');
    const [com] = await listed('example.com');
    // The owner of example.com only.
    server.authorize = (_req: unknown, target: AuthorizeTarget) => target.domain === 'example.com';
    for (const path of [
      `${API}/example.org/reports/list`,
      `${API}/example.org/reports/export`,
      `${API}/example.org/reports/${org.id}/original`,
      `${server.adminPath}/example.org/reports/${org.id}/original`,
      `${server.adminPath}/example.org/reports/export?format=jsonl`,
    ]) {
      assert.equal((await server.request().get(path)).status, 403, path);
    }
    // Their own domain's path with the other's report id: not theirs, so not there.
    for (const path of [`${API}/example.com/reports/${org.id}/original`, `${server.adminPath}/example.com/reports/${org.id}/original`]) {
      assert.equal((await server.request().get(path)).status, 404, path);
    }
    assert.equal((await server.request().get(`${API}/example.com/reports/${com.id}/original`)).status, 200);
    assert.equal((await server.request().get(`${API}/example.com/reports/999999/original`)).status, 404);
  });

  it('answers 400 naming the parameter for a bad format, date or page', async () => {
    for (const [path, field] of [
      [`${API}/example.org/reports/export?format=xlsx`, 'format'],
      [`${API}/example.org/reports/export?format=csv&from=2026-02-30`, 'from'],
      [`${API}/example.org/reports/export?from=2020-01-01&to=2026-01-01`, 'from'],
      [`${API}/example.org/reports/export?to=tomorrow`, 'to'],
      [`${API}/example.org/reports/list?limit=0`, 'limit'],
      [`${API}/example.org/reports/list?page=101`, 'page'],
    ]) {
      const res = await server.request().get(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.errors[0].field, field, path);
    }
    assert.equal((await server.request().get(`${server.adminPath}/example.org/reports?list=0`)).status, 400);
    assert.equal((await server.request().get(`${API}/nowhere.example/reports/list`)).status, 404);
    assert.equal((await server.request().get(`${API}/nowhere.example/reports/export`)).status, 404);
  });

  it('shows the stored reports on the reports page with their downloads and the export links', async () => {
    assert.equal((await post('example.org', JSON.stringify(hostileSample('example.org')))).status, 201);
    assert.equal((await post('example.org', JSON.stringify(googleSample('example.org', '2026-11-20', 'g1')))).status, 201);
    const [g1] = (await server.request().get(`${API}/example.org/reports/list`)).body.reports;
    const res = await server.request().get(`${server.adminPath}/example.org/reports?days=7`);
    assert.equal(res.status, 200);
    const section = res.text.slice(res.text.indexOf('data-report-files'));
    assert.match(section, /Stored reports/);
    assert.match(section, /Evil, &#34;Inc\.&#34;/);
    assert.ok(section.includes(`href="${server.adminPath}/example.org/reports/${g1.id}/original"`));
    assert.ok(section.includes(`href="${server.adminPath}/example.org/reports/export?from=2026-11-15&amp;to=2026-11-21&amp;format=csv"`));
    assert.match(section, /2026-11-20 00:00 – 2026-11-20 23:59/);
    const de = await server.request().get(`${server.adminPath}/example.org/reports?days=7`).set('Accept-Language', 'de');
    assert.match(de.text, /Gespeicherte Berichte/);
  });
});

describe('stored TLS reports as files: a client that goes away mid-export', function () {
  this.timeout(120_000);
  let server: TestServer;

  before(async () => {
    ({ server } = await setUp());
    // 60 reports of 1,000 failure details each (about 16 MB of CSV), stored as the intake stores them.
    const details = Array.from({ length: 1000 }, (_, i) => ({
      'result-type': 'certificate-expired',
      'sending-mta-ip': `192.0.2.${i % 250}`,
      'receiving-mx-hostname': 'mx.example.org',
      'receiving-ip': '198.51.100.1',
      'failed-session-count': i + 1,
      'additional-information': 'https://reports.example.net/details/certificate-expired',
    }));
    const rows = Array.from({ length: 60 }, (_, i) => {
      const report = googleSample('example.org', '2026-11-10', `bulk-${i}`);
      (report.policies as Array<Record<string, unknown>>)[0]['failure-details'] = details;
      return {
        domain: 'example.org',
        organisation: 'Google Inc.',
        report_id: `bulk-${i}`,
        contact_info: null,
        start_at: '2026-11-10T00:00:00.000Z',
        end_at: '2026-11-10T23:59:59.000Z',
        received_at: '2026-11-11T00:00:00.000Z',
        received_via: 'https',
        dkim: null,
        dkim_domain: null,
        success: 0,
        failure: 500500,
        report_gz: gzipSync(JSON.stringify(report)),
        folded_policies: 0,
        folded_failures: 0,
        stored_rows: 0,
      };
    });
    for (const row of rows) await server.db.knex(`${server.db.tablePrefix}tlsrpt_reports`).insert(row);
  });
  after(async () => {
    await server?.close();
  });

  /** Starts an export, reads its first bytes, then stops reading and closes the connection. */
  function abandon(): Promise<number> {
    const { port } = server.http.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `${API}/example.org/reports/export?from=2026-11-01&to=2026-11-21` }, (res) => {
        res.once('data', (chunk: Buffer) => {
          res.pause();
          // Long enough for the server to fill the socket and wait for 'drain'.
          setTimeout(() => {
            req.destroy();
            resolve(chunk.length);
          }, 300);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
  }

  it('stops, frees its place and keeps serving: more exports than may run at once in a row all answer', async () => {
    for (let i = 0; i < 5; i++) assert.ok((await abandon()) > 0);
    // The export places (2) are free again at once: nothing still reads for the clients that left.
    const started = Date.now();
    let free = false;
    while (!free && Date.now() - started < 5000) {
      const res = await Promise.all([1, 2].map(() => server.request().get(`${API}/example.org/reports/export?from=2026-11-01&to=2026-11-02`)));
      free = res.every((r) => r.status === 200);
      if (!free) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(free, 'the abandoned exports still hold their places');
    const whole = await exported(server, 'example.org', 'from=2026-11-01&to=2026-11-21&format=jsonl');
    assert.equal(whole.text.split('\n').length - 1, 60_000);
  });
});

// What the HTTPS intake stores and refuses beyond parsing: reports the parser took and the
// database refused (on each database), duplicates per domain, the storage bounds, the daily
// quota and the dates. Every worst case is generated here.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { DB_KINDS, type DbKind } from '../support/db';
import { TestServer, createServer } from '../support/server';
import { googleSample, rfcSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';
/** better-sqlite3 itself (it ships no types), for a second writer on the server's database file. */
const Database = createRequire(__filename)('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };

describe('TLS report storage over HTTPS', function () {
  this.timeout(60_000);
  let server: TestServer | null = null;

  /** A server on `db` whose example.org (and example.com) have intake tokens: their paths. */
  async function setUp(db: DbKind, plugin: Record<string, unknown> = {}): Promise<{ org: string; com: string }> {
    server = await createServer({ db, plugin });
    const token = async (domain: string) => {
      const res = await server!
        .request()
        .put(`${API}/${domain}/reporting`)
        .send({ rua: [`mailto:tlsrpt@${domain}`] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return new URL(res.body.reportingUri).pathname;
    };
    return { org: await token('example.org'), com: await token('example.com') };
  }
  const post = (to: string, report: unknown) =>
    server!
      .request()
      .post(to)
      .set('Content-Type', 'application/tlsrpt+gzip')
      .serialize((b: unknown) => b as string)
      .send(gzipSync(JSON.stringify(report)) as never);
  const count = async (table: string) => Number((await server!.db.knex(`${server!.db.tablePrefix}tlsrpt_${table}`).count({ n: '*' }))[0].n);

  afterEach(async () => {
    await server?.close();
    server = null;
  });

  for (const db of DB_KINDS) {
    it(`on ${db}: what the parser takes, the database stores: a 40-character policy-type is a 400 naming it, a 100 KB fingerprint and NUL are stored`, async () => {
      const { org } = await setUp(db);
      const longType = rfcSample();
      (longType.policies as Array<Record<string, any>>)[0].policy['policy-type'] = 't'.repeat(40);
      const refused = await post(org, longType);
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.body.error.problems, [{ code: 'report.length', field: 'policies[0].policy.policy-type' }]);

      // 50 MX lines of 2000 characters: an STS fingerprint of 100 KB, more than MariaDB's TEXT holds.
      const wide = googleSample('example.org', '2026-11-20', 'wide-fingerprint');
      (wide.policies as Array<Record<string, any>>)[0].policy['policy-string'] = [
        'version: STSv1',
        'mode: testing',
        'max_age: 86400',
        ...Array.from({ length: 50 }, (_, i) => `mx: ${String(i).padStart(2, '0')}${'m'.repeat(1994)}.example.org`),
      ];
      const stored = await post(org, wide);
      assert.equal(stored.status, 201, stored.text);

      const nul = googleSample('example.org', '2026-11-21', 'nul\u0000-id');
      nul['organization-name'] = 'Google\u0000 Inc.';
      const withNul = await post(org, nul);
      assert.equal(withNul.status, 201, withNul.text);
      assert.deepEqual(withNul.body, { status: 'created', reportId: 'nul-id' });
      const shown = await server!.request().get(`${API}/example.org/reports/nul-id`);
      assert.equal(shown.body.organisation, 'Google Inc.');
      assert.equal(await count('reports'), 2);
    });
  }

  it("stores a domain's real report although another domain's token posted the same organisation and report-id first", async () => {
    const { org, com } = await setUp('sqlite');
    // Google's report ids are predictable: `<date>T00:00:00Z_<domain>`.
    const id = '2026-11-20T00:00:00Z_example.org';
    assert.equal((await post(com, googleSample('example.com', '2026-11-20', id))).status, 201, 'planted in advance for example.com');
    const real = await post(org, googleSample('example.org', '2026-11-20', id));
    assert.deepEqual([real.status, real.body.status], [201, 'created']);
    const again = await post(org, googleSample('example.org', '2026-11-20', id));
    assert.deepEqual([again.status, again.body.status], [200, 'duplicate']);
    const summary = await server!.request().get(`${API}/example.org/reports?from=2026-11-20&to=2026-11-20`);
    assert.equal(summary.body.days[0].success, 42);
  });

  it('stores a post of 30,000 failure groups (90 KB of gzip, 2.9 MB of JSON) in at most 1,100 rows, the rest counted as folded where the report is shown', async () => {
    const { org } = await setUp('sqlite');
    const report = googleSample('example.org', '2026-11-20', 'wide');
    report.policies = Array.from({ length: 150 }, (_, p) => ({
      policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'example.org', 'mx-host': `mx${p}.example.org` },
      summary: { 'total-successful-session-count': 0, 'total-failure-session-count': 200 },
      'failure-details': Array.from({ length: 200 }, (_, d) => ({
        'result-type': 'starttls-not-supported',
        'receiving-ip': `10.${p}.0.${d}`,
        'failed-session-count': 1,
      })),
    }));
    const res = await post(org, report);
    assert.equal(res.status, 201, res.text);
    const rows = (await count('policies')) + (await count('failures'));
    assert.ok(rows <= 1100, `${rows} rows`);
    const shown = await server!.request().get(`${API}/example.org/reports/wide`);
    assert.deepEqual(shown.body.folded, { policies: 51, failures: 30_000 - 500 });
    const summary = await server!.request().get(`${API}/example.org/reports?from=2026-11-20&to=2026-11-20`);
    assert.equal(summary.body.days[0].failure, 30_000, 'every failed session is still counted');
    const page = await server!.request().get(`${server!.adminPath}/example.org/reports?from=2026-11-20&to=2026-11-20`).set('Accept-Language', 'en');
    assert.equal(page.status, 200);
    assert.match(page.text, /Failures beyond what one report may store, summed \(\d+ sessions\)/);
  });

  it("answers 429 over a domain's daily quota (Retry-After until midnight UTC), 200 for a duplicate, and takes reports again the next day", async () => {
    let clock = new Date('2026-11-21T18:00:00Z');
    const lines: string[] = [];
    const log = (message: string) => lines.push(message);
    const logger = { error: log, warn: log, info: log };
    const { org, com } = await setUp('sqlite', { now: () => clock, logger, reports: { dailyReportsPerDomain: 2 } });
    assert.equal((await post(org, googleSample('example.org', '2026-11-18', 'd1'))).status, 201);
    assert.equal((await post(org, googleSample('example.org', '2026-11-19', 'd2'))).status, 201);
    const over = await post(org, googleSample('example.org', '2026-11-20', 'd3'));
    assert.equal(over.status, 429, over.text);
    assert.equal(over.body.error.code, 'over-quota');
    assert.equal(over.headers['retry-after'], String(6 * 3600));
    assert.deepEqual(lines, ['TLS report "d3" of "Google Inc." for example.org not stored: example.org has stored its 2 reports for today (UTC)']);
    assert.equal((await post(org, googleSample('example.org', '2026-11-19', 'd2'))).status, 200, 'a duplicate is still answered as one');
    assert.equal((await post(com, googleSample('example.com', '2026-11-20', 'd3'))).status, 201, 'each domain has its own quota');
    clock = new Date('2026-11-22T00:00:01Z');
    assert.equal((await post(org, googleSample('example.org', '2026-11-20', 'd3'))).status, 201);
  });

  it('refuses a report dated before 2018 or ending more than a day from now with the code date-range', async () => {
    const clock = new Date('2026-11-21T12:00:00Z');
    const { org } = await setUp('sqlite', { now: () => clock });
    const old = await post(org, googleSample('example.org', '2017-12-31', 'old'));
    assert.equal(old.status, 400);
    assert.equal(old.body.error.code, 'date-range');
    assert.deepEqual(old.body.error.problems, [{ code: 'report.dateRange', field: 'date-range.start-datetime' }]);
    const future = await post(org, googleSample('example.org', '2026-11-23', 'future'));
    assert.deepEqual([future.status, future.body.error.code], [400, 'date-range']);
    assert.equal((await post(org, googleSample('example.org', '2026-11-21', 'today'))).status, 201, 'a report ending later today is fine');
    assert.equal(await count('reports'), 1);
  });

  it('answers a busy database 503, not "unstorable": a report the sender retries is not one the database refused', async () => {
    const lines: string[] = [];
    const { org } = await setUp('sqlite', { logger: { error: (m: string) => lines.push(m), warn: () => undefined, info: () => undefined } });
    await server!.db.knex.raw('PRAGMA journal_mode=WAL');
    // Another writer holds the write lock; in WAL mode reads still answer, so only the error tells busy from refused.
    const filename = (server!.db.knex.client as { config: { connection: { filename: string } } }).config.connection.filename;
    const writer = new Database(filename);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const busy = await post(org, googleSample('example.org', '2026-11-20', 'busy'));
      assert.equal(busy.status, 503, busy.text);
      assert.ok(!lines.some((line) => line.includes('the database refused')), lines.join('\n'));
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    assert.equal((await post(org, googleSample('example.org', '2026-11-20', 'busy'))).status, 201);
  });

  it('validates the limits when the plugin is created, naming the option', async () => {
    await assert.rejects(createServer({ plugin: { reports: { maxRows: 0 } } }), /options\.reports\.maxRows must be a whole number from 700 to/);
    await assert.rejects(
      createServer({ plugin: { reports: { dailyReportsPerDomain: 1.5 } } }),
      /options\.reports\.dailyReportsPerDomain must be a whole number/,
    );
    await assert.rejects(
      createServer({ plugin: { reports: { failuresPerReport: 5000, dailyRowsPerDomain: 1000 } } }),
      /options\.reports\.dailyRowsPerDomain must be a whole number from 5200 to/,
    );
  });
});

import assert from 'node:assert/strict';
import { gzipSync, gunzipSync } from 'node:zlib';
import * as reportTables from '../../migrations/20261201000100_add_tls_report_tables';
import { migrateLatest, rollbackAll } from '../../src/store/migrate';
import { ReportStore, tokenHash } from '../../src/store/report-store';
import { MAX_GROUPS } from '../../src/store/report-slices';
import { STORAGE_DEFAULTS, boundSummary, parseReport, summarizeReport } from '../../src/reports';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { googleSample, microsoftSample, rfcSample } from '../support/report-samples';
import { HOST_COLUMNS, PLUGIN_COLUMNS, columnNames, migrateOptions } from '../support/store';

const TABLES = ['tlsrpt_settings', 'tlsrpt_reports', 'tlsrpt_policies', 'tlsrpt_failures', 'tlsrpt_policy_ids'];

function newReport(sample: Record<string, unknown>, via: 'https' | 'mail' = 'https', domain = 'example.org', receivedAt = '2026-11-21T08:00:00Z') {
  const text = JSON.stringify(sample);
  const parsed = parseReport(text);
  assert.ok(parsed.ok);
  return {
    domain,
    report: parsed.report,
    summary: boundSummary(summarizeReport(parsed.report), STORAGE_DEFAULTS),
    gzip: gzipSync(text),
    via,
    dkim: via === 'mail' ? 'pass' : null,
    dkimDomain: null,
    receivedAt: new Date(receivedAt),
  };
}

for (const kind of DB_KINDS) {
  describe(`TLS report tables on ${kind}`, () => {
    let db: TestDb;
    let store: ReportStore;
    const hasTables = async () => Promise.all(TABLES.map((t) => db.knex.schema.hasTable(`${db.tablePrefix}${t}`)));

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }]);
      await migrateLatest(db.knex, migrateOptions(db));
      store = new ReportStore(db.knex, db.tablePrefix);
    });
    afterEach(async () => {
      await db.destroy();
    });

    it('migrates up to its own tables and down to none, leaving the host table as it was', async () => {
      assert.deepEqual(
        await hasTables(),
        TABLES.map(() => true),
      );
      await reportTables.up(db.knex, { tablePrefix: db.tablePrefix });
      assert.deepEqual(
        await hasTables(),
        TABLES.map(() => true),
        'a second up() changes nothing',
      );
      assert.deepEqual(await columnNames(db), [...HOST_COLUMNS, ...PLUGIN_COLUMNS]);
      await rollbackAll(db.knex, migrateOptions(db));
      assert.deepEqual(
        await hasTables(),
        TABLES.map(() => false),
      );
      assert.deepEqual(await columnNames(db), HOST_COLUMNS);
      await reportTables.down(db.knex, { tablePrefix: db.tablePrefix });
      await migrateLatest(db.knex, migrateOptions(db));
      assert.deepEqual(
        await hasTables(),
        TABLES.map(() => true),
        'up again after down',
      );
    });

    it('keeps the rua list and a 128-bit token found by its hash, and a new token replaces the old', async () => {
      const now = new Date('2026-11-21T08:00:00Z');
      const first = await store.saveRua('example.org', ['mailto:tlsrpt@example.org'], now);
      assert.match(first.token, /^[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(first.rua, ['mailto:tlsrpt@example.org']);
      const row = await db.knex(`${db.tablePrefix}tlsrpt_settings`).first();
      assert.equal(row.token_hash, tokenHash(first.token));
      assert.equal(await store.domainOfToken(first.token), 'example.org');
      const again = await store.saveRua('example.org', [], now);
      assert.equal(again.token, first.token, 'changing the rua keeps the token');
      const renewed = await store.regenerateToken('example.org', now);
      assert.notEqual(renewed.token, first.token);
      assert.equal(await store.domainOfToken(first.token), null, 'the old token stops working');
      assert.equal(await store.domainOfToken(renewed.token), 'example.org');
    });

    it('stores a report once per domain, organisation and report-id, with its gzip and rows', async () => {
      const created = await store.insert(newReport(rfcSample()));
      assert.equal(created.status, 'created');
      const duplicate = await store.insert(newReport(rfcSample(), 'mail'));
      assert.deepEqual(duplicate, { status: 'duplicate', id: created.id });
      const [stored] = await store.byReportId('example.org', '5065427c-23d3-47ca-b6e0-946ea0e8c4be');
      assert.equal(stored.organisation, 'Company-X');
      assert.equal(stored.receivedVia, 'https');
      assert.deepEqual(JSON.parse(gunzipSync(stored.gzip).toString('utf8')), rfcSample());
      // The same report-id from another organisation is another report.
      const other = rfcSample();
      other['organization-name'] = 'Other Org';
      assert.equal((await store.insert(newReport(other))).status, 'created');
      assert.equal((await db.knex(`${db.tablePrefix}tlsrpt_reports`).count({ n: '*' }))[0].n == 2, true);
    });

    it('keys duplicates per domain: the same organisation and report-id posted for another domain first suppresses nothing', async () => {
      // Google's ids are predictable (<date>T00:00:00Z_<domain>): one planted for example.com in advance.
      const planted = await store.insert(newReport(googleSample('example.com', '2026-11-20', '2026-11-20T00:00:00Z_example.org'), 'https', 'example.com'));
      assert.equal(planted.status, 'created');
      const real = await store.insert(newReport(googleSample('example.org', '2026-11-20', '2026-11-20T00:00:00Z_example.org')));
      assert.equal(real.status, 'created', 'the real report of example.org is stored');
      const again = await store.insert(newReport(googleSample('example.org', '2026-11-20', '2026-11-20T00:00:00Z_example.org'), 'mail'));
      assert.deepEqual(again, { status: 'duplicate', id: real.status === 'created' ? real.id : -1 });
      assert.equal((await store.totals('example.org', '2026-11-20', '2026-11-20', { page: 1, limit: 50 })).days[0].success, 42);
    });

    it("refuses a domain's reports beyond its daily quota of reports or rows (UTC day of receipt), still answering duplicates", async () => {
      const quota = { reports: 2, rows: 1000 };
      const day = (id: string, at: string) => newReport(microsoftSample('example.org', '2026-11-20', id), 'https', 'example.org', at);
      assert.equal((await store.insert(day('q1', '2026-11-21T00:00:00Z'), quota)).status, 'created');
      assert.equal((await store.insert(day('q2', '2026-11-21T23:59:59Z'), quota)).status, 'created');
      assert.deepEqual(await store.insert(day('q3', '2026-11-21T23:59:59Z'), quota), { status: 'over-quota', quota: 'reports', limit: 2 });
      assert.equal((await store.insert(day('q1', '2026-11-21T23:59:59Z'), quota)).status, 'duplicate');
      assert.equal(
        (await store.insert(newReport(microsoftSample('example.com', '2026-11-20', 'q3'), 'https', 'example.com', '2026-11-21T12:00:00Z'), quota)).status,
        'created',
        'another domain has its own',
      );
      assert.equal((await store.insert(day('q3', '2026-11-22T00:00:00Z'), quota)).status, 'created', 'the next day starts again');
      // Rows: each of these reports stores 1 policy and 2 failure rows.
      assert.deepEqual(await store.insert(day('q4', '2026-11-22T01:00:00Z'), { reports: 100, rows: 5 }), { status: 'over-quota', quota: 'rows', limit: 5 });
    });

    it('prunes by age, then the oldest reports beyond the cap of reports or of rows', async () => {
      for (let i = 1; i <= 6; i++) await store.insert(newReport(microsoftSample('example.org', `2026-11-0${i}`, `c${i}`)));
      const ids = async () => (await db.knex(`${db.tablePrefix}tlsrpt_reports`).orderBy('end_at').pluck('report_id')).map(String);
      const rows = async () =>
        Number((await db.knex(`${db.tablePrefix}tlsrpt_policies`).count({ n: '*' }))[0].n) +
        Number((await db.knex(`${db.tablePrefix}tlsrpt_failures`).count({ n: '*' }))[0].n);
      assert.equal(await store.prune(new Date('2026-11-02T00:00:00Z'), { reports: 4, rows: 1000 }), 1 + 1);
      assert.deepEqual(await ids(), ['c3', 'c4', 'c5', 'c6']);
      assert.equal(await rows(), 12);
      // As reports stored before stored_rows existed read: their rows are counted, not guessed.
      await db.knex(`${db.tablePrefix}tlsrpt_reports`).whereIn('report_id', ['c3', 'c4']).update({ stored_rows: 0 });
      assert.equal(await store.prune(new Date('2026-01-01T00:00:00Z'), { reports: 100, rows: 7 }), 2);
      assert.deepEqual(await ids(), ['c5', 'c6']);
      assert.equal(await store.prune(new Date('2026-01-01T00:00:00Z'), { reports: 100, rows: 6 }), 0);
    });

    it('stores the folded counts of a report beyond its bounds and shows them with it', async () => {
      const sample = microsoftSample('example.org', '2026-11-20', 'wide');
      const details = (sample.policies as Array<Record<string, unknown[]>>)[0]['failure-details'];
      for (let i = 0; i < 30; i++) details.push({ 'result-type': 'certificate-expired', 'receiving-ip': `192.0.2.${i}`, 'failed-session-count': 1 });
      const input = newReport(sample);
      input.summary = boundSummary(summarizeReport(input.report), { policiesPerReport: 5, failuresPerReport: 10 });
      await store.insert(input);
      const [stored] = await store.byReportId('example.org', 'wide');
      assert.deepEqual(stored.folded, { policies: 0, failures: 22 });
      assert.equal(Number((await db.knex(`${db.tablePrefix}tlsrpt_failures`).count({ n: '*' }))[0].n), 11);
    });

    it('sums sessions per day, organisation, failure group and applied policy within the range', async () => {
      await store.insert(newReport(googleSample('example.org', '2026-11-20', 'g1')));
      await store.insert(newReport(googleSample('example.org', '2026-11-21', 'g2')));
      await store.insert(newReport(microsoftSample('example.org', '2026-11-21', 'm1')));
      await store.insert(newReport(googleSample('example.org', '2026-10-01', 'old')));
      const totals = await store.totals('example.org', '2026-11-15', '2026-11-21', { page: 1, limit: 50 });
      assert.deepEqual(totals.days, [
        { date: '2026-11-20', success: 42, failure: 0 },
        { date: '2026-11-21', success: 49, failure: 2 },
      ]);
      assert.deepEqual(
        totals.organisations.items.map((o) => [o.name, o.reports, o.success, o.failure]),
        [
          ['Google Inc.', 2, 84, 0],
          ['Microsoft Corporation', 1, 7, 2],
        ],
      );
      assert.deepEqual(
        totals.failures.items.map((f) => [f.resultType, f.receivingMxHostname, f.sessions]),
        [
          ['tls-version-too-old', 'mx.example.org', 2],
          ['sts-policy-fetch-error', 'mx.example.org', 0],
        ],
      );
      assert.deepEqual(
        totals.policies.items.map((p) => [p.policyType, p.fingerprint, p.sessions]),
        [
          ['sts', 'testing|86400|mx.example.org', 84],
          ['no-policy-found', null, 9],
        ],
      );
      assert.deepEqual((await store.totals('other.example', '2026-11-15', '2026-11-21', { page: 1, limit: 50 })).days, []);
    });

    /** Stores one report of `domain` on `day` with these failure rows, directly (as many as a test needs, whatever the intake allows). */
    async function storeRows(day: string, reportId: string, rows: Array<{ type: string; mx: string; sessions: number }>) {
      const t = (name: string) => `${db.tablePrefix}${name}`;
      const id = (inserted: unknown[]) => Number(typeof inserted[0] === 'object' ? (inserted[0] as { id: unknown }).id : inserted[0]);
      const failure = rows.reduce((sum, r) => sum + r.sessions, 0);
      const report = id(
        await db
          .knex(t('tlsrpt_reports'))
          .insert({
            domain: 'example.org',
            organisation: `Org ${reportId}`,
            report_id: reportId,
            start_at: `${day}T00:00:00Z`,
            end_at: `${day}T23:59:59Z`,
            received_at: `${day}T23:59:59Z`,
            received_via: 'https',
            success: 0,
            failure,
            report_gz: Buffer.alloc(1),
          })
          .modify((q) => {
            if (db.kind === 'postgres') q.returning('id');
          }),
      );
      const policy = id(
        await db
          .knex(t('tlsrpt_policies'))
          .insert({ report, domain: 'example.org', day, policy_type: 'sts', fingerprint: null, mx: '', success: 0, failure })
          .modify((q) => {
            if (db.kind === 'postgres') q.returning('id');
          }),
      );
      const all = rows.map((r) => ({
        report,
        policy,
        domain: 'example.org',
        day,
        result_type: r.type,
        receiving_mx_hostname: r.mx,
        receiving_ip: null,
        sessions: r.sessions,
      }));
      for (let i = 0; i < all.length; i += 500) await db.knex(t('tlsrpt_failures')).insert(all.slice(i, i + 500));
    }

    it('sums groups exactly across the slices it reads a day in, and pages the lists', async () => {
      // 4,500 rows of three groups interleaved: each group spans the five slices of 1,000 rows.
      const names = ['a.example', 'b.example', 'c.example'];
      await storeRows(
        '2026-11-20',
        'big',
        Array.from({ length: 4500 }, (_, i) => ({ type: 'certificate-expired', mx: names[i % 3], sessions: i % 3 === 1 ? 2 : 1 })),
      );
      await storeRows('2026-11-21', 'small', [{ type: 'starttls-not-supported', mx: 'a.example', sessions: 7 }]);
      const first = await store.totals('example.org', '2026-11-15', '2026-11-21', { page: 1, limit: 2 });
      assert.deepEqual(first.days, [
        { date: '2026-11-20', success: 0, failure: 6000 },
        { date: '2026-11-21', success: 0, failure: 7 },
      ]);
      assert.deepEqual(
        first.failures.items.map((f) => [f.resultType, f.receivingMxHostname, f.sessions, f.details]),
        [
          ['certificate-expired', 'b.example', 3000, 1500],
          ['certificate-expired', 'a.example', 1500, 1500],
        ],
      );
      assert.deepEqual([first.failures.total, first.failures.folded, first.organisations.total], [4, 0, 2]);
      const second = await store.totals('example.org', '2026-11-15', '2026-11-21', { page: 2, limit: 2 });
      assert.deepEqual(
        second.failures.items.map((f) => [f.resultType, f.receivingMxHostname, f.sessions]),
        [
          ['certificate-expired', 'c.example', 1500],
          ['starttls-not-supported', 'a.example', 7],
        ],
      );
      assert.deepEqual(second.organisations.items, [], 'two organisations fit on page 1');
    });

    it('lists the largest of 12,000 failure groups first; read in slices, at most MAX_GROUPS are kept and the rest counted', async () => {
      const noise = Array.from({ length: MAX_GROUPS + 2000 }, (_, i) => ({ type: 'certificate-host-mismatch', mx: `mx-${i}.flood.example`, sessions: 1 }));
      await storeRows('2026-11-20', 'flood', [...noise, { type: 'certificate-expired', mx: 'mx.example.org', sessions: 500 }]);
      const totals = await store.totals('example.org', '2026-11-15', '2026-11-21', { page: 1, limit: 1 });
      assert.deepEqual(
        totals.failures.items.map((f) => [f.resultType, f.receivingMxHostname, f.sessions]),
        [['certificate-expired', 'mx.example.org', 500]],
      );
      if (kind !== 'postgres') {
        // SQLite and MariaDB: read in slices, merged in memory: bounded, and every session is in a kept group or in the folded count.
        assert.ok(totals.failures.total <= MAX_GROUPS, `${totals.failures.total} groups kept`);
        assert.equal(totals.failures.total - 1 + 500 + totals.failures.folded, noise.length + 500);
      } else {
        // PostgreSQL groups in one statement, one page at a time: every group counted, none folded.
        assert.deepEqual([totals.failures.total, totals.failures.folded], [noise.length + 1, 0]);
      }
      const last = await store.totals('example.org', '2026-11-15', '2026-11-21', { page: totals.failures.total, limit: 1 });
      assert.deepEqual(
        last.failures.items.map((f) => f.sessions),
        [1],
      );
    });

    it('answers what "ready for enforce" needs: organisations and the failures enforce would refuse', async () => {
      await store.insert(newReport(googleSample('example.org', '2026-11-20', 'g1')));
      await store.insert(newReport(microsoftSample('example.org', '2026-11-21', 'm1')));
      await storeRows('2026-11-21', 'sts-fail', [{ type: 'certificate-expired', mx: 'mx.example.org', sessions: 3 }]);
      // Posted over HTTPS by organisations nobody vouched for: reported, not counted, not blocking.
      const untrusted = await store.readiness('example.org', '2026-11-08', '2026-11-21', ['sts-policy-fetch-error']);
      assert.deepEqual(untrusted, { organisations: 0, reported: 3, blocking: { sessions: 0, resultTypes: [] } });
      await store.saveKnownReporters(['Google Inc.', 'Microsoft Corporation', 'Org sts-fail'], new Date('2026-11-21T09:00:00Z'));
      const facts = await store.readiness('example.org', '2026-11-08', '2026-11-21', ['sts-policy-fetch-error']);
      // certificate-expired under an applied sts policy, sts-policy-fetch-error under none.
      assert.deepEqual(facts, { organisations: 3, reported: 3, blocking: { sessions: 3, resultTypes: ['certificate-expired', 'sts-policy-fetch-error'] } });
      assert.deepEqual(await store.readiness('example.org', '2026-11-01', '2026-11-07', []), {
        organisations: 0,
        reported: 0,
        blocking: { sessions: 0, resultTypes: [] },
      });
    });

    it('prunes reports that ended before the cutoff, with their rows', async () => {
      await store.insert(newReport(rfcSample()));
      await store.insert(newReport(microsoftSample('example.org', '2026-11-21', 'keep')));
      assert.equal(await store.prune(new Date('2025-01-01T00:00:00Z')), 1);
      const count = async (t: string) => Number((await db.knex(`${db.tablePrefix}${t}`).count({ n: '*' }))[0].n);
      assert.deepEqual([await count('tlsrpt_reports'), await count('tlsrpt_policies'), await count('tlsrpt_failures')], [1, 1, 2]);
      assert.equal(await store.prune(new Date('2025-01-01T00:00:00Z')), 0);
    });
  });
}

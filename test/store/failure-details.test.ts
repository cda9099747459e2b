// Every field of an RFC 8460 failure detail stored and read back on each database (migration
// 20261210000000), and a report stored before that migration refilled from its JSON as received.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as failureDetails from '../../migrations/20261210000000_add_tls_failure_details';
import { migrateLatest } from '../../src/store/migrate';
import { ReportStore } from '../../src/store/report-store';
import { DetailsRefill } from '../../src/service/report-refill';
import { reportLimitsOption } from '../../src/options/report-limits';
import { REPORT_COLUMNS, STORAGE_DEFAULTS, boundSummary, parseReport, summarizeReport } from '../../src/reports';
import type { Logger } from '../../src/logger';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { rfcSample } from '../support/report-samples';
import { migrateOptions } from '../support/store';

const logged: string[] = [];
const logger: Logger = {
  info: (m: string) => void logged.push(m),
  warn: (m: string) => void logged.push(m),
  error: (m: string) => void logged.push(m),
};

/** RFC 8460's example with a HELO on its first detail and the other spelling of the additional information. */
function sample(): Record<string, unknown> {
  const s = rfcSample();
  const details = (s.policies as Array<Record<string, Array<Record<string, unknown>>>>)[0]['failure-details'];
  details[0]['receiving-mx-helo'] = 'mx1-helo.mail.example.org';
  details[0]['additional-info-uri'] = 'https://reports.company-x.example/info?id=1';
  return s;
}

function newReport(report: Record<string, unknown>) {
  const text = JSON.stringify(report);
  const parsed = parseReport(text);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return {
    domain: 'example.org',
    report: parsed.report,
    summary: boundSummary(summarizeReport(parsed.report), STORAGE_DEFAULTS),
    gzip: gzipSync(text),
    via: 'https' as const,
    dkim: null,
    dkimDomain: null,
    receivedAt: new Date('2024-04-02T08:00:00Z'),
  };
}

/** The failure list of the page, as the store reads it, sorted by sending IP. */
async function failures(store: ReportStore) {
  const totals = await store.totals('example.org', '2024-04-01', '2024-04-01', { page: 1, limit: 50 });
  return {
    items: totals.failures.items.map(({ details: _d, ...f }) => f).sort((a, b) => String(a.sendingMtaIp).localeCompare(String(b.sendingMtaIp))),
    breakdown: totals.breakdown,
  };
}

const EXPECTED = [
  {
    policyType: 'sts',
    resultType: 'validation-failure',
    receivingMxHostname: 'mx-backup.mail.example.org',
    receivingIp: '203.0.113.58',
    sendingMtaIp: '198.51.100.62',
    receivingMxHelo: null,
    failureReasonCode: 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
    additionalInformation: null,
    organisation: 'Company-X',
    sessions: 3,
  },
  {
    policyType: 'sts',
    resultType: 'certificate-expired',
    receivingMxHostname: 'mx1.mail.example.org',
    receivingIp: null,
    sendingMtaIp: '2001:db8:abcd:0012::1',
    receivingMxHelo: 'mx1-helo.mail.example.org',
    failureReasonCode: null,
    additionalInformation: 'https://reports.company-x.example/info?id=1',
    organisation: 'Company-X',
    sessions: 100,
  },
  {
    policyType: 'sts',
    resultType: 'starttls-not-supported',
    receivingMxHostname: 'mx2.mail.example.org',
    receivingIp: '203.0.113.56',
    sendingMtaIp: '2001:db8:abcd:0013::1',
    receivingMxHelo: null,
    failureReasonCode: null,
    additionalInformation: 'https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported',
    organisation: 'Company-X',
    sessions: 200,
  },
];

for (const kind of DB_KINDS) {
  describe(`TLS failure details on ${kind}`, () => {
    let db: TestDb;
    let store: ReportStore;
    const table = (name: string) => `${db.tablePrefix}tlsrpt_${name}`;

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }]);
      await migrateLatest(db.knex, migrateOptions(db));
      store = new ReportStore(db.knex, db.tablePrefix);
    });
    afterEach(async () => {
      await db.destroy();
    });

    it('declares the new columns as large as the parser allows', async () => {
      const info = (await db.knex(table('failures')).columnInfo()) as unknown as Record<string, { maxLength: number | string | null }>;
      const sizes: Array<[string, number]> = [
        ['organisation', REPORT_COLUMNS.name],
        ['sending_mta_ip', REPORT_COLUMNS.ip],
        ['receiving_mx_helo', REPORT_COLUMNS.name],
        ['failure_reason_code', REPORT_COLUMNS.detailText],
        ['additional_information', REPORT_COLUMNS.detailText],
      ];
      for (const [column, size] of sizes) assert.ok(Number(info[column]?.maxLength) >= size, `${column}: ${JSON.stringify(info[column])} holds ${size}`);
    });

    it('stores every field of each failure detail and reads them back, with the breakdowns by four fields', async () => {
      assert.equal((await store.insert(newReport(sample()))).status, 'created');
      const read = await failures(store);
      assert.deepEqual(read.items, EXPECTED);
      assert.equal(read.breakdown.sessions, 303);
      assert.deepEqual(read.breakdown.organisation, [{ name: 'Company-X', sessions: 303 }]);
      assert.deepEqual(read.breakdown.resultType[0], { name: 'starttls-not-supported', sessions: 200 });
      assert.deepEqual(
        read.breakdown.sendingIp.map((e) => e.name),
        ['2001:db8:abcd:0013::1', '2001:db8:abcd:0012::1', '198.51.100.62'],
      );
      // The longest free texts the parser takes fit their columns (3-byte characters).
      const long = rfcSample();
      long['report-id'] = 'long-texts';
      const detail = (long.policies as Array<Record<string, Array<Record<string, unknown>>>>)[0]['failure-details'][2];
      detail['failure-reason-code'] = 'R' + '€'.repeat(REPORT_COLUMNS.detailText - 1);
      detail['additional-information'] = 'I' + '€'.repeat(REPORT_COLUMNS.detailText - 1);
      detail['receiving-mx-helo'] = 'h' + '€'.repeat(REPORT_COLUMNS.name - 1);
      assert.equal((await store.insert(newReport(long))).status, 'created');
      const codes = await db.knex(table('failures')).whereNotNull('failure_reason_code').pluck('failure_reason_code');
      assert.ok(codes.some((c: string) => c.length === REPORT_COLUMNS.detailText));
    });

    it('refills the rows of a report stored before the migration from its JSON, once; and rolls back', async () => {
      await failureDetails.down(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasColumn(table('failures'), 'sending_mta_ip'), false);
      // The report as the chain before this migration stored it: grouped rows without the new fields.
      const text = JSON.stringify(sample());
      await db.knex(table('reports')).insert({
        domain: 'example.org',
        organisation: 'Company-X',
        report_id: '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
        contact_info: null,
        start_at: '2024-04-01T00:00:00.000Z',
        end_at: '2024-04-01T23:59:59.000Z',
        received_at: '2024-04-02T08:00:00.000Z',
        received_via: 'https',
        success: 5326,
        failure: 303,
        report_gz: gzipSync(text),
        stored_rows: 4,
      });
      const [{ id }] = await db.knex(table('reports')).select('id');
      await db
        .knex(table('policies'))
        .insert({ report: id, domain: 'example.org', day: '2024-04-01', policy_type: 'sts', fingerprint: null, mx: '', success: 5326, failure: 303 });
      const [{ id: policy }] = await db.knex(table('policies')).select('id');
      for (const [type, host, sessions] of [
        ['certificate-expired', 'mx1.mail.example.org', 100],
        ['starttls-not-supported', 'mx2.mail.example.org', 200],
        ['validation-failure', 'mx-backup.mail.example.org', 3],
      ] as const) {
        await db
          .knex(table('failures'))
          .insert({ report: id, policy, domain: 'example.org', day: '2024-04-01', result_type: type, receiving_mx_hostname: host, sessions });
      }
      // A report without failures: marked done without being read.
      await db.knex(table('reports')).insert({
        domain: 'example.org',
        organisation: 'Other',
        report_id: 'quiet',
        start_at: '2024-04-01T00:00:00.000Z',
        end_at: '2024-04-01T23:59:59.000Z',
        received_at: '2024-04-02T08:00:00.000Z',
        received_via: 'https',
        success: 5,
        failure: 0,
        report_gz: Buffer.from('not gzip'),
      });
      await failureDetails.up(db.knex, { tablePrefix: db.tablePrefix });
      const before = await failures(store);
      assert.equal(before.items[0].sendingMtaIp, null, 'before the refill the old rows have no sending IP');
      assert.equal(before.items[0].organisation, null);

      const refill = new DetailsRefill(store, reportLimitsOption({}), logger, async (work) => work());
      // Two refills at once (two page reads): the report is refilled once, its rows not doubled.
      const counts = await Promise.all([refill.fill('example.org', 100), refill.fill(null, 100)]);
      assert.deepEqual(counts, [1, 0]);
      const after = await failures(store);
      assert.deepEqual(after.items, EXPECTED);
      assert.deepEqual(after.breakdown.organisation, [{ name: 'Company-X', sessions: 303 }]);
      assert.deepEqual((await db.knex(table('reports')).orderBy('id').pluck('failure_details')).map(Number), [1, 1]);
      assert.equal(await refill.fill(null, 100), 0);

      await failureDetails.down(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasColumn(table('failures'), 'additional_information'), false);
      assert.equal(await db.knex.schema.hasColumn(table('reports'), 'failure_details'), false);
      assert.equal(Number((await db.knex(table('failures')).count({ n: '*' }))[0].n), 3, 'the rows stay');
    });
  });
}

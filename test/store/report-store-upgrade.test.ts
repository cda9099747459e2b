// The report tables after 20261207000000_bound_tls_reports: every value the parser accepts fits
// its column on each database, and a database migrated by the chain before it upgrades (and
// rolls back) keeping its reports.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as boundReports from '../../migrations/20261207000000_bound_tls_reports';
import { migrateLatest } from '../../src/store/migrate';
import { ReportStore } from '../../src/store/report-store';
import { REPORT_COLUMNS, STORAGE_DEFAULTS, boundSummary, parseReport, summarizeReport } from '../../src/reports';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { googleSample, rfcSample } from '../support/report-samples';
import { migrateOptions } from '../support/store';

function input(sample: Record<string, unknown>, domain = 'example.org') {
  const text = JSON.stringify(sample);
  const parsed = parseReport(text);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return {
    domain,
    report: parsed.report,
    summary: boundSummary(summarizeReport(parsed.report), STORAGE_DEFAULTS),
    gzip: gzipSync(text),
    via: 'https' as const,
    dkim: null,
    dkimDomain: null,
    receivedAt: new Date('2026-11-21T08:00:00Z'),
  };
}

/** The longest value of `length` the parser still accepts, made of a 3-byte character (UTF-8) after an ASCII head. */
function longest(head: string, length: number): string {
  return head + '€'.repeat(length - head.length);
}

for (const kind of DB_KINDS) {
  describe(`TLS report columns and their upgrade on ${kind}`, () => {
    let db: TestDb;
    let store: ReportStore;
    const table = (name: string) => `${db.tablePrefix}tlsrpt_${name}`;

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }, { domain: 'example.com' }]);
      await migrateLatest(db.knex, migrateOptions(db));
      store = new ReportStore(db.knex, db.tablePrefix);
    });
    afterEach(async () => {
      await db.destroy();
    });

    it('declares every column at least as large as the limit the parser and the bounds keep for it', async () => {
      const declared = async (name: string, column: string) => {
        const info = (await db.knex(table(name)).columnInfo()) as unknown as Record<string, { type: string; maxLength: number | string | null }>;
        return info[column];
      };
      const varchars: Array<[string, string, number]> = [
        ['reports', 'organisation', REPORT_COLUMNS.name],
        ['reports', 'report_id', REPORT_COLUMNS.name],
        ['reports', 'contact_info', REPORT_COLUMNS.name],
        ['reports', 'dkim_domain', REPORT_COLUMNS.name],
        ['policies', 'policy_type', REPORT_COLUMNS.policyType],
        ['failures', 'result_type', REPORT_COLUMNS.resultType],
        ['failures', 'receiving_mx_hostname', REPORT_COLUMNS.name],
        ['failures', 'receiving_ip', REPORT_COLUMNS.ip],
      ];
      for (const [name, column, limit] of varchars) {
        const info = await declared(name, column);
        assert.ok(Number(info.maxLength) >= limit, `${name}.${column}: ${JSON.stringify(info)} holds ${limit}`);
      }
      for (const [name, column] of [
        ['policies', 'fingerprint'],
        ['policies', 'mx'],
      ]) {
        const info = await declared(name, column);
        // MariaDB's TEXT is 65,535 bytes; a character takes at most 4.
        if (kind === 'mariadb') assert.ok(info.type === 'text' && REPORT_COLUMNS.text * 4 <= 65_535, `${name}.${column}: ${JSON.stringify(info)}`);
        else assert.equal(info.type, 'text', `${name}.${column}`);
      }
    });

    it('stores the largest values the parser accepts: names of 255 and types of 32/64 three-byte characters, NUL dropped', async () => {
      const sample = rfcSample();
      sample['organization-name'] = longest('Org\u0000', REPORT_COLUMNS.name + 1);
      sample['report-id'] = longest('id-', REPORT_COLUMNS.name);
      sample['contact-info'] = longest('c', REPORT_COLUMNS.name);
      const policy = (sample.policies as Array<Record<string, any>>)[0];
      policy.policy['policy-type'] = longest('t', REPORT_COLUMNS.policyType);
      policy['failure-details'][0]['result-type'] = longest('r', REPORT_COLUMNS.resultType);
      policy['failure-details'][0]['receiving-mx-hostname'] = longest('mx.', REPORT_COLUMNS.name);
      const created = await store.insert(input(sample));
      assert.equal(created.status, 'created');
      const row = await db.knex(table('reports')).first('organisation', 'report_id');
      assert.equal(row.organisation, longest('Org', REPORT_COLUMNS.name));
      const types = await db.knex(table('policies')).pluck('policy_type');
      assert.deepEqual(types, [longest('t', REPORT_COLUMNS.policyType)]);
    });

    it('upgrades a database migrated by the chain before it: reports kept, duplicates keyed per domain; and rolls back', async () => {
      // The tables as the chain before this migration left them, holding a report.
      await boundReports.down(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasColumn(table('reports'), 'stored_rows'), false);
      const old = input(googleSample('example.com', '2026-11-20', '2026-11-20T00:00:00Z_example.org'), 'example.com');
      await db.knex(table('reports')).insert({
        domain: 'example.com',
        organisation: old.report.organisation,
        report_id: old.report.reportId,
        start_at: old.report.start,
        end_at: old.report.end,
        received_at: '2026-11-20T08:00:00.000Z',
        received_via: 'https',
        success: 42,
        failure: 0,
        report_gz: old.gzip,
      });
      await assert.rejects(
        store.insert(input(googleSample('example.org', '2026-11-20', '2026-11-20T00:00:00Z_example.org'))),
        'the old unique index refuses the same id for another domain',
      );

      await boundReports.up(db.knex, { tablePrefix: db.tablePrefix });
      await boundReports.up(db.knex, { tablePrefix: db.tablePrefix }); // a second run changes nothing
      const [kept] = await store.byReportId('example.com', '2026-11-20T00:00:00Z_example.org');
      assert.deepEqual([kept.success, kept.folded], [42, { policies: 0, failures: 0 }]);
      const real = await store.insert(input(googleSample('example.org', '2026-11-20', '2026-11-20T00:00:00Z_example.org')));
      assert.equal(real.status, 'created');
      assert.equal((await store.insert(old)).status, 'duplicate');

      // Back: the older schema holds one report per organisation and id over all domains, and says so.
      await assert.rejects(
        boundReports.down(db.knex, { tablePrefix: db.tablePrefix }),
        /is stored for more than one domain, which the older schema cannot hold/,
      );
      await db.knex(table('reports')).where('domain', 'example.org').delete();
      await boundReports.down(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasColumn(table('reports'), 'folded_policies'), false);
      assert.equal(await db.knex.schema.hasColumn(table('failures'), 'folded'), false);
      await boundReports.up(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasColumn(table('policies'), 'folded'), true);
    });
  });
}

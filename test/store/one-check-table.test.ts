// 20261208000100_one_check_table: the scheduler's `check_results` folded into `last_checks`. A
// database whose two tables hold rows (as today's main leaves them) upgrades keeping every row
// readable through the one store, rolls back to exactly the rows it had, and upgrades again.
import assert from 'node:assert/strict';
import * as overviewTables from '../../migrations/20261201000400_add_mta_sts_overview_tables';
import * as checkTables from '../../migrations/20261201000500_add_mta_sts_checks';
import * as oneCheckTable from '../../migrations/20261208000100_one_check_table';
import { LastCheckStore } from '../../src/store/last-check-store';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { describeColumns, describeIndexes, dumpRows, tableDefinition } from '../support/store';

/** A result as the scheduler stored it: the check's own time and id inside. */
function result(domain: string, checkedAt: string, statuses: Array<[string, string]>): string {
  return JSON.stringify({ domain, id: '20261201000000', checkedAt, checks: statuses.map(([code, status]) => ({ name: code.split('.')[0], code, status })) });
}

/** Row by row, as the scheduler (`check_results`) and every check (`last_checks`) wrote them on today's main. */
const SCHEDULED = [
  // Checked by the scheduler, recorded in both tables at the same time.
  {
    domain: 'a.example',
    checked_at: '2026-12-01T03:00:00.000Z',
    worst: 'info',
    codes: 'caa.none,mx.ok',
    result: result('a.example', '2026-12-01T03:00:00.000Z', [
      ['caa.none', 'info'],
      ['mx.ok', 'ok'],
    ]),
  },
  // Checked by the scheduler, then again from the tab (last_checks newer).
  {
    domain: 'b.example',
    checked_at: '2026-12-01T03:00:00.000Z',
    worst: 'error',
    codes: 'policy.unreachable',
    result: result('b.example', '2026-12-01T03:00:00.000Z', [['policy.unreachable', 'error']]),
  },
  // Only in check_results: its check was not recorded in last_checks (the write failed).
  {
    domain: 'd.example',
    checked_at: '2026-12-01T03:00:00.000Z',
    worst: 'warning',
    codes: 'sts-txt.other-id,tlsrpt.none',
    result: result('d.example', '2026-12-01T03:00:00.000Z', [
      ['sts-txt.other-id', 'warning'],
      ['tlsrpt.none', 'warning'],
      ['mx.ok', 'ok'],
    ]),
  },
];
const LAST = [
  { domain: 'a.example', checked_at: '2026-12-01T03:00:00.000Z', verdict: 'ok', errors: 0, warnings: 0, policy_id: '20261201000000' },
  { domain: 'b.example', checked_at: '2026-12-01T09:30:00.000Z', verdict: 'ok', errors: 0, warnings: 0, policy_id: '20261201000000' },
  // Only in last_checks: checked from the tab, never by the scheduler.
  { domain: 'c.example', checked_at: '2026-12-01T08:00:00.000Z', verdict: 'warning', errors: 0, warnings: 2, policy_id: null },
];

for (const kind of DB_KINDS) {
  describe(`one table of last checks on ${kind}`, () => {
    let db: TestDb;
    let checks: LastCheckStore;
    const config = () => ({ table: db.domainTable, tablePrefix: db.tablePrefix });
    const lastChecks = () => `${db.tablePrefix}last_checks`;
    const results = () => `${db.tablePrefix}check_results`;
    let before: { lastChecks: string; results: string; indexes: unknown[] };
    /**
     * A table's definition as the database holds it. SQLite drops a column by writing the table
     * anew (Knex), which respells its CREATE statement: there, its columns and indexes.
     */
    const definition = async (table: string) =>
      db.kind === 'sqlite' ? JSON.stringify([await describeColumns(db, table), await describeIndexes(db, table)]) : tableDefinition(db, table);

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'a.example' }, { domain: 'b.example' }, { domain: 'c.example' }, { domain: 'd.example' }]);
      // The two tables as today's main creates them, holding rows.
      await overviewTables.up(db.knex, config());
      await checkTables.up(db.knex, config());
      await db.knex(lastChecks()).insert(LAST);
      await db.knex(results()).insert(SCHEDULED);
      before = {
        lastChecks: await definition(lastChecks()),
        results: await definition(results()),
        indexes: await describeIndexes(db, lastChecks()),
      };
      checks = new LastCheckStore(db.knex, lastChecks());
    });
    afterEach(async () => {
      await db.destroy();
    });

    /** What the one store reads for each domain: the overview's summary and the whole result. */
    const readable = async () => {
      const summaries = (await checks.get(['a.example', 'b.example', 'c.example', 'd.example'])).sort((x, y) => x.domain.localeCompare(y.domain));
      const whole = await Promise.all(['a.example', 'b.example', 'c.example', 'd.example'].map((d) => checks.result(d)));
      return { summaries, whole };
    };

    it('keeps every row of both tables readable through the one store, and drops the second table', async () => {
      await oneCheckTable.up(db.knex, config());
      assert.equal(await db.knex.schema.hasTable(results()), false, 'check_results is gone');
      const { summaries, whole } = await readable();
      assert.deepEqual(
        summaries.map((c) => [c.domain, c.checkedAt, c.verdict, c.errors, c.warnings, c.policyId]),
        [
          // The summaries the overview showed stay as they were...
          ['a.example', '2026-12-01T03:00:00.000Z', 'ok', 0, 0, '20261201000000'],
          ['b.example', '2026-12-01T09:30:00.000Z', 'ok', 0, 0, '20261201000000'],
          ['c.example', '2026-12-01T08:00:00.000Z', 'warning', 0, 2, null],
          // ...and the domain only the scheduler had checked gets one, from its result.
          ['d.example', '2026-12-01T03:00:00.000Z', 'warning', 0, 2, '20261201000000'],
        ],
      );
      // Every scheduled result is there whole, each still saying when it ran.
      assert.deepEqual(
        whole.map((w) => w && [w.domain, w.worst, w.codes, w.result]),
        [
          ['a.example', 'info', ['caa.none', 'mx.ok'], SCHEDULED[0].result],
          ['b.example', 'error', ['policy.unreachable'], SCHEDULED[1].result],
          null,
          ['d.example', 'warning', ['sts-txt.other-id', 'tlsrpt.none'], SCHEDULED[2].result],
        ],
      );
      assert.deepEqual(await describeIndexes(db, lastChecks()), before.indexes, 'the verdict index the overview filters on is kept');

      // A new check is kept whole in the same row.
      await checks.record('c.example', {
        checkedAt: '2026-12-02T00:00:00.000Z',
        verdict: 'error',
        errors: 1,
        warnings: 0,
        policyId: null,
        worst: 'error',
        codes: ['mx.none'],
        result: result('c.example', '2026-12-02T00:00:00.000Z', [['mx.none', 'error']]),
      });
      assert.deepEqual((await checks.result('c.example'))?.codes, ['mx.none']);
    });

    it('rolls back to the rows both tables had, and upgrades again to the same one table', async () => {
      await oneCheckTable.up(db.knex, config());
      const upgraded = await dumpRows(db, lastChecks());
      await oneCheckTable.down(db.knex, config());
      assert.equal(await definition(results()), before.results, 'check_results as 20261201000500 created it');
      assert.equal(await definition(lastChecks()), before.lastChecks, 'last_checks without the added columns');
      assert.deepEqual(await describeIndexes(db, lastChecks()), before.indexes);
      assert.deepEqual(await dumpRows(db, results()), SCHEDULED, 'every scheduled result back, its own time included');
      const back = await dumpRows(db, lastChecks());
      assert.deepEqual(back.slice(0, 3), LAST, 'every summary back as it was');
      // The summary `up` made for the domain only the scheduler knew stays (nothing is lost either way).
      assert.deepEqual(
        back.slice(3).map((r) => [r.domain, r.verdict]),
        [['d.example', 'warning']],
      );

      await oneCheckTable.up(db.knex, config());
      assert.deepEqual(await dumpRows(db, lastChecks()), upgraded, 'the same one table again');
    });

    it('runs again after it ran (or half ran): up twice, down twice', async () => {
      await oneCheckTable.up(db.knex, config());
      const once = await dumpRows(db, lastChecks());
      await oneCheckTable.up(db.knex, config());
      assert.deepEqual(await dumpRows(db, lastChecks()), once);
      await oneCheckTable.down(db.knex, config());
      await oneCheckTable.down(db.knex, config());
      assert.deepEqual(await dumpRows(db, results()), SCHEDULED);
      assert.equal(await definition(lastChecks()), before.lastChecks);
    });
  });
}

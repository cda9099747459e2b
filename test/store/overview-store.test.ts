import assert from 'node:assert/strict';
import { migrateLatest } from '../../src/store/migrate';
import { DnsStateStore } from '../../src/store/dns-state-store';
import { LastCheckStore } from '../../src/store/last-check-store';
import { OverviewStore } from '../../src/store/overview-store';
import { SettingsStore } from '../../src/store/settings-store';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { migrateOptions, storeFor } from '../support/store';

for (const kind of DB_KINDS) {
  describe(`the overview's tables: last DNS Checks, settings, the overview query (${kind})`, function () {
    this.timeout(60_000);
    let db: TestDb;
    let checks: LastCheckStore;
    let settings: SettingsStore;
    let dnsStates: DnsStateStore;
    let overview: OverviewStore;

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'a.example' }, { domain: 'b.example' }, { domain: 'c.example', active: false }, { domain: 'd.example' }]);
      await migrateLatest(db.knex, migrateOptions(db));
      checks = new LastCheckStore(db.knex, `${db.tablePrefix}last_checks`);
      settings = new SettingsStore(db.knex, `${db.tablePrefix}settings`);
      dnsStates = new DnsStateStore(db.knex, `${db.tablePrefix}dns_states`);
      overview = new OverviewStore(storeFor(db), checks, dnsStates);
    });
    afterEach(() => db.destroy());
    /** The parts of a recorded check beyond the overview's summary: a result that names its time. */
    const whole = (worst: string, checkedAt: string) => ({ worst, codes: [`code.${worst}`], result: JSON.stringify({ checkedAt, worst }) });

    it('keeps one last check per domain, the newest, whatever order checks finish in', async () => {
      await checks.record('a.example', {
        checkedAt: '2026-12-01T10:00:00.000Z',
        verdict: 'error',
        errors: 2,
        warnings: 0,
        policyId: '1',
        ...whole('error', '2026-12-01T10:00:00.000Z'),
      });
      await checks.record('a.example', {
        checkedAt: '2026-12-01T11:00:00.000Z',
        verdict: 'ok',
        errors: 0,
        warnings: 0,
        policyId: '2',
        ...whole('ok', '2026-12-01T11:00:00.000Z'),
      });
      // A check that started earlier and finished later does not replace the newer one.
      await checks.record('a.example', {
        checkedAt: '2026-12-01T10:30:00.000Z',
        verdict: 'warning',
        errors: 0,
        warnings: 1,
        policyId: '2',
        ...whole('warning', '2026-12-01T10:30:00.000Z'),
      });
      await checks.record('b.example', {
        checkedAt: '2026-12-01T09:00:00.000Z',
        verdict: 'warning',
        errors: 0,
        warnings: 3,
        policyId: null,
        ...whole('warning', '2026-12-01T09:00:00.000Z'),
      });
      const got = (await checks.get(['a.example', 'b.example', 'nosuch.example'])).sort((x, y) => x.domain.localeCompare(y.domain));
      assert.deepEqual(
        got.map((c) => [c.domain, c.verdict, c.checkedAt]),
        [
          ['a.example', 'ok', '2026-12-01T11:00:00.000Z'],
          ['b.example', 'warning', '2026-12-01T09:00:00.000Z'],
        ],
      );
      // The whole result kept beside the summary is the newest check's too.
      assert.deepEqual(await checks.result('a.example'), {
        domain: 'a.example',
        checkedAt: '2026-12-01T11:00:00.000Z',
        worst: 'ok',
        codes: ['code.ok'],
        result: JSON.stringify({ checkedAt: '2026-12-01T11:00:00.000Z', worst: 'ok' }),
      });
      assert.equal(await checks.result('nosuch.example'), null);
    });

    it('shows and filters each domain by the publishing state the publisher stored, its worst record, without DNS', async () => {
      const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      await dnsStates.record([
        { domain: 'a.example', name: '_mta-sts.a.example', state: 'published', checkedAt: at(0) },
        { domain: 'a.example', name: '_smtp._tls.a.example', state: 'published', checkedAt: at(1) },
        { domain: 'b.example', name: '_mta-sts.b.example', state: 'published', checkedAt: at(0) },
        { domain: 'b.example', name: '_smtp._tls.b.example', state: 'differs', checkedAt: at(0) },
        { domain: 'c.example', name: '_mta-sts.c.example', state: 'pending', checkedAt: at(0) },
      ]);
      // A state that lasts keeps its first time; a changed one starts again.
      await dnsStates.record([
        { domain: 'b.example', name: '_smtp._tls.b.example', state: 'differs', checkedAt: at(5) },
        { domain: 'c.example', name: '_mta-sts.c.example', state: 'published', checkedAt: at(5) },
      ]);
      const stored = (await dnsStates.get(['b.example', 'c.example'])).map((s) => [s.name, s.state, s.since, s.checkedAt]).sort();
      assert.deepEqual(stored, [
        ['_mta-sts.b.example', 'published', at(0), at(0)],
        ['_mta-sts.c.example', 'published', at(5), at(5)],
        ['_smtp._tls.b.example', 'differs', at(0), at(5)],
      ]);
      const all = await overview.page({ limit: 10, offset: 0 });
      assert.deepEqual(
        all.rows.map((r) => [r.record.domain, r.dns]),
        [
          ['a.example', { state: 'published', checkedAt: at(1) }],
          ['b.example', { state: 'differs', checkedAt: at(5) }],
          ['c.example', { state: 'published', checkedAt: at(5) }],
          ['d.example', null],
        ],
      );
      const domains = async (dns: 'published' | 'pending' | 'differs' | 'unknown') => {
        const page = await overview.page({ dns, limit: 10, offset: 0 });
        assert.equal(page.total, page.rows.length);
        return page.rows.map((r) => r.record.domain);
      };
      assert.deepEqual(await domains('published'), ['a.example', 'c.example']);
      assert.deepEqual(await domains('differs'), ['b.example']);
      assert.deepEqual(await domains('pending'), []);
      assert.deepEqual(await domains('unknown'), ['d.example']);
      // With the other filters, and in the viewer's keys.
      assert.deepEqual(await overview.keys({ dns: 'published', search: 'c.' }), ['c.example']);
      assert.equal((await overview.page({ dns: 'published', keys: ['a.example'], limit: 10, offset: 0 })).total, 1);
    });

    it('stores panel settings as JSON, replacing the value', async () => {
      assert.equal(await settings.get('defaults'), null);
      await settings.set('defaults', { mode: 'testing' }, new Date());
      await settings.set('defaults', { mode: 'enforce', mx: ['mx.example.net'] }, new Date());
      assert.deepEqual(await settings.get('defaults'), { mode: 'enforce', mx: ['mx.example.net'] });
    });

    it('filters the overview by verdict and state in one query, and counts only the given keys', async () => {
      await db
        .knex(db.domainTable)
        .where('domain', 'b.example')
        .update({ mta_sts_active: true, mta_sts_id: '20261201', mta_sts_mode: 'testing', mta_sts_mx: 'mx.example.net' });
      await db
        .knex(db.domainTable)
        .where('domain', 'c.example')
        .update({ mta_sts_active: true, mta_sts_id: '20261201', mta_sts_mode: 'testing', mta_sts_mx: 'mx.example.net' });
      await checks.record('b.example', {
        checkedAt: '2026-12-01T09:00:00.000Z',
        verdict: 'error',
        errors: 1,
        warnings: 0,
        policyId: null,
        ...whole('error', '2026-12-01T09:00:00.000Z'),
      });
      const errors = await overview.page({ verdict: 'error', limit: 10, offset: 0 });
      assert.deepEqual(
        errors.rows.map((r) => [r.record.domain, r.lastCheck?.errors]),
        [['b.example', 1]],
      );
      assert.equal((await overview.page({ verdict: 'unchecked', limit: 10, offset: 0 })).total, 3);
      assert.deepEqual(
        (await overview.page({ state: 'served', limit: 10, offset: 0 })).rows.map((r) => r.record.domain),
        ['b.example'],
      );
      assert.deepEqual(
        (await overview.page({ state: 'off', limit: 10, offset: 0 })).rows.map((r) => r.record.domain),
        ['c.example'],
        'the host switched the domain off',
      );
      const mine = await overview.page({ keys: ['a.example', 'd.example'], sort: 'domain', desc: true, limit: 1, offset: 0 });
      assert.equal(mine.total, 2);
      assert.deepEqual(
        mine.rows.map((r) => r.record.domain),
        ['d.example'],
      );
      assert.deepEqual(await overview.keys({ search: 'example', mode: 'testing' }), ['b.example', 'c.example']);
    });
  });
}

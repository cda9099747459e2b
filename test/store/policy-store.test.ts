import { toALabel } from '../../src/policy';
import assert from 'node:assert/strict';
import { InputKind, PolicySettings, applyChanges } from '../../src/policy';
import { migrateLatest } from '../../src/store/migrate';
import type { DomainRecord } from '../../src/policy';
import { PolicyStore, SaveResult } from '../../src/store/policy-store';
import { ServedReader } from '../../src/store/served-reader';
import { ServedCache } from '../../src/store/served-cache';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { dumpRows, migrateOptions, storeFor } from '../support/store';

const T0 = new Date('2026-11-28T12:00:00Z');
const ENFORCE = { mode: 'enforce', mx: ['mx1.example.org', '*.mx.example.net'], maxAge: 604800, active: true };

function saved(result: SaveResult): Extract<SaveResult, { status: 'saved' }> {
  assert.equal(result.status, 'saved', JSON.stringify(result));
  return result;
}

for (const kind of DB_KINDS) {
  describe(`PolicyStore on ${kind}`, () => {
    let db: TestDb;
    let store: PolicyStore;
    const reader = () => new ServedReader(store);
    const change = (name: string, changes: Record<string, unknown>, options: { expectedRevision?: number; now?: Date; kind?: InputKind } = {}) =>
      store.save(name, (current: PolicySettings) => applyChanges(current, changes, options.kind ?? 'json'), {
        expectedRevision: options.expectedRevision,
        now: () => options.now ?? T0,
      });
    const find = async (name: string): Promise<DomainRecord> => {
      const record = await store.find(name);
      assert.ok(record, `${name} should be found`);
      return record;
    };

    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [
        { domain: 'example.org' },
        { domain: 'bücher.example' },
        { domain: 'xn--mnchen-3ya.example' },
        { domain: 'parked.example', active: false },
        { domain: 'other.example' },
      ]);
      await db.knex(db.aliasTable).insert([
        { alias_domain: 'alias.example', target_domain: 'example.org', active: true },
        { alias_domain: 'bücher-alias.example', target_domain: 'bücher.example', active: true },
        { alias_domain: 'disabled-alias.example', target_domain: 'example.org', active: false },
        { alias_domain: 'other-alias.example', target_domain: 'other.example', active: true },
      ]);
      await migrateLatest(db.knex, migrateOptions(db));
      store = storeFor(db);
    });
    afterEach(async () => {
      await db.destroy();
    });

    describe('find', () => {
      it('finds a domain the host holds as A-label by either spelling, in any case', async () => {
        for (const name of ['xn--mnchen-3ya.example', 'münchen.example', 'MÜNCHEN.Example.', 'XN--MNCHEN-3YA.example']) {
          const record = await find(name);
          assert.equal(record.key, 'xn--mnchen-3ya.example', name);
          assert.equal(record.domain, 'xn--mnchen-3ya.example', name);
        }
      });

      it('finds a domain the host holds as U-label by either spelling, in any case', async () => {
        for (const name of ['bücher.example', 'xn--bcher-kva.example', 'BÜCHER.example.', 'XN--BCHER-KVA.EXAMPLE']) {
          const record = await find(name);
          assert.equal(record.key, 'bücher.example', name);
          assert.equal(record.domain, 'xn--bcher-kva.example', name);
        }
      });

      it('does not mistake a look-alike for an IDN domain (accent-insensitive collations)', async () => {
        assert.equal(await store.find('bucher.example'), null);
        assert.equal(await store.find('munchen.example'), null);
      });

      it('returns null for unknown domains and for names that are not host names', async () => {
        for (const name of ['unknown.example', 'example', '', '*.example.org', "example.org' OR '1'='1"]) assert.equal(await store.find(name), null, name);
      });
    });

    describe('save', () => {
      it('stores a new policy with a time-based id and revision 1', async () => {
        const result = saved(await change('example.org', ENFORCE));
        assert.equal(result.changed, true);
        assert.deepEqual(result.record.policy, {
          domain: 'example.org',
          active: true,
          version: 'STSv1',
          mode: 'enforce',
          maxAge: 604800,
          mx: ['mx1.example.org', '*.mx.example.net'],
          id: '20261128120000',
          updatedAt: T0.toISOString(),
          revision: 1,
        });
        assert.deepEqual((await find('example.org')).policy, result.record.policy, 'what was saved is what is read back');
      });

      it('stores Unicode MX entries as A-labels, for a domain held as U-label, in that same row', async () => {
        const rowsBefore = (await dumpRows(db)).length;
        const result = saved(await change('xn--bcher-kva.example', { mode: 'testing', mx: 'MX.Bücher.example., mx2.bücher.example' }));
        assert.deepEqual(result.record.policy.mx, ['mx.xn--bcher-kva.example', 'mx2.xn--bcher-kva.example']);
        const row = await db.knex(db.domainTable).where('domain', 'bücher.example').first();
        assert.equal(row.mta_sts_mx, 'mx.xn--bcher-kva.example,mx2.xn--bcher-kva.example');
        assert.equal(row.mta_sts_mode, 'testing');
        assert.equal((await dumpRows(db)).length, rowsBefore, 'no row was added');
        assert.deepEqual((await find('bücher.example')).policy, result.record.policy);
      });

      it('keeps the id and revision when a save changes nothing', async () => {
        const first = saved(await change('example.org', ENFORCE));
        const again = saved(await change('example.org', ENFORCE, { now: new Date('2026-12-01T00:00:00Z') }));
        assert.equal(again.changed, false);
        const respelled = saved(
          await change(
            'example.org',
            { mode: 'enforce', mx: 'MX1.Example.org. *.MX.example.net', maxAge: '604800', active: 'on' },
            { kind: 'form', now: new Date('2026-12-02T00:00:00Z') },
          ),
        );
        assert.equal(respelled.changed, false);
        const stored = (await find('example.org')).policy;
        assert.equal(stored.id, first.record.policy.id);
        assert.equal(stored.revision, 1);
        assert.equal(stored.updatedAt, T0.toISOString());
      });

      it('gives a new, greater id for each change of mode, MX, max age or activation', async () => {
        let previous = saved(await change('example.org', ENFORCE)).record.policy;
        const changes = [
          { mode: 'testing' },
          { mx: ['mx1.example.org'] },
          { mx: 'mx1.example.org mx3.example.org' },
          { maxAge: 86400 },
          { active: false },
          { active: true },
        ];
        for (const [i, next] of changes.entries()) {
          const later = new Date(T0.getTime() + (i + 1) * 60_000);
          const result = saved(await change('example.org', next, { now: later }));
          assert.equal(result.changed, true, JSON.stringify(next));
          const stored = (await find('example.org')).policy;
          assert.notEqual(stored.id, previous.id, JSON.stringify(next));
          assert.ok(BigInt(stored.id ?? '0') > BigInt(previous.id ?? '0'), `${stored.id} > ${previous.id}`);
          assert.equal(stored.revision, previous.revision + 1);
          previous = stored;
        }
      });

      it('gives strictly increasing ids to changes within the same second and after the clock went back', async () => {
        const ids: string[] = [];
        for (const [i, now] of [T0, T0, T0, new Date(T0.getTime() - 3600_000)].entries()) {
          saved(await change('example.org', { ...ENFORCE, maxAge: 1000 + i }, { now }));
          ids.push(String((await find('example.org')).policy.id));
        }
        for (let i = 1; i < ids.length; i++) assert.ok(BigInt(ids[i]) > BigInt(ids[i - 1]), ids.join(' '));
      });

      it('refuses a stale expectedRevision and saves nothing', async () => {
        saved(await change('example.org', ENFORCE));
        saved(await change('example.org', { mode: 'testing' }, { expectedRevision: 1 }));
        const rows = await dumpRows(db);
        const result = await change('example.org', { mode: 'none' }, { expectedRevision: 1 });
        assert.equal(result.status, 'conflict');
        assert.equal(result.record.policy.revision, 2, 'the conflict shows the current policy');
        assert.equal(result.record.policy.mode, 'testing');
        assert.deepEqual(await dumpRows(db), rows);
      });

      it('lets exactly one of two concurrent saves with the same expectedRevision through', async () => {
        saved(await change('example.org', ENFORCE));
        const results = await Promise.all([
          change('example.org', { mode: 'testing' }, { expectedRevision: 1 }),
          change('example.org', { maxAge: 60 }, { expectedRevision: 1 }),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['conflict', 'saved']);
        const stored = (await find('example.org')).policy;
        assert.equal(stored.revision, 2);
        assert.equal(stored.mode === 'testing', stored.maxAge !== 60, 'only one of the two changes is applied');
      });

      it('saves nothing for invalid input, not even its valid fields', async () => {
        saved(await change('example.org', ENFORCE));
        const rows = await dumpRows(db);
        for (const bad of [
          { mode: 'testing', maxAge: '86400' },
          { mode: 'none', mx: '*foo.example.org' },
          { active: 'yes' },
          { mx: '' },
          { mode: 'testing', colour: 'red' },
        ]) {
          const result = await change('example.org', bad);
          assert.equal(result.status, 'invalid', JSON.stringify(bad));
          assert.ok(result.errors.length > 0);
          assert.deepEqual(await dumpRows(db), rows, JSON.stringify(bad));
        }
      });

      it('answers not-found for a domain the host does not have', async () => {
        const rows = await dumpRows(db);
        assert.deepEqual(await change('unknown.example', ENFORCE), { status: 'not-found' });
        assert.deepEqual(await dumpRows(db), rows);
      });

      it('replaces values edited into an invalid state by hand with a valid policy', async () => {
        await db.knex(db.domainTable).where('domain', 'example.org').update({ mta_sts_active: true, mta_sts_mode: 'bogus', mta_sts_mx: 'mx.example.org' });
        assert.equal((await find('example.org')).valid, false);
        assert.equal((await reader().load()).policies.has('example.org'), false, 'an invalid row is never served');
        saved(await change('example.org', { mode: 'enforce' }));
        const record = await find('example.org');
        assert.equal(record.valid, true);
        assert.equal(record.policy.mode, 'enforce');
      });
    });

    describe('the served-set reader', () => {
      beforeEach(async () => {
        saved(await change('example.org', ENFORCE));
        saved(await change('bücher.example', { mode: 'testing', mx: 'mx.bücher.example', active: true }));
        saved(await change('parked.example', { ...ENFORCE }));
        saved(await change('other.example', { mode: 'enforce', mx: 'mx.other.example', active: false }));
      });

      it('serves only domains whose MTA-STS and host domain are both active, keyed by A-label', async () => {
        const served = await reader().load();
        assert.deepEqual([...served.policies.keys()].sort(), ['example.org', 'xn--bcher-kva.example']);
        assert.deepEqual(served.policies.get('xn--bcher-kva.example'), (await find('bücher.example')).policy);
        assert.deepEqual(served.policies.get('example.org')?.mx, ENFORCE.mx);
      });

      it('lists active alias domains with their targets, in A-labels', async () => {
        const { aliases } = await reader().load();
        assert.equal(aliases.get('alias.example'), 'example.org');
        assert.equal(aliases.get('xn--bcher-alias-thb.example'), 'xn--bcher-kva.example');
        assert.equal(aliases.has('disabled-alias.example'), false);
      });

      it('stops serving a policy once it is deactivated or its host domain is', async () => {
        saved(await change('example.org', { active: false }));
        await db.knex(db.domainTable).where('domain', 'bücher.example').update({ active: false });
        assert.deepEqual([...(await reader().load()).policies.keys()], []);
      });

      it('reads one name the way the whole set is read (direct reads after a quiet spell)', async () => {
        const served = await reader().load();
        const names = [
          'example.org',
          'xn--bcher-kva.example',
          'bücher.example',
          'alias.example',
          'xn--bcher-alias-thb.example',
          'disabled-alias.example',
          'other-alias.example',
          'parked.example',
          'other.example',
          'unknown.example',
        ];
        for (const name of names) {
          const ascii = toALabel(name) as string;
          const expected = served.policies.get(ascii) ?? served.policies.get(served.aliases.get(ascii) ?? '') ?? null;
          assert.deepEqual(await reader().loadOne(name), expected, name);
        }
      });

      it('feeds the served cache: names for certificates and alias lookups', async () => {
        const cache = new ServedCache(() => reader().load(), { ttlMs: 60_000, waitMs: 5_000 });
        assert.deepEqual(await cache.servedDomains(), ['alias.example', 'example.org', 'xn--bcher-alias-thb.example', 'xn--bcher-kva.example']);
        const viaAlias = await cache.lookup('alias.example');
        assert.equal(viaAlias.status, 'found');
        assert.equal((viaAlias as { policy: { domain: string } }).policy.domain, 'example.org');
        assert.deepEqual(await cache.lookup('other-alias.example'), { status: 'missing' });
        assert.deepEqual(await cache.lookup('disabled-alias.example'), { status: 'missing' });
        assert.deepEqual(await cache.lookup('parked.example'), { status: 'missing' });
      });
    });
  });
}

// The policy file's hot path for hosts with many domains (from the performance work, see
// docs/performance.md): the served policies are loaded in batches, and ServedCache.peek answers
// from a fresh snapshot at once and renews it in the background before it expires.
import assert from 'node:assert/strict';
import type { StoredPolicy } from '../../src/policy';
import { migrateLatest } from '../../src/store/migrate';
import { ServedCache } from '../../src/store/served-cache';
import { ServedReader, type ServedPolicies } from '../../src/store/served-reader';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { migrateOptions, storeFor } from '../support/store';

for (const kind of DB_KINDS) {
  describe(`ServedReader.load in batches (${kind})`, () => {
    let db: TestDb;
    before(async () => {
      db = await createTestDb(kind);
      // More than two batches of 500, keys in no particular order, some not served.
      const rows = Array.from({ length: 1234 }, (_, i) => ({ domain: `d${(i * 7919) % 1234}.example`, description: '', mailboxes: 10, active: i % 100 !== 5 }));
      await createHostTables(db);
      for (let i = 0; i < rows.length; i += 200) await db.knex(db.domainTable).insert(rows.slice(i, i + 200));
      await migrateLatest(db.knex, migrateOptions(db));
      await db
        .knex(db.domainTable)
        .update({ mta_sts_active: true, mta_sts_mode: 'testing', mta_sts_mx: 'mail.example.org', mta_sts_id: '20261128000000', mta_sts_revision: 1 });
      await db.knex(db.domainTable).whereIn('domain', ['d1.example', 'd2.example']).update({ mta_sts_active: false });
    });
    after(async () => {
      await db?.destroy();
    });

    it('serves every active policy of a host with more domains than one batch, each once', async () => {
      const served = await new ServedReader(storeFor(db)).load();
      const hostInactive = Array.from({ length: 1234 }, (_, i) => i)
        .filter((i) => i % 100 === 5)
        .map((i) => `d${(i * 7919) % 1234}.example`);
      const expected = Array.from({ length: 1234 }, (_, i) => `d${i}.example`)
        .filter((d) => !hostInactive.includes(d) && d !== 'd1.example' && d !== 'd2.example')
        .sort();
      assert.deepEqual([...served.policies.keys()].sort(), expected);
      assert.equal(served.policies.get('d1233.example')?.mode, 'testing');
    });
  });
}

describe("ServedCache.peek (the policy file's warm path)", () => {
  const TTL = 10_000;
  const policy = (domain: string, maxAge = 86400): StoredPolicy => ({
    domain,
    active: true,
    version: 'STSv1',
    mode: 'enforce',
    maxAge,
    mx: [`mx.${domain}`],
    id: '20261128120000',
    updatedAt: null,
    revision: 1,
  });
  function setup() {
    const clock = { now: 1_000_000 };
    const state = { maxAge: 86400, loads: 0, release: null as null | (() => void) };
    const load = async (): Promise<ServedPolicies> => {
      state.loads += 1;
      const maxAge = state.maxAge;
      if (state.loads > 1) await new Promise<void>((resolve) => (state.release = resolve));
      return { policies: new Map([['example.org', policy('example.org', maxAge)]]), aliases: new Map([['alias.example', 'example.org']]) };
    };
    const cache = new ServedCache(load, { ttlMs: TTL, waitMs: 1000, now: () => clock.now });
    return { clock, state, cache };
  }

  it('answers nothing before the first load, then from the fresh snapshot (domain and alias)', async () => {
    const { cache } = setup();
    assert.equal(cache.peek('example.org'), null);
    assert.equal((await cache.lookup('example.org')).status, 'found');
    assert.equal(cache.peek('example.org')?.domain, 'example.org');
    assert.equal(cache.peek('alias.example')?.domain, 'example.org');
    assert.equal(cache.peek('unknown.example'), null);
  });

  it('renews the snapshot in the background from 80% of the TTL on, still answering from it', async () => {
    const { clock, state, cache } = setup();
    await cache.lookup('example.org');
    clock.now += TTL * 0.8 - 1;
    assert.equal(cache.peek('example.org')?.maxAge, 86400);
    assert.equal(state.loads, 1, 'not yet');
    clock.now += 1;
    state.maxAge = 600;
    assert.equal(cache.peek('example.org')?.maxAge, 86400, 'answered at once from the current snapshot');
    assert.equal(cache.peek('example.org')?.maxAge, 86400);
    assert.equal(state.loads, 2, 'one reload, however many requests');
    state.release?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.peek('example.org')?.maxAge, 600, 'the renewed snapshot');
  });

  it('answers nothing from an expired snapshot: lookup decides then', async () => {
    const { clock, cache } = setup();
    await cache.lookup('example.org');
    clock.now += TTL;
    assert.equal(cache.peek('example.org'), null);
  });

  it('sees a local save at once', async () => {
    const { cache } = setup();
    await cache.lookup('example.org');
    cache.applyLocal('example.org', { ...policy('example.org', 300), revision: 2 });
    assert.equal(cache.peek('example.org')?.maxAge, 300);
    cache.applyLocal('example.org', null, 3);
    assert.equal(cache.peek('example.org'), null);
  });
});

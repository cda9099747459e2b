// Keeping the served set fresh at a cost that grows with the changes, not the domains: a second
// instance follows saves made through the plugin by reading only those (the history's ids), and
// the host's own changes to its tables (a domain deactivated, deleted or added, an alias added) by
// a cheap fingerprint, with a full load only then. On every database.
import assert from 'node:assert/strict';
import { applyChanges } from '../../src/policy';
import { HistoryStore } from '../../src/store/history-store';
import { migrateLatest } from '../../src/store/migrate';
import { PolicyStore } from '../../src/store/policy-store';
import { ServedReader, type ServedPolicies } from '../../src/store/served-reader';
import { ServedCache, type Lookup } from '../../src/store/served-cache';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import { migrateOptions } from '../support/store';

const TTL = 5000;

function statusOf(lookup: Lookup): string {
  return lookup.status === 'found' ? `${lookup.policy.mode}` : lookup.status;
}

for (const kind of DB_KINDS) {
  describe(`ServedCache following changes (${kind})`, function () {
    this.timeout(60_000);
    let db: TestDb;
    let store: PolicyStore;
    let reader: ServedReader;
    let other: PolicyStore;
    let cache: ServedCache;
    let loads = 0;
    let queries = 0;
    const clock = { now: 1_000_000 };
    const errors: unknown[] = [];
    const onQuery = () => {
      queries += 1;
    };

    const storeOf = () =>
      new PolicyStore(
        db.knex,
        { table: db.domainTable, keyColumn: 'domain', activeColumn: 'active' },
        { table: db.aliasTable, aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
        { history: new HistoryStore(db.knex, `${db.tablePrefix}history`) },
      );
    /**
     * The time passes beyond the ttl and the set is renewed (servedDomains waits for a confirmed
     * set; a lookup would read its own name directly and renew in the background).
     */
    const expire = async () => {
      clock.now += TTL + 1;
      assert.ok(await cache.servedDomains(), 'renewed');
    };

    before(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }, { domain: 'example.com' }, { domain: 'example.net' }]);
      await migrateLatest(db.knex, migrateOptions(db));
      store = storeOf();
      reader = new ServedReader(store);
      other = storeOf();
      for (const domain of ['example.org', 'example.com', 'example.net']) {
        const saved = await other.save(domain, (current) => applyChanges(current, { active: true, mode: 'testing', mx: 'mail.example.org' }, 'form'));
        assert.equal(saved.status, 'saved');
      }
      cache = new ServedCache(
        async (): Promise<ServedPolicies> => {
          loads += 1;
          return reader.load();
        },
        { ttlMs: TTL, waitMs: 5000, now: () => clock.now },
        (domain) => reader.loadOne(domain),
        (err) => errors.push(err),
        undefined,
        (token, now) => reader.changes(token, now, reader.commitGapMs),
      );
      db.knex.on('query', onQuery);
      assert.equal(statusOf(await cache.lookup('example.org')), 'testing');
      assert.equal(loads, 1);
    });
    after(async () => {
      db?.knex.removeListener('query', onQuery);
      await db?.destroy();
    });

    it('sees a save made by another instance within the ttl, reading only that domain', async () => {
      const saved = await other.save('example.com', (current) => applyChanges(current, { mode: 'enforce' }, 'json'));
      assert.equal(saved.status, 'saved');
      queries = 0;
      await expire();
      assert.equal(statusOf(await cache.lookup('example.com')), 'enforce');
      assert.equal(loads, 1, 'no full load');
      // The fingerprint, the new history rows, and the saved row (the find may try a second spelling).
      assert.ok(queries <= 4, `${queries} queries`);
    });

    it('costs one query per ttl when nothing changed', async () => {
      // The window in which a save with a lower id could still commit is open for two deadlines.
      clock.now += 2 * reader.commitGapMs;
      await expire();
      queries = 0;
      await expire();
      assert.equal(statusOf(await cache.lookup('example.org')), 'testing');
      assert.equal(queries, 1);
      assert.equal(loads, 1);
    });

    it('sees a domain the host deactivated, or deleted, in its own table within the ttl', async () => {
      await db.knex(db.domainTable).where('domain', 'example.net').update({ active: false });
      await expire();
      assert.equal(statusOf(await cache.lookup('example.net')), 'missing');
      assert.equal(loads, 2, 'a host-side change is loaded in full');
      await db.knex(db.domainTable).where('domain', 'example.com').delete();
      await expire();
      assert.equal(statusOf(await cache.lookup('example.com')), 'missing');
    });

    it('answers from the database directly while the full load after a host-side change runs', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let hold = false;
      const slow = new ServedCache(
        async (): Promise<ServedPolicies> => {
          if (hold) await held;
          return reader.load();
        },
        { ttlMs: TTL, waitMs: 5000, now: () => clock.now },
        (domain) => reader.loadOne(domain),
        undefined,
        undefined,
        (token, now) => reader.changes(token, now, reader.commitGapMs),
      );
      assert.equal(statusOf(await slow.lookup('example.org')), 'testing');
      // The first lookup may answer by reading its name directly while the set loads behind it
      // (a slow database): the set must be in before the host's change, or the load sees it.
      assert.ok(await slow.servedDomains(), 'loaded');
      await db.knex(db.domainTable).where('domain', 'example.org').update({ active: false });
      hold = true;
      clock.now += TTL + 1;
      // The renewal finds the host's change and starts a full load, which hangs: the old set is
      // known to be out of date, so the policy file asks the database for this one name.
      assert.equal(statusOf(await slow.lookup('example.org')), 'missing');
      assert.equal(slow.peek('example.org'), null);
      assert.equal(statusOf(await slow.lookup('example.org')), 'missing');
      release();
      await db.knex(db.domainTable).where('domain', 'example.org').update({ active: true });
    });

    it('sees an alias the host added within the ttl, reading the alias table only', async () => {
      const before = loads;
      await db.knex(db.aliasTable).insert({ alias_domain: 'alias.example', target_domain: 'example.org', active: true });
      await expire();
      assert.equal(statusOf(await cache.lookup('alias.example')), 'testing');
      assert.equal(loads, before);
    });

    it('does not miss a save whose history id commits after a higher one was seen', async () => {
      const table = `${db.tablePrefix}history`;
      const max = Number((await db.knex(table).max({ id: 'id' }))[0].id);
      const row = (id: number, domain: string) => ({ id, domain, changed_at: new Date().toISOString(), source: 'api', after: '{}', new_id: 'x' });
      // Id max+2 commits first (a domain that did not change), then max+1 with a real change.
      await db.knex(table).insert(row(max + 2, 'example.org'));
      await expire();
      await cache.lookup('example.org');
      await db
        .knex(db.domainTable)
        .where('domain', 'example.org')
        .update({ mta_sts_mode: 'enforce', mta_sts_revision: db.knex.raw('mta_sts_revision + 1') });
      await db.knex(table).insert(row(max + 1, 'example.org'));
      await expire();
      const before = loads;
      assert.equal(statusOf(await cache.lookup('example.org')), 'enforce');
      assert.equal(loads, before, 'found through the history, not a full load');
    });

    it('fails the renewal like a load when the plugin columns are gone, so that the repair starts', async () => {
      const count = errors.length;
      await db.knex.schema.alterTable(db.domainTable, (t) => t.dropColumn('mta_sts_mx'));
      clock.now += TTL + 1;
      assert.equal(await cache.servedDomains(), null, 'not confirmed');
      // Last known good meanwhile.
      assert.equal(statusOf(await cache.lookup('example.org')), 'enforce');
      assert.ok(errors.length > count, 'the failure was reported');
    });
  });
}

// The named lease on each database: one holder at a time, also when many race for a lease nobody
// holds yet; renewed by its holder; taken over only once it expires by the database's clock, or at
// once when released.
import assert from 'node:assert/strict';
import { up, down } from '../../migrations/20261208000000_add_mta_sts_leases';
import { LeaseStore } from '../../src/store/lease-store';
import { createTestDb, DB_KINDS, type TestDb } from '../support/db';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const kind of DB_KINDS) {
  describe(`lease store on ${kind}`, function () {
    this.timeout(30_000);
    let db: TestDb;
    let store: LeaseStore;
    before(async () => {
      db = await createTestDb(kind);
      await up(db.knex, { tablePrefix: db.tablePrefix });
      await up(db.knex, { tablePrefix: db.tablePrefix }); // guarded: a second run changes nothing
      store = new LeaseStore(db.knex, `${db.tablePrefix}leases`);
    });
    after(() => db.destroy());

    it('gives a lease to one holder, renews it for that holder, and refuses the others until it expires', async () => {
      assert.equal(await store.acquire('jobs', 'a', 60_000), true, 'nobody held it');
      assert.equal(await store.acquire('jobs', 'b', 60_000), false, 'a holds it');
      assert.equal(await store.acquire('jobs', 'a', 60_000), true, 'a renews it');
      assert.equal(await store.holder('jobs'), 'a');
      assert.equal(await store.acquire('other-job', 'b', 60_000), true, 'another name is another lease');
    });

    it('lets exactly one of many holders racing for a new lease take it', async () => {
      // Each racer on its own connection where the database has a pool, all sent at once.
      const racers = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
      const results = await Promise.all(racers.map((holder) => store.acquire('race', holder, 60_000).catch(() => false)));
      assert.equal(results.filter(Boolean).length, 1, `winners: ${JSON.stringify(results)}`);
      assert.equal(await store.holder('race'), racers[results.indexOf(true)]);
    });

    it('is taken over once its holder stops renewing, and the old holder then cannot renew it', async () => {
      assert.equal(await store.acquire('expiring', 'a', 1000), true);
      assert.equal(await store.acquire('expiring', 'b', 1000), false);
      // Past the period by the database's clock (the server may run a little ahead or behind us).
      await sleep(1500);
      assert.equal(await store.holder('expiring'), null, 'expired');
      assert.equal(await store.acquire('expiring', 'b', 60_000), true, 'b takes it over');
      assert.equal(await store.acquire('expiring', 'a', 60_000), false, 'a lost it');
      assert.equal(await store.holder('expiring'), 'b');
    });

    it('is free at once when its holder releases it, and only its holder can release it', async () => {
      assert.equal(await store.acquire('released', 'a', 60_000), true);
      await store.release('released', 'b');
      assert.equal(await store.acquire('released', 'b', 60_000), false, "b's release did nothing");
      await store.release('released', 'a');
      assert.equal(await store.acquire('released', 'b', 60_000), true);
    });

    it('refuses a name or holder that does not fit the table, naming the rule', async () => {
      await assert.rejects(store.acquire('Bad Name', 'a', 1000), /lease name is 1 to 64 of a-z/);
      await assert.rejects(store.acquire('jobs', 'x'.repeat(129), 1000), /lease holder is 1 to 128 characters/);
      await assert.rejects(store.acquire('jobs', 'a', 0), /whole number of milliseconds/);
    });

    it('is removed by its migration and added again', async () => {
      await down(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await db.knex.schema.hasTable(`${db.tablePrefix}leases`), false);
      await up(db.knex, { tablePrefix: db.tablePrefix });
      assert.equal(await store.acquire('jobs', 'a', 1000), true);
    });
  });
}

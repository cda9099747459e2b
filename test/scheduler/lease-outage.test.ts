// A holder that cannot renew its lease (its database connection black-holed: statements neither
// answer nor fail) stops acting as the holder before the lease expires in the database, so the
// instance that takes it over never overlaps with it; and a clean stop hands the lease over at once.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import knexFactory, { type Knex } from 'knex';
import { up } from '../../migrations/20261208000000_add_mta_sts_leases';
import { Lease } from '../../src/scheduler/lease';
import { LeaseStore } from '../../src/store/lease-store';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { createTestDb, type TestDb } from '../support/db';

const PERIOD_MS = 2000;
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined };
/** Knex's own messages about the connections the test cuts. */
const silent = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

for (const kind of ['mariadb', 'postgres'] as const) {
  describe(`a lease whose holder loses the ${kind} database`, function () {
    this.timeout(60_000);
    let db: TestDb;
    let proxy: TcpProxy;
    let cut: Knex;
    const leases: Lease[] = [];

    before(async () => {
      db = await createTestDb(kind);
      await up(db.knex, { tablePrefix: db.tablePrefix });
      proxy = await startTcpProxy({ host: '127.0.0.1', port: kind === 'mariadb' ? 3306 : 5432 });
      const connection =
        kind === 'mariadb'
          ? { host: '127.0.0.1', port: proxy.port, user: 'root', password: '', database: 'test' }
          : { host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'test' };
      cut = knexFactory({ client: kind === 'mariadb' ? 'mysql2' : 'pg', connection, pool: { min: 0, max: 2 }, acquireConnectionTimeout: 2000, log: silent });
    });
    after(async () => {
      for (const lease of leases) await lease.stop();
      proxy.restore();
      await cut.destroy().catch(() => undefined);
      await proxy.close();
      await db.destroy();
    });

    it('stops holding before the other instance can take it, which it does within the period', async () => {
      const events: Array<[string, number]> = [];
      const table = `${db.tablePrefix}leases`;
      const lease = (knex: Knex, who: string) =>
        new Lease(new LeaseStore(knex, table), {
          name: 'scheduled-checks',
          periodMs: PERIOD_MS,
          logger: quiet,
          onGained: () => events.push([`${who} gained`, performance.now()]),
          onLost: () => events.push([`${who} lost`, performance.now()]),
        });
      const a = lease(cut, 'a');
      const b = lease(db.knex, 'b');
      leases.push(a, b);
      a.start();
      for (let i = 0; i < 50 && !a.held; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(a.held, 'a takes the free lease');
      b.start();
      let overlap = 0;
      const sampler = setInterval(() => (overlap += a.held && b.held ? 1 : 0), 10);
      try {
        await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
        assert.equal(b.held, false, 'b waits while a renews');
        proxy.cut('blackhole');
        const cutAt = performance.now();
        for (let i = 0; i < 100 && !b.held; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(b.held, `b took over: ${JSON.stringify(events)}`);
        const lost = events.find(([e]) => e === 'a lost')?.[1] ?? Infinity;
        const gained = events.find(([e]) => e === 'b gained')?.[1] ?? Infinity;
        assert.ok(lost < gained, `a stopped holding before b started: ${JSON.stringify(events)}`);
        assert.ok(lost - cutAt < PERIOD_MS, `a stopped within the period after its database went away (${Math.round(lost - cutAt)} ms)`);
        assert.equal(overlap, 0, 'never both held at once');
      } finally {
        clearInterval(sampler);
      }
    });

    it('hands the lease over at once when its holder stops cleanly', async () => {
      // A long period: without the release, the next instance would wait a minute.
      const make = () => new Lease(new LeaseStore(db.knex, `${db.tablePrefix}leases`), { name: 'clean-stop', periodMs: 60_000, logger: quiet });
      const [first, second] = [make(), make()];
      leases.push(first, second);
      first.start();
      for (let i = 0; i < 50 && !first.held; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      second.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(second.held, false, 'the first holds it');
      await first.stop();
      // The second tries again only in 15 s (a quarter period); a third asking now gets it.
      const third = make();
      leases.push(third);
      third.start();
      for (let i = 0; i < 50 && !third.held; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(third.held, 'the released lease is free at once, not when it would have expired');
    });
  });
}

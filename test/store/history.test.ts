import assert from 'node:assert/strict';
import { COLUMNS } from '../../src/store/columns';

const ALL_COLUMNS = Object.values(COLUMNS);
import { DB_KINDS } from '../support/db';
import { TestServer, createServer } from '../support/server';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const kind of DB_KINDS) {
  describe(`change history and the columns a host drops (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    const logged: string[] = [];

    beforeEach(async () => {
      logged.length = 0;
      server = await createServer({
        db: kind,
        plugin: {
          principal: (req) => req.get('x-user') ?? null,
          cache: { ttlMs: 300, waitMs: 200 },
          logger: { error: (message) => void logged.push(message), warn: () => undefined, info: () => undefined },
        },
      });
    });
    afterEach(() => server.close());

    it('records every change with who, from where, before and after, and the ids; newest first through the API', async () => {
      const first = await server
        .put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true })
        .set('X-User', 'alice')
        .expect(200);
      const second = await server.put('example.org', { mode: 'enforce' }).set('X-User', 'bob').expect(200);
      await server.put('example.org', { mode: 'enforce' }).set('X-User', 'carol').expect(200); // changes nothing: no entry
      const res = await server.request().get('/api/v1/mta-sts/example.org/history').expect(200);
      assert.equal(res.body.total, 2);
      const [latest, earlier] = res.body.changes;
      assert.deepEqual([latest.actor, latest.source, latest.oldId, latest.newId], ['bob', 'api', first.body.id, second.body.id]);
      assert.equal(latest.before.mode, 'testing');
      assert.equal(latest.after.mode, 'enforce');
      assert.match(latest.origin, /127\.0\.0\.1/);
      assert.deepEqual([earlier.actor, earlier.oldId, earlier.before.active, earlier.after.active], ['alice', null, false, true]);
      const paged = await server.request().get('/api/v1/mta-sts/example.org/history?limit=1&offset=1').expect(200);
      assert.deepEqual(
        paged.body.changes.map((c: { actor: string }) => c.actor),
        ['alice'],
      );
      const bad = await server.request().get('/api/v1/mta-sts/example.org/history?limit=0').expect(400);
      assert.equal(bad.body.errors[0].field, 'limit');
      await server.request().get('/api/v1/mta-sts/nosuch.example/history').expect(404);
    });

    it('keeps serving every active policy while its columns are dropped, then restores them with their ids', async () => {
      await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800, active: true }).expect(200);
      const com = await server.put('example.com', { mode: 'testing', mx: ['*.mx.example.com'], active: true }).expect(200);
      const before = { org: await server.policy('mta-sts.example.org').expect(200), com: await server.policy('mta-sts.example.com').expect(200) };
      const rows = { org: await server.row('example.org'), com: await server.row('example.com') };

      // A panel's schema upgrade drops every column it does not know (mailcow does), under a running server.
      const statuses: number[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          for (const host of ['mta-sts.example.org', 'mta-sts.example.com', 'mta-sts.alias.example']) {
            statuses.push((await server.policy(host)).status);
          }
          await sleep(20);
        }
      })();
      await sleep(100);
      if (kind === 'sqlite') {
        for (const column of ALL_COLUMNS) await server.db.knex.raw('ALTER TABLE ?? DROP COLUMN ??', [server.db.domainTable, column]);
      } else {
        await server.db.knex.schema.alterTable(server.db.domainTable, (t) => t.dropColumns(...ALL_COLUMNS));
      }
      const deadline = Date.now() + 10_000;
      while (!(await server.db.knex.schema.hasColumn(server.db.domainTable, 'mta_sts_id')) && Date.now() < deadline) await sleep(50);
      await sleep(800);
      polling = false;
      await poll;

      assert.ok(statuses.length > 20, `polled ${statuses.length} times`);
      assert.deepEqual([...new Set(statuses)], [200], 'never a 404 (nor a 503) for an active domain');
      const after = { org: await server.row('example.org'), com: await server.row('example.com') };
      for (const key of ['org', 'com'] as const) {
        for (const column of ALL_COLUMNS) assert.equal(String(after[key][column]), String(rows[key][column]), `${key} ${column}`);
      }
      assert.equal(after.com.mta_sts_id, com.body.id);
      assert.equal((await server.policy('mta-sts.example.org').expect(200)).text, before.org.text);
      assert.equal((await server.policy('mta-sts.example.com').expect(200)).text, before.com.text);
      assert.ok(
        logged.some((line) => /columns .* are missing .*restoring every policy/.test(line)),
        logged.join('\n'),
      );
      assert.ok(
        logged.some((line) => /restored 2 MTA-STS policies/.test(line)),
        logged.join('\n'),
      );
      // And saving works again on the restored row, from its restored revision.
      await server.put('example.org', { mode: 'testing', revision: Number(rows.org.mta_sts_revision) }).expect(200);
    });
  });
}

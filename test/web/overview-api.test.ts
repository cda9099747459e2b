import assert from 'node:assert/strict';
import type { AuthorizeTarget } from '../../src';
import { DB_KINDS } from '../support/db';
import { TestServer, createServer } from '../support/server';

const DOMAINS = Array.from({ length: 30 }, (_, i) => ({ domain: `d${String(i).padStart(2, '0')}.example` }));

for (const kind of DB_KINDS) {
  describe(`the overview API, defaults and bulk changes (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;

    beforeEach(async () => {
      server = await createServer({ db: kind, domains: [...DOMAINS, { domain: 'off.example', active: false }] });
    });
    afterEach(() => server.close());

    const overview = (query = '') => server.request().get(`/api/v1/mta-sts/${query}`);

    it('lists every domain paged, filtered and sorted in the database, with the last DNS Check', async () => {
      await server.put('d03.example', { mode: 'testing', mx: ['mx.example.net'], active: true, maxAge: 600 }).expect(200);
      await server.put('d04.example', { mode: 'enforce', mx: ['mx.example.net'], active: true, maxAge: 900 }).expect(200);
      await server.put('off.example', { mode: 'testing', mx: ['mx.example.net'], active: true }).expect(200);
      const all = await overview('?limit=10').expect(200);
      assert.equal(all.body.total, 31);
      assert.equal(all.body.domains.length, 10);
      assert.equal(all.body.domains[0].domain, 'd00.example');
      const second = await overview('?limit=10&offset=10').expect(200);
      assert.equal(second.body.domains[0].domain, 'd10.example');

      const testing = await overview('?mode=testing').expect(200);
      assert.deepEqual(
        testing.body.domains.map((d: { domain: string }) => d.domain),
        ['d03.example', 'off.example'],
      );
      const served = await overview('?state=served').expect(200);
      assert.deepEqual(
        served.body.domains.map((d: { domain: string; served: boolean }) => [d.domain, d.served]),
        [
          ['d03.example', true],
          ['d04.example', true],
        ],
      );
      const off = await overview('?state=off').expect(200);
      assert.deepEqual(
        off.body.domains.map((d: { domain: string }) => d.domain),
        ['off.example'],
        'the host has switched the domain off',
      );
      assert.equal((await overview('?state=never').expect(200)).body.total, 28);
      const byAge = await overview('?state=served&sort=maxAge&desc=1').expect(200);
      assert.deepEqual(
        byAge.body.domains.map((d: { domain: string; maxAge: number }) => [d.domain, d.maxAge]),
        [
          ['d04.example', 900],
          ['d03.example', 600],
        ],
      );
      assert.equal((await overview('?search=D1').expect(200)).body.total, 10);

      // A DNS Check (nothing answers on loopback: errors) becomes the row's last verdict.
      await server.request().get('/api/v1/mta-sts/d03.example/dns-check').expect(200);
      const checked = await overview('?verdict=error').expect(200);
      assert.deepEqual(
        checked.body.domains.map((d: { domain: string }) => d.domain),
        ['d03.example'],
      );
      assert.equal(checked.body.domains[0].lastCheck.verdict, 'error');
      assert.equal((await overview('?verdict=unchecked').expect(200)).body.total, 30);

      const bad = await overview('?mode=strict').expect(400);
      assert.equal(bad.body.errors[0].field, 'mode');
      assert.equal((await overview('?sort=colour').expect(400)).body.errors[0].field, 'sort');
    });

    it('shows a domain administrator only their domains, and counts only those', async () => {
      server.authorize = (_req, target: AuthorizeTarget) => target.domain === null || ['d01.example', 'd02.example'].includes(target.domain);
      const mine = await overview().expect(200);
      assert.equal(mine.body.total, 2);
      assert.deepEqual(
        mine.body.domains.map((d: { domain: string }) => d.domain),
        ['d01.example', 'd02.example'],
      );
      // A bulk change by filter touches only their domains; a listed foreign one is forbidden.
      const bulk = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ domains: ['d01.example', 'd05.example'], changes: { mode: 'testing', mx: 'mx.example.net', active: true } })
        .expect(200);
      assert.deepEqual(
        bulk.body.results.map((r: { domain: string; status: string }) => [r.domain, r.status]),
        [
          ['d01.example', 'changed'],
          ['d05.example', 'forbidden'],
        ],
      );
      const byFilter = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ filter: {}, changes: { maxAge: 1200, mode: 'testing', mx: 'mx.example.net' } })
        .expect(200);
      assert.deepEqual(byFilter.body.counts, { changed: 2, unchanged: 0, invalid: 0, forbidden: 0, notFound: 0, conflict: 0 });
      assert.equal((await server.row('d05.example')).mta_sts_id, null, 'the foreign domain was not changed');
    });

    it('honours the host domainFilter, paging in SQL', async () => {
      await server.close();
      server = await createServer({ db: kind, domains: DOMAINS, plugin: { domainFilter: () => ['d07.example', 'd08.example', 'd09.example'] } });
      const res = await overview('?limit=2').expect(200);
      assert.equal(res.body.total, 3);
      assert.deepEqual(
        res.body.domains.map((d: { domain: string }) => d.domain),
        ['d07.example', 'd08.example'],
      );
    });

    it('previews a bulk change without saving, then applies it with one new id per changed domain', async () => {
      await server.put('d01.example', { mode: 'testing', mx: ['mx1.example.net'], active: true }).expect(200);
      await server.put('d02.example', { mode: 'testing', mx: ['mx1.example.net'], active: true }).expect(200);
      await server.put('d03.example', { mode: 'enforce', mx: ['mx1.example.net', 'mx2.example.net'], active: true }).expect(200);
      const before = (await server.row('d01.example')).mta_sts_id as string;
      const before2 = (await server.row('d02.example')).mta_sts_id as string;
      const body = { filter: { mode: 'testing' }, changes: { addMx: ['mx2.example.net'] } };
      const preview = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ ...body, preview: true })
        .expect(200);
      assert.equal(preview.body.counts.changed, 2);
      assert.deepEqual(preview.body.results[0].after.mx, ['mx1.example.net', 'mx2.example.net']);
      assert.equal((await server.row('d01.example')).mta_sts_id, before, 'a preview saves nothing');

      const done = await server.request().put('/api/v1/mta-sts').send(body).expect(200);
      assert.equal(done.body.counts.changed, 2);
      const ids = done.body.results.map((r: { id: string }) => r.id);
      assert.notEqual(ids[0], before, 'each changed domain gets a new id');
      assert.notEqual(ids[1], before2);
      assert.equal((await server.row('d03.example')).mta_sts_revision, 1, 'a domain outside the filter is untouched');
      const history = await server.request().get('/api/v1/mta-sts/d01.example/history').expect(200);
      assert.equal(history.body.changes[0].source, 'bulk');

      const retire = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ domains: ['d03.example', 'nosuch.example'], changes: { retire: true } })
        .expect(200);
      assert.deepEqual(
        retire.body.results.map((r: { status: string }) => r.status),
        ['changed', 'not-found'],
      );
      assert.equal(retire.body.results[0].after.mode, 'none');

      const invalid = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ domains: ['d05.example'], changes: { mode: 'enforce' } })
        .expect(200);
      assert.equal(invalid.body.results[0].status, 'invalid');
      assert.equal(invalid.body.results[0].errors[0].field, 'mx');
      const empty = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ domains: ['d05.example'], changes: {} })
        .expect(400);
      assert.equal(empty.body.errors[0].code, 'field.changes.empty');
      const both = await server
        .request()
        .put('/api/v1/mta-sts')
        .send({ domains: ['d05.example'], filter: {}, changes: { mode: 'none' } })
        .expect(400);
      assert.equal(both.body.errors[0].field, 'domains');
    });

    it('keeps panel defaults and starts a first policy from them', async () => {
      assert.deepEqual((await server.request().get('/api/v1/mta-sts/defaults').expect(200)).body, { mode: 'none', maxAge: 86400, mx: [] });
      const bad = await server.request().put('/api/v1/mta-sts/defaults').send({ mode: 'enforce', mx: [] }).expect(400);
      assert.equal(bad.body.errors[0].field, 'mx');
      await server
        .request()
        .put('/api/v1/mta-sts/defaults')
        .send({ mode: 'testing', maxAge: 604800, mx: ['mx.example.net'] })
        .expect(200);
      assert.equal((await server.request().put('/api/v1/mta-sts/defaults').send({ colour: 'red' }).expect(400)).body.errors[0].field, 'colour');
      const first = await server.put('d06.example', { active: true }).expect(200);
      assert.deepEqual([first.body.mode, first.body.maxAge, first.body.mx], ['testing', 604800, ['mx.example.net']]);
      // A domain that has a policy keeps its own values.
      const again = await server.put('d06.example', { maxAge: 600 }).expect(200);
      assert.deepEqual([again.body.mode, again.body.maxAge], ['testing', 600]);
    });
  });
}

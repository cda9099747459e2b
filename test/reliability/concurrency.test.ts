import assert from 'node:assert/strict';
import { API_PATH } from '../../src';
import { renderPolicy, type Mode } from '../../src/policy';
import { PolicyStore } from '../../src/store/policy-store';
import { LOOPBACK_ONLY } from '../support/loopback';
import { TestServer, controlByLabel, controlValue, createServer, csrfFrom, formValues, innerHtml, notices, textOf } from '../support/server';

// Several administrators at once, on the real MariaDB: a stale form or API call is refused instead
// of silently overwriting another admin's change, and a burst of saves to one domain is serialised.

describe('reliability: concurrent admins (MariaDB)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let store: PolicyStore;

  before(async () => {
    server = await createServer({ db: 'mariadb', plugin: LOOPBACK_ONLY });
    store = new PolicyStore(server.db.knex, { table: server.db.domainTable, keyColumn: 'domain', activeColumn: 'active' }, null);
  });
  after(() => server?.close());

  const stored = async () => (await store.find('example.org'))!.policy;

  it('refuses a stale save from a second tab with 409, showing the values the other admin saved', async () => {
    const alice = await server.request().get('/mta-sts/example.org');
    const bob = await server.request().get('/mta-sts/example.org');
    const aliceForm = formValues(alice.text);
    const bobForm = formValues(bob.text);
    assert.equal(aliceForm.revision, bobForm.revision, 'both opened the same revision');

    const saved = await server.postForm(
      'example.org',
      { ...aliceForm, mode: 'testing', mx: 'alice.example.org', maxAge: '3600', active: '1' },
      csrfFrom(alice),
    );
    assert.equal(saved.status, 303, 'saved, then redirected to the tab (POST/redirect/GET)');
    const afterAlice = await stored();

    const stale = await server.postForm('example.org', { ...bobForm, mode: 'enforce', mx: 'bob.example.org', maxAge: '7200', active: '1' }, csrfFrom(bob));
    assert.equal(stale.status, 409);
    assert.ok(
      notices(stale.text).some((n) => /another administrator/i.test(n)),
      notices(stale.text).join(' | '),
    );
    // Nothing Bob typed is lost: the fields keep his values, Alice's stored ones are shown beside
    // them, and the form carries the current revision.
    assert.equal(controlValue(stale.text, controlByLabel(stale.text, 'Mode').id), 'enforce');
    assert.equal(controlValue(stale.text, controlByLabel(stale.text, 'MX entries').id), 'bob.example.org');
    assert.equal(controlValue(stale.text, controlByLabel(stale.text, 'Maximum Age').id), '7200');
    assert.match(
      textOf(innerHtml(stale.text, 'mta-sts-conflict') ?? ''),
      /Mode enforce testing differs .*Maximum Age 7200 3600 \(1 hour\) differs MX entries bob\.example\.org alice\.example\.org differs/,
    );
    assert.equal(formValues(stale.text).revision, String(afterAlice.revision));
    assert.deepEqual(await stored(), afterAlice, "Alice's save stands");

    // Bob makes his change again on the fresh form, and it is saved.
    const retry = await server.postForm('example.org', { ...formValues(stale.text), mode: 'enforce', mx: 'bob.example.org' }, csrfFrom(stale));
    assert.equal(retry.status, 303);
    assert.equal((await stored()).mode, 'enforce');
  });

  it('refuses a stale API write with 409 and the current policy, saving nothing', async () => {
    const read = await server.request().get(`${API_PATH}/example.org`);
    const revision = read.body.revision as number;
    const first = await server.put('example.org', { mode: 'testing', maxAge: 600, revision });
    assert.equal(first.status, 200);
    const second = await server.put('example.org', { mode: 'none', maxAge: 60, revision });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'conflict');
    const { changed: _changed, ...current } = first.body;
    assert.deepEqual(second.body.current, current, 'the current values, as the first write left them');
    const now = await stored();
    assert.equal(now.mode, 'testing');
    assert.equal(now.maxAge, 600);
    assert.equal(now.revision, revision + 1);
  });

  it('serialises 50 concurrent saves: distinct increasing ids, the row equals the last accepted save, and so does the served policy', async () => {
    const start = await stored();
    const modes: Mode[] = ['testing', 'enforce'];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => server.put('example.org', { mode: modes[i % 2], mx: [`mx${i}.example.org`], maxAge: 1000 + i, active: true })),
    );
    for (const res of responses) assert.equal(res.status, 200, res.text);
    const accepted = responses.map((res) => res.body as { id: string; revision: number; maxAge: number; mode: string; mx: string[]; changed: boolean });
    assert.ok(
      accepted.every((a) => a.changed),
      'each save changed the policy',
    );

    const byRevision = [...accepted].sort((a, b) => a.revision - b.revision);
    assert.deepEqual(
      byRevision.map((a) => a.revision),
      Array.from({ length: 50 }, (_, i) => start.revision + 1 + i),
      'one revision each, none lost',
    );
    assert.equal(new Set(accepted.map((a) => a.id)).size, 50, 'distinct ids');
    for (let i = 1; i < byRevision.length; i++) {
      assert.ok(BigInt(byRevision[i].id) > BigInt(byRevision[i - 1].id), `id ${byRevision[i].id} after ${byRevision[i - 1].id}`);
    }
    assert.ok(BigInt(byRevision[0].id) > BigInt(start.id ?? '0'), 'and after the id before the burst');

    const last = byRevision[byRevision.length - 1];
    const row = await stored();
    assert.deepEqual(
      { id: row.id, revision: row.revision, maxAge: row.maxAge, mode: row.mode, mx: row.mx },
      { id: last.id, revision: last.revision, maxAge: last.maxAge, mode: last.mode, mx: last.mx },
    );
    const served = await server.policy('mta-sts.example.org');
    assert.equal(served.status, 200);
    assert.equal(served.text, renderPolicy(row), 'the policy served is the stored row');
    assert.equal((await server.policy('mta-sts.alias.example')).text, served.text);
  });

  it('accepts exactly one of 50 concurrent saves that all expect the same revision; the others get 409', async () => {
    const start = await stored();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => server.put('example.org', { maxAge: 5000 + i, revision: start.revision })));
    const ok = responses.filter((res) => res.status === 200);
    assert.equal(ok.length, 1, responses.map((r) => r.status).join(','));
    assert.ok(responses.every((res) => res.status === 200 || res.status === 409));
    const row = await stored();
    assert.equal(row.maxAge, ok[0].body.maxAge);
    assert.equal(row.revision, start.revision + 1);
    assert.equal((await server.policy('mta-sts.example.org')).text, renderPolicy(row));
  });
});

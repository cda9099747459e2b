import assert from 'node:assert/strict';
import { DB_KINDS } from '../support/db';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { createTestServices, type TestServices } from '../support/services';

const ENFORCE = { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800 };

for (const kind of DB_KINDS) {
  describe(`the policies service (${kind})`, () => {
    let t: TestServices;

    beforeEach(async () => {
      t = await createTestServices(kind, { domains: [{ domain: 'example.org' }, { domain: 'example.com' }, { domain: 'other.example' }] });
    });
    afterEach(() => t.destroy());

    it('saves a change with a new id and revision, serves it at once, and records it in the history', async () => {
      const { policies, served } = t.service;
      const first = await policies.update('example.org', ENFORCE, 'json', { audit: { actor: 'alice', source: 'api', origin: '192.0.2.1' } });
      assert.equal(first.status, 'saved');
      assert.ok(first.status === 'saved' && first.record.policy.id);
      assert.deepEqual(await served.lookup('example.org'), { status: 'found', policy: first.record.policy });
      assert.match((await served.text('example.org')) ?? '', /^version: STSv1\r?\nmode: enforce\r?\nmx: mail\.example\.org\r?\nmax_age: 604800/);

      const second = await policies.update('example.org', { mode: 'testing' }, 'json', { expectedRevision: first.record.policy.revision });
      assert.ok(second.status === 'saved' && second.changed);
      assert.notEqual(second.record.policy.id, first.record.policy.id);
      assert.equal(second.record.policy.revision, first.record.policy.revision + 1);
      assert.match((await served.text('example.org')) ?? '', /mode: testing/);

      const history = await policies.history('example.org', { limit: 10, offset: 0 });
      assert.equal(history?.total, 2);
      assert.deepEqual(
        history?.entries.map((e) => [e.after.mode, e.actor]),
        [
          ['testing', null],
          ['enforce', 'alice'],
        ],
      );
      assert.equal(await policies.history('unknown.example', { limit: 10, offset: 0 }), null);
    });

    it('refuses a save over a newer revision and keeps serving what was saved', async () => {
      const { policies, served } = t.service;
      const saved = await policies.update('example.org', ENFORCE, 'json');
      assert.equal(saved.status, 'saved');
      const stale = await policies.update('example.org', { mode: 'none' }, 'json', { expectedRevision: 0 });
      assert.equal(stale.status, 'conflict');
      assert.match((await served.text('example.org')) ?? '', /mode: enforce/);
      assert.equal((await policies.update('unknown.example', ENFORCE, 'json')).status, 'not-found');
      const invalid = await policies.update('example.org', { maxAge: -1 }, 'json');
      assert.equal(invalid.status, 'invalid');
    });

    it('retires a policy: still served, in mode none, max_age at most a day, a new id', async () => {
      const { policies, served } = t.service;
      const saved = await policies.update('example.org', ENFORCE, 'json');
      const retired = await policies.retire('example.org');
      assert.ok(saved.status === 'saved' && retired.status === 'saved');
      assert.notEqual(retired.record.policy.id, saved.record.policy.id);
      const text = (await served.text('example.org')) ?? '';
      assert.match(text, /mode: none/);
      assert.ok(Number(/max_age: (\d+)/.exec(text)?.[1]) <= 86400, text);
    });

    it("starts a domain's first policy from the panel's defaults, and validates the defaults", async () => {
      const { policies } = t.service;
      assert.deepEqual(await policies.defaults(), { mode: 'none', maxAge: 86400, mx: [] });
      const set = await policies.setDefaults({ mode: 'testing', mx: 'mx1.example.net, mx2.example.net' }, 'form');
      assert.equal(set.ok, true);
      const refused = await policies.setDefaults({ mode: 'testing', color: 'red' }, 'form');
      assert.ok(!refused.ok && refused.errors.some((e) => e.field === 'color'));

      const first = await policies.update('example.com', { active: true }, 'json');
      assert.ok(first.status === 'saved');
      assert.equal(first.record.policy.mode, 'testing');
      assert.deepEqual(first.record.policy.mx, ['mx1.example.net', 'mx2.example.net']);
      // Not for a domain that has a policy already: its own values stay.
      const own = await policies.update('example.org', ENFORCE, 'json');
      const later = await policies.update('example.org', { maxAge: 86400 }, 'json');
      assert.ok(own.status === 'saved' && later.status === 'saved');
      assert.deepEqual(later.record.policy.mx, ['mail.example.org']);
      assert.equal(later.record.policy.mode, 'enforce');
    });

    it('imports a hand-written policy file with its id, and saves nothing for a bad file or a bad id', async () => {
      const { policies, served } = t.service;
      const file = 'version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400\n';
      const imported = await policies.importPolicy('example.org', file, 'legacy2024');
      assert.ok(imported.status === 'saved');
      assert.equal(imported.record.policy.id, 'legacy2024');
      const found = await served.lookup('example.org');
      assert.equal(found.status === 'found' && found.policy.id, 'legacy2024');

      const bad = await policies.importPolicy('example.com', 'version: STSv1\nmode: sometimes\n', null);
      assert.equal(bad.status, 'bad-policy');
      const badId = await policies.importPolicy('example.com', file, 'not an id!');
      assert.deepEqual(badId, { status: 'bad-id', id: 'not an id!' });
      assert.equal((await policies.find('example.com'))?.policy.id, null);
    });

    it('finds a domain by any spelling and lists domains filtered and paged', async () => {
      const { policies } = t.service;
      assert.equal((await policies.find('EXAMPLE.org'))?.domain, 'example.org');
      assert.equal(await policies.find('unknown.example'), null);
      await policies.update('example.org', ENFORCE, 'json');
      await policies.update('example.com', { ...ENFORCE, mode: 'testing' }, 'json');
      const enforced = await policies.list({ mode: 'enforce', limit: 10, offset: 0 });
      assert.deepEqual(
        enforced.records.map((r) => r.domain),
        ['example.org'],
      );
      const page = await policies.list({ limit: 2, offset: 0 });
      assert.equal(page.total, 3);
      assert.deepEqual(
        page.records.map((r) => r.domain),
        ['example.com', 'example.org'],
      );
    });
  });
}

describe('the policies service: the id a domain publishes in DNS', () => {
  let dns: TestDnsServer;
  let t: TestServices;

  before(async () => {
    dns = await startDnsServer();
    t = await createTestServices('sqlite', { domains: [{ domain: 'example.org' }], plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 } } });
  });
  after(async () => {
    await t.destroy();
    await dns.close();
  });

  it('reads the id of the one STS record, and none when there are two or none', async () => {
    dns.setZone([
      { name: '_mta-sts.example.org', type: 'TXT', data: 'v=STSv1; id=20240101T000000' },
      { name: '_mta-sts.example.org', type: 'TXT', data: 'some other text' },
      { name: '_mta-sts.two.example', type: 'TXT', data: 'v=STSv1; id=one' },
      { name: '_mta-sts.two.example', type: 'TXT', data: 'v=STSv1; id=two' },
    ]);
    assert.equal(await t.service.policies.publishedId('example.org'), '20240101T000000');
    assert.equal(await t.service.policies.publishedId('two.example'), null);
    assert.equal(await t.service.policies.publishedId('none.example'), null);
  });
});

import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { COLUMNS } from '../../src/store/columns';
import { DB_KINDS } from '../support/db';
import { createTestServices, type TestServices } from '../support/services';

const ENFORCE = { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800 };

for (const kind of DB_KINDS) {
  describe(`the served set (${kind})`, () => {
    let t: TestServices;

    beforeEach(async () => {
      t = await createTestServices(kind, {
        domains: [{ domain: 'example.org' }, { domain: 'example.com' }, { domain: 'host-off.example', active: false }, { domain: 'never.example' }],
        aliases: [
          { alias: 'alias.example', target: 'example.org' },
          { alias: 'off-alias.example', target: 'example.org', active: false },
        ],
      });
      const { policies } = t.service;
      for (const domain of ['example.org', 'host-off.example']) assert.equal((await policies.update(domain, ENFORCE, 'json')).status, 'saved');
      assert.equal((await policies.update('example.com', { ...ENFORCE, active: false }, 'json')).status, 'saved');
    });
    afterEach(() => t.destroy());

    it('serves an active policy of an active domain, and its aliases, and nothing else', async () => {
      // A second instance over the same database: it knows only what the database says.
      const other = MtaStsService.fromOptions(resolveOptions(t.options));
      try {
        assert.deepEqual(await other.served.names(), ['alias.example', 'example.org']);
        const policy = await other.served.lookup('alias.example');
        assert.ok(policy.status === 'found');
        assert.equal(policy.policy.domain, 'example.org');
        for (const name of ['example.com', 'host-off.example', 'never.example', 'off-alias.example', 'unknown.example']) {
          assert.deepEqual(await other.served.lookup(name), { status: 'missing' }, name);
          assert.equal(await other.served.text(name), null, name);
        }
        assert.equal(await other.served.text('example.org'), await t.service.served.text('example.org'), 'both instances serve the same bytes');
      } finally {
        await other.served.idle();
      }
    });

    it('serves a save of this instance at once, and stops serving a policy switched off', async () => {
      const { policies, served } = t.service;
      assert.deepEqual(await served.names(), ['alias.example', 'example.org']);
      await policies.update('example.com', { active: true }, 'json');
      assert.equal(served.peek('example.com')?.mode, 'enforce');
      await policies.update('example.org', { active: false }, 'json');
      assert.equal(served.peek('example.org'), null);
      assert.deepEqual(await served.lookup('example.org'), { status: 'missing' });
      assert.deepEqual(await served.names(), ['example.com']);
    });

    it('puts back columns the host dropped after a failed reload, with every policy and its id', async () => {
      const before = await t.service.policies.find('example.org');
      const text = await t.service.served.text('example.org');
      await t.db.knex.schema.alterTable(t.db.domainTable, (table) => table.dropColumns(COLUMNS.mode, COLUMNS.id));
      // A new instance loads the set, which fails; it repairs the columns behind that failure.
      const other = MtaStsService.fromOptions(resolveOptions(t.options));
      await other.served.lookup('example.org');
      await other.served.idle();
      assert.deepEqual(await t.service.schema.missingColumns(), []);
      assert.ok(
        t.logged.some((line) => /restored \d+ MTA-STS policies/.test(line)),
        t.logged.join('\n'),
      );

      const after = MtaStsService.fromOptions(resolveOptions(t.options));
      try {
        assert.equal(await after.served.text('example.org'), text);
        assert.equal((await after.policies.find('example.org'))?.policy.id, before?.policy.id);
      } finally {
        await after.served.idle();
      }
    });
  });
}

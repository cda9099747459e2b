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

for (const kind of DB_KINDS) {
  describe(`a served set that cannot load (${kind})`, () => {
    let t: TestServices;
    beforeEach(async () => {
      // Every call reloads: a failing load is then retried at each call, as a running server retries it.
      t = await createTestServices(kind, { domains: [{ domain: 'example.org' }], plugin: { cache: { ttlMs: 0 } } });
      assert.equal((await t.service.policies.update('example.org', ENFORCE, 'json')).status, 'saved');
    });
    afterEach(() => t.destroy());

    it('is logged with its cause once per distinct cause, naming the missing table or column and the option', async () => {
      const { served } = t.service;
      const { knex, aliasTable } = t.db;
      const failures = () => t.logged.filter((line) => line.startsWith('loading the served set failed'));
      await knex.schema.dropTable(aliasTable);
      for (let i = 0; i < 3; i++) assert.equal(await served.names(), null);
      await served.idle();
      assert.equal(failures().length, 1, t.logged.join('\n'));
      assert.match(
        failures()[0],
        new RegExp(`the table "${aliasTable}" does not exist: set the option aliasDomains\\.table .*, or aliasDomains: null if it has none`),
      );

      // Another cause: the table is back without its active column.
      await knex.schema.createTable(aliasTable, (table) => {
        table.string('alias_domain', 255).primary();
        table.string('target_domain', 255).notNullable();
      });
      for (let i = 0; i < 2; i++) assert.equal(await served.names(), null);
      await served.idle();
      assert.equal(failures().length, 2, t.logged.join('\n'));
      assert.match(failures()[1], new RegExp(`the column "active" of the table "${aliasTable}" does not exist: set the option aliasDomains\\.activeColumn`));

      await knex.schema.alterTable(aliasTable, (table) => table.boolean('active').notNullable().defaultTo(true));
      assert.deepEqual(await served.names(), ['example.org']);
      await served.idle();
      assert.ok(t.logged.includes('the served set loads again (1 names)'), t.logged.join('\n'));
    });
  });
}

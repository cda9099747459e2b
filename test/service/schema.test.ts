import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { COLUMNS } from '../../src/store/columns';
import { DB_KINDS } from '../support/db';
import { createTestServices, type TestServices } from '../support/services';

const ALL_COLUMNS = Object.values(COLUMNS);

for (const kind of DB_KINDS) {
  describe(`the schema service (${kind})`, () => {
    let t: TestServices;

    beforeEach(async () => {
      t = await createTestServices(kind, {
        domains: [{ domain: 'example.org' }, { domain: 'example.com' }],
        aliases: [{ alias: 'alias.example', target: 'example.org' }],
        migrate: false,
      });
    });
    afterEach(() => t.destroy());

    it('says what is missing before the migrations, and how many names are served after them', async () => {
      const { schema, policies } = t.service;
      const fresh = await schema.status();
      assert.deepEqual(fresh.applied, []);
      assert.ok(fresh.pending.length > 0);
      assert.deepEqual([...fresh.missingColumns].sort(), [...ALL_COLUMNS].sort());
      assert.equal(fresh.served, null, 'no served count while the columns are missing');

      const applied = await schema.migrate();
      assert.deepEqual(applied, fresh.pending);
      assert.deepEqual(await schema.migrate(), [], 'migrating again applies nothing');
      await policies.update('example.org', { active: true, mode: 'testing', mx: ['mail.example.org'], maxAge: 86400 }, 'json');
      const migrated = await schema.status();
      assert.deepEqual(migrated, { applied, pending: [], missingColumns: [], missingHost: [], served: 2 });
    });

    it('names a column the host dropped, and removes exactly the plugin’s columns on rollback', async () => {
      const { schema } = t.service;
      await schema.migrate();
      await t.db.knex.schema.alterTable(t.db.domainTable, (table) => table.dropColumn(COLUMNS.maxAge));
      assert.deepEqual(await schema.missingColumns(), [COLUMNS.maxAge]);
      await t.db.knex.schema.alterTable(t.db.domainTable, (table) => table.integer(COLUMNS.maxAge).notNullable().defaultTo(86400));

      const reverted = await schema.rollback();
      assert.ok(reverted.length > 0);
      assert.deepEqual([...(await schema.missingColumns())].sort(), [...ALL_COLUMNS].sort());
      const hostColumns = Object.keys(await t.db.knex(t.db.domainTable).columnInfo()).sort();
      assert.deepEqual(hostColumns, ['active', 'description', 'domain', 'mailboxes']);
      assert.deepEqual(await t.service.certificates.status(), [], "the ACME client's table went with the rollback");
    });

    it('asks only the catalogue for the missing columns, never the rows (the status reads the served set)', async () => {
      const { schema } = t.service;
      await schema.migrate();
      const statements: string[] = [];
      const record = (query: { sql: string }) => statements.push(query.sql);
      t.db.knex.on('query', record);
      try {
        await schema.missingColumns();
        const missingOnly = statements.splice(0);
        // A read of the rows (the catalogue's `show columns from` on MariaDB is no such read).
        const table = new RegExp(`^\\s*select\\b.*\\bfrom\\s+[\`"]?${t.db.domainTable}\\b`, 'i');
        assert.ok(missingOnly.length > 0);
        assert.deepEqual(
          missingOnly.filter((sql) => table.test(sql)),
          [],
        );
        await schema.status();
        assert.ok(
          statements.some((sql) => table.test(sql)),
          'the status counts the names served, so it reads the table (the control of this measurement)',
        );
      } finally {
        t.db.knex.off('query', record);
      }
    });
  });
}

for (const kind of DB_KINDS) {
  describe(`the tables and columns the settings name (${kind})`, () => {
    let t: TestServices;
    beforeEach(async () => {
      t = await createTestServices(kind, { domains: [{ domain: 'example.org' }] });
    });
    afterEach(() => t.destroy());

    it('names a missing alias table, then a missing mapped column, with the option that changes it', async () => {
      const { schema } = t.service;
      const { knex, aliasTable, domainTable } = t.db;
      assert.deepEqual(await schema.missingHostParts(), []);
      await knex.schema.dropTable(aliasTable);
      const gone = [{ setting: 'aliasDomains.table', table: aliasTable, column: null }];
      assert.deepEqual(await schema.missingHostParts(), gone);
      const status = await schema.status();
      assert.deepEqual(status.missingHost, gone);
      assert.equal(status.served, null, 'no served count while a table is missing');

      // An alias table without the active column the settings name (a panel that has none).
      await knex.schema.createTable(aliasTable, (table) => {
        table.string('alias_domain', 255).primary();
        table.string('target_domain', 255).notNullable();
      });
      assert.deepEqual(await schema.missingHostParts(), [{ setting: 'aliasDomains.activeColumn', table: aliasTable, column: 'active' }]);

      const other = MtaStsService.fromOptions(resolveOptions({ ...t.options, domainActiveColumn: 'enabled', aliasDomains: null }));
      assert.deepEqual(await other.schema.missingHostParts(), [{ setting: 'domainActiveColumn', table: domainTable, column: 'enabled' }]);
    });
  });
}

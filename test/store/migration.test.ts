import assert from 'node:assert/strict';
import * as migration from '../../migrations/20261128000000_add_mta_sts_columns';
import { migrateLatest, rollbackAll } from '../../src/store/migrate';
import { applyChanges } from '../../src/policy';
import { DB_KINDS, TestDb, createHostTables, createTestDb } from '../support/db';
import {
  HOST_COLUMNS,
  PLUGIN_COLUMNS,
  columnNames,
  describeColumns,
  describeIndexes,
  dumpHostRows,
  dumpRows,
  flag,
  migrateOptions,
  storeFor,
  tableDefinition,
} from '../support/store';

/** The migrations' file names, with or without the compiled `.js` that Knex's own migrator records. */
const MIGRATION_NAMES = [
  /^20261128000000_add_mta_sts_columns(\.js)?$/,
  /^20261201000000_add_mta_sts_history(\.js)?$/,
  /^20261201000100_add_tls_report_tables(\.js)?$/,
  // This one and 20261207000100: recorded only, their tables moved to the server's chain.
  /^20261201000200_add_server_accounts(\.js)?$/,
  /^20261201000300_add_acme_tables(\.js)?$/,
  /^20261201000400_add_mta_sts_overview_tables(\.js)?$/,
  /^20261201000500_add_mta_sts_checks(\.js)?$/,
  /^20261207000000_bound_tls_reports(\.js)?$/,
  /^20261207000100_add_server_login_failures(\.js)?$/,
  /^20261208000000_add_mta_sts_leases(\.js)?$/,
  /^20261208000100_one_check_table(\.js)?$/,
  /^20261209000000_add_mta_sts_dns_states(\.js)?$/,
  /^20261210000000_add_tls_failure_details(\.js)?$/,
  /^20261210000100_add_tls_known_reporters(\.js)?$/,
];

function assertApplied(names: string[], what: string): void {
  assert.equal(names.length, MIGRATION_NAMES.length, `${what}: ${JSON.stringify(names)}`);
  // Knex lists rolled-back migrations newest first.
  const sorted = [...names].sort();
  MIGRATION_NAMES.forEach((name, i) => assert.match(sorted[i], name, what));
}
const HOST_DOMAINS = [
  { domain: 'example.org', description: 'main' },
  { domain: 'bücher.example', description: 'U-label row' },
  { domain: 'xn--mnchen-3ya.example', description: 'A-label row' },
  { domain: 'parked.example', active: false },
];

/** What the host's own Knex migrations table holds; null when it has none. */
async function hostMigrations(db: TestDb): Promise<unknown[] | null> {
  if (!(await db.knex.schema.hasTable('knex_migrations'))) return null;
  return (await db.knex('knex_migrations').select('*').orderBy('id')).map((row: object) => ({ ...row }));
}

for (const kind of DB_KINDS) {
  describe(`migration on ${kind}`, () => {
    let db: TestDb;
    let options: ReturnType<typeof migrateOptions>;
    /** The host table as it was before the plugin arrived. */
    let before: { columns: unknown[]; rows: unknown[]; indexes: unknown[]; definition: string };

    const snapshot = async () => ({
      columns: await describeColumns(db),
      rows: await dumpRows(db),
      indexes: await describeIndexes(db),
      definition: await tableDefinition(db),
    });

    beforeEach(async () => {
      db = await createTestDb(kind);
      options = migrateOptions(db);
      await createHostTables(db, HOST_DOMAINS);
      await db.knex.schema.alterTable(db.domainTable, (t) => t.index(['description'], `${db.domainTable}_description_idx`));
      before = await snapshot();
    });
    afterEach(async () => {
      await db.destroy();
    });

    it('adds exactly the plugin columns, after the host columns', async () => {
      assertApplied(await migrateLatest(db.knex, options), 'migrated');
      assert.deepEqual(await columnNames(db), [...HOST_COLUMNS, ...PLUGIN_COLUMNS]);
      assert.deepEqual((await describeColumns(db)).slice(0, HOST_COLUMNS.length), before.columns, 'host columns are unchanged');
      assert.deepEqual(await describeIndexes(db), before.indexes);
    });

    it('gives every existing host row the defaults: inactive, STSv1, none, 86400', async () => {
      await migrateLatest(db.knex, options);
      const rows = await dumpRows(db);
      assert.equal(rows.length, HOST_DOMAINS.length);
      for (const row of rows) {
        assert.equal(flag(row.mta_sts_active), false, String(row.domain));
        assert.equal(row.mta_sts_version, 'STSv1');
        assert.equal(row.mta_sts_mode, 'none');
        assert.equal(Number(row.mta_sts_max_age), 86400);
        assert.equal(row.mta_sts_mx, null);
        assert.equal(row.mta_sts_id, null);
        assert.equal(row.mta_sts_updated_at, null);
        assert.equal(Number(row.mta_sts_revision), 0);
      }
      assert.deepEqual(await dumpHostRows(db), before.rows, 'host values are unchanged');
      const record = await storeFor(db).find('bücher.example');
      assert.deepEqual(record?.policy, {
        domain: 'xn--bcher-kva.example',
        active: false,
        version: 'STSv1',
        mode: 'none',
        maxAge: 86400,
        mx: [],
        id: null,
        updatedAt: null,
        revision: 0,
      });
      assert.equal(record?.valid, true);
    });

    it('gives the same defaults to host rows inserted later by host code that knows nothing of the plugin', async () => {
      await migrateLatest(db.knex, options);
      await db.knex(db.domainTable).insert({ domain: 'new.example', description: 'added by the host', mailboxes: 5, active: true });
      const record = await storeFor(db).find('new.example');
      assert.equal(record?.policy.active, false);
      assert.equal(record?.policy.mode, 'none');
      assert.equal(record?.policy.maxAge, 86400);
      assert.equal(record?.valid, true);
    });

    it("records itself in the plugin's own migrations table, not in the host's knex_migrations", async () => {
      const hostBefore = await hostMigrations(db);
      await migrateLatest(db.knex, options);
      assert.deepEqual(await hostMigrations(db), hostBefore);
      if (kind === 'sqlite') assert.equal(hostBefore, null, 'a fresh SQLite host has no knex_migrations, and the plugin does not create it');
      const own = await db.knex(db.migrationsTable).select('name');
      assertApplied(
        own.map((r: { name: string }) => r.name),
        'recorded',
      );
    });

    if (kind === 'sqlite') {
      it('leaves an existing host knex_migrations table exactly as it was, up and down', async () => {
        await db.knex.schema.createTable('knex_migrations', (t) => {
          t.increments('id');
          t.string('name');
          t.integer('batch');
          t.timestamp('migration_time');
        });
        await db.knex('knex_migrations').insert([
          { name: '20200101_host_init.js', batch: 1, migration_time: 1577836800000 },
          { name: '20210101_host_more.js', batch: 2, migration_time: 1609459200000 },
        ]);
        const hostBefore = await hostMigrations(db);
        await migrateLatest(db.knex, options);
        assert.deepEqual(await hostMigrations(db), hostBefore);
        await rollbackAll(db.knex, options);
        assert.deepEqual(await hostMigrations(db), hostBefore);
      });
    }

    it('does nothing when run a second time', async () => {
      await migrateLatest(db.knex, options);
      await storeFor(db).save('example.org', (c) => applyChanges(c, { mode: 'testing', mx: 'mx.example.org', active: true }, 'json'));
      const once = await snapshot();
      assert.deepEqual(await migrateLatest(db.knex, options), []);
      assert.deepEqual(await snapshot(), once);
      assert.equal((await db.knex(db.migrationsTable).select('name')).length, MIGRATION_NAMES.length);
    });

    it('does nothing when its up() runs on a table that already has the columns', async () => {
      await migrateLatest(db.knex, options);
      const once = await snapshot();
      await migration.up(db.knex, { table: db.domainTable });
      assert.deepEqual(await snapshot(), once);
    });

    it('rolls back to exactly the host table it found, keeping rows, columns and indexes', async () => {
      await migrateLatest(db.knex, options);
      const store = storeFor(db);
      await store.save('example.org', (c) => applyChanges(c, { mode: 'enforce', mx: 'mx.example.org', active: true }, 'json'));
      await store.save('bücher.example', (c) => applyChanges(c, { mode: 'testing', mx: 'mx.bücher.example', maxAge: 600 }, 'json'));
      await db.knex(db.domainTable).where('domain', 'parked.example').update({ description: 'edited while the plugin was installed' });
      const expectedRows = (before.rows as Record<string, unknown>[]).map((row) =>
        row.domain === 'parked.example' ? { ...row, description: 'edited while the plugin was installed' } : row,
      );

      assertApplied(await rollbackAll(db.knex, options), 'rolled back');
      assert.deepEqual(await columnNames(db), HOST_COLUMNS);
      assert.deepEqual(await describeColumns(db), before.columns);
      assert.deepEqual(await describeIndexes(db), before.indexes, 'the host index on description survives');
      assert.deepEqual(await dumpRows(db), expectedRows);
      assert.equal(await tableDefinition(db), before.definition, 'the table definition reads as before');
      assert.equal((await db.knex(db.migrationsTable).select('name')).length, 0);
    });

    it('does nothing when rolled back twice', async () => {
      await migrateLatest(db.knex, options);
      await rollbackAll(db.knex, options);
      assert.deepEqual(await rollbackAll(db.knex, options), []);
      assert.deepEqual(await describeColumns(db), before.columns);
      assert.deepEqual(await dumpRows(db), before.rows);
    });

    it('migrates up again after a rollback, with fresh defaults', async () => {
      await migrateLatest(db.knex, options);
      await storeFor(db).save('example.org', (c) => applyChanges(c, { mode: 'enforce', mx: 'mx.example.org', active: true }, 'json'));
      await rollbackAll(db.knex, options);
      assertApplied(await migrateLatest(db.knex, options), 'migrated');
      assert.deepEqual(await columnNames(db), [...HOST_COLUMNS, ...PLUGIN_COLUMNS]);
      const record = await storeFor(db).find('example.org');
      assert.equal(record?.policy.active, false, 'nothing of the earlier policy is left');
      assert.equal(record?.policy.mode, 'none');
      assert.equal(record?.policy.id, null);
      const saved = await storeFor(db).save('example.org', (c) => applyChanges(c, { mode: 'testing', mx: 'mx.example.org' }, 'json'));
      assert.equal(saved.status, 'saved');
    });
  });
}

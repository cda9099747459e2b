// Two instances started at once on a new database both migrate: the one that finds the migration
// lock taken waits for the other instead of failing its start; a lock left by an instance killed
// mid-migration ends the wait with the table to clear.
import assert from 'node:assert/strict';
import { afterMigrationLock } from '../../src/migration-lock';
import { migrateLatest, migrationStatus } from '../../src/store/migrate';
import { DB_KINDS, createHostTables, createTestDb, type TestDb } from '../support/db';
import { migrateOptions } from '../support/store';

for (const kind of DB_KINDS) {
  describe(`the migration lock (${kind})`, function () {
    this.timeout(60_000);
    let db: TestDb;
    before(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }]);
    });
    after(async () => {
      await db?.destroy();
    });

    it('lets two starts at once both finish, the migrations applied once', async () => {
      const options = migrateOptions(db);
      const [first, second] = await Promise.all([migrateLatest(db.knex, options), migrateLatest(db.knex, options)]);
      const { applied, pending } = await migrationStatus(db.knex, options);
      assert.deepEqual(pending, []);
      // Every migration ran in exactly one of the two.
      assert.deepEqual([...first, ...second].sort(), [...applied].sort());
    });

    it('names the lock table when the lock was left behind by an instance stopped mid-migration', async () => {
      // A chain of its own, so that the wait can be short: one migration applied, then a second pending.
      const tableName = `${db.tablePrefix}lock_probe`;
      const source = (names: string[]) => ({
        getMigrations: async () => names,
        getMigrationName: (name: string) => name,
        getMigration: async () => ({ up: async () => undefined, down: async () => undefined }),
      });
      await db.knex.migrate.latest({ tableName, migrationSource: source(['a']) });
      const lockTable = `${tableName}_lock`;
      await db.knex(lockTable).update({ is_locked: 1 });
      const started = Date.now();
      await assert.rejects(
        afterMigrationLock(tableName, () => db.knex.migrate.latest({ tableName, migrationSource: source(['a', 'b']) }), 600),
        (err: Error) => err.message.includes(`set is_locked to 0 in the table ${lockTable}`) && err.message.includes('held the migration lock'),
      );
      assert.ok(Date.now() - started >= 600, 'it waited for the other instance first');
      // Released: the start goes on and applies what was pending.
      await db.knex(lockTable).update({ is_locked: 0 });
      const [, applied] = (await afterMigrationLock(tableName, () => db.knex.migrate.latest({ tableName, migrationSource: source(['a', 'b']) }), 600)) as [
        number,
        string[],
      ];
      assert.deepEqual(applied, ['b']);
      await db.knex.schema.dropTable(tableName);
      await db.knex.schema.dropTable(lockTable);
    });
  });
}

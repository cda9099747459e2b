// Two instances started at once on a new database both run the migrations. Knex lets one take the
// lock and makes the other fail at once with "Migration table is already locked" (or, a moment
// earlier, both create its migrations table and one fails with "already exists"), which would end
// that instance's start. The second instead waits for the first to finish and then finds nothing
// left to do. A lock left behind by an instance killed mid-migration is never released by Knex:
// after the wait the error names the table to clear.

const EVERY_MS = 250;
const WAIT_MS = 60_000;

/** The lock was taken, or the other instance created the migrations table (or its lock table) first. */
function isOtherInstance(err: unknown, migrationsTable: string): boolean {
  if (!(err instanceof Error)) return false;
  if (err.message.includes('Migration table is already locked')) return true;
  // SQLite and MariaDB say "already exists"; PostgreSQL may say so, or refuse the table's type name.
  return err.message.includes(migrationsTable) && /already exists|duplicate key/i.test(err.message);
}

/** Runs `migrate`, again every 250 ms while another instance holds the lock, for at most a minute. */
export async function afterMigrationLock<T>(migrationsTable: string, migrate: () => Promise<T>, waitMs = WAIT_MS): Promise<T> {
  const lockTable = `${migrationsTable}_lock`;
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await migrate();
    } catch (err) {
      if (!isOtherInstance(err, migrationsTable)) throw err;
      if (Date.now() >= until) {
        throw new Error(
          `another instance has held the migration lock for ${Math.round(waitMs / 1000)} s; if no instance is migrating, one was stopped mid-migration: set is_locked to 0 in the table ${lockTable}`,
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
    }
  }
}

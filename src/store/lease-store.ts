// Named leases in `<prefix>leases` (migration 20261208000000): a job that must run on one instance
// at a time (the scheduled DNS Checks, later the DNS drift repair) runs only while its instance
// holds the lease of that name. Taking and renewing is one statement per dialect that the database
// serialises on the row (the primary key decides a race to create it), and every time in it is
// the database's own clock: two instances whose clocks disagree still never both hold a lease.
import type { Knex } from 'knex';
import { dialectOf, type Dialect } from './dialect';

/** The database's "now" in milliseconds since 1970, as an integer expression of each dialect. */
const NOW_MS: Record<Dialect, string> = {
  // SQLite's clock is the clock of the machine the file is on, the same for every process using it.
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
  // UTC_TIMESTAMP, not NOW(): NOW() is in the session's time zone, ambiguous for an hour a year.
  mysql: "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
  postgres: 'CAST(EXTRACT(EPOCH FROM CLOCK_TIMESTAMP()) * 1000 AS BIGINT)',
};

/** The bounds of what is stored: the columns' sizes. */
export const LEASE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HOLDER_MAX = 128;

export class LeaseStore {
  private readonly dialect: Dialect;

  constructor(
    readonly knex: Knex,
    readonly table: string,
  ) {
    this.dialect = dialectOf(knex);
  }

  /**
   * Takes the lease `name` for `holder`, or renews it, for `periodMs` from the database's now:
   * when nobody holds it, when `holder` does, or when its holder let it expire. True when `holder`
   * holds it now (until at least `periodMs` after this call began); false when another does.
   * Rejects when the database does not answer (the caller then holds it no longer than before).
   */
  async acquire(name: string, holder: string, periodMs: number): Promise<boolean> {
    check(name, holder);
    if (!Number.isInteger(periodMs) || periodMs < 1) throw new TypeError('a lease period is a whole number of milliseconds');
    const now = NOW_MS[this.dialect];
    const bindings = [this.table, name, holder, periodMs];
    if (this.dialect === 'mysql') {
      // MariaDB/MySQL assign left to right, each seeing the assignments before it: `holder` first,
      // from the old row; then `expires_at` moves only if `holder` is now the caller (taken or renewed).
      await this.knex.raw(
        `INSERT INTO ?? (name, holder, expires_at) VALUES (?, ?, ${now} + ?) ON DUPLICATE KEY UPDATE ` +
          `holder = IF(holder = VALUES(holder) OR expires_at < ${now}, VALUES(holder), holder), ` +
          'expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)',
        bindings,
      );
    } else {
      // PostgreSQL locks the conflicting row and evaluates the WHERE on its latest version; SQLite
      // has one writer at a time. Either way two callers cannot both see the lease free.
      await this.knex.raw(
        `INSERT INTO ?? AS lease (name, holder, expires_at) VALUES (?, ?, ${now} + ?) ON CONFLICT (name) DO UPDATE ` +
          `SET holder = excluded.holder, expires_at = excluded.expires_at WHERE lease.holder = excluded.holder OR lease.expires_at < ${now}`,
        bindings,
      );
    }
    // Read back rather than counting affected rows (which MySQL reports differently by client flag):
    // nobody can take it from `holder` before it expires, so what this read says held at the statement.
    const row = await this.knex(this.table).where({ name }).first<{ holder: string } | undefined>('holder');
    return row?.holder === holder;
  }

  /** Lets the lease go at once (a clean stop), if `holder` holds it; another instance may take it next. */
  async release(name: string, holder: string): Promise<void> {
    check(name, holder);
    await this.knex(this.table).where({ name, holder }).update({ expires_at: 0 });
  }

  /** Who holds the lease `name` now (by the database's clock), or null: for status pages and tests. */
  async holder(name: string): Promise<string | null> {
    const row = await this.knex(this.table)
      .where({ name })
      .andWhere('expires_at', '>=', this.knex.raw(NOW_MS[this.dialect]))
      .first<{ holder: string } | undefined>('holder');
    return row?.holder ?? null;
  }
}

function check(name: string, holder: string): void {
  if (!LEASE_NAME.test(name)) throw new TypeError('a lease name is 1 to 64 of a-z, 0-9, dot, underscore or hyphen');
  if (holder.length < 1 || holder.length > HOLDER_MAX) throw new TypeError(`a lease holder is 1 to ${HOLDER_MAX} characters`);
}

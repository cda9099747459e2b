// The standalone server's limit on failed logins, kept in its own table `<prefix>login_failures`
// (the server's migration chain, server-schema.ts).
//
// Two keys are counted per failure: the account at the client's address (IPv6 by its /64), and the
// address alone. Never the account alone: a count per account lets anyone anywhere lock the
// administrator out with a few wrong passwords an hour. A login is refused (429) while either key
// is blocked, the right password included, so guessing stops; a successful login clears its own
// account-at-address key only, never the address's (a valid account must not reset it).
//
// Why in the database and not in a bounded map in memory: a map needs a size limit, and any limit
// on keys an attacker can create (new names, new IPv6 /64s) means evicting someone, which reset the
// lock on `admin` (issue 18). Rows need no limit in memory: the process holds none, a blocked key
// stays until its block and its memory end, a restart forgets nothing, and instances share them.
// The table stays small because each row costs the attacker a failed login, and each failed login
// costs a scrypt verification (about 250 ms of one core): an address-sized flood makes at most a
// few rows a second, deleted when they expire (docs/server-login.md has the figures).
//
// Every statement runs under the plugin's database deadline (BoundedDb, `database.timeoutMs`): the
// login form is public, and while the database's packets were dropped, each login waited on these
// queries until TCP gave up (minutes), holding a connection of the pool.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { BoundedDb } from '../service/database';
import { addressKey } from '../web/rate-limit';

/** Failures allowed for one account at one address (IPv6: its /64); the next attempt waits. */
const ACCOUNT_AT_ADDRESS_FAILURES = 5;
/** Failures allowed from one address (IPv6: its /64) over all names (a shared NAT has room). */
const ADDRESS_FAILURES = 10;
/** The first block, doubled by each failure after it, up to MAX_BLOCK_MS. */
const FIRST_BLOCK_MS = 15 * 60_000;
const MAX_BLOCK_MS = 24 * 3600_000;
/** Failures below the limit are forgotten this long after the last one. */
const WINDOW_MS = 15 * 60_000;
/** A key that was blocked is remembered this long after its block ends, so that its next failure doubles the block. */
const MEMORY_MS = 24 * 3600_000;
/** Expired rows are deleted at most this often (on a failure). */
const PRUNE_EVERY_MS = 60_000;
/** How long an address's login in progress holds its turn at most (a check that failed with an error lets go after it). */
const TURN_MS = 30_000;

export interface LoginRefusal {
  /** Seconds until a login may be tried again (Retry-After). */
  retryAfter: number;
  /** Another login from the address is being checked now, or the account or address is blocked. */
  reason: 'checking' | 'blocked';
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/** The two keys of an attempt: the account (as typed, trimmed, any case) at the address, and the address. */
function keysOf(address: string, username: string) {
  const where = addressKey(address);
  return [
    { key: digest(`account-at-address\n${username.trim().toLowerCase()}\n${where}`), limit: ACCOUNT_AT_ADDRESS_FAILURES },
    { key: digest(`address\n${where}`), limit: ADDRESS_FAILURES },
  ];
}

export class LoginLimit {
  private lastPrune = 0;
  /**
   * Addresses with a login being checked now, and since when: one at a time per address (IPv6 /64),
   * else a burst of parallel guesses would all pass the check before the first failure is counted.
   * In order of their start; an entry lives for one request (TURN_MS at most), so the map holds no
   * more than the requests in progress.
   */
  private readonly checking = new Map<string, number>();
  private readonly db: BoundedDb;

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    private readonly now: () => number = Date.now,
    db?: BoundedDb,
  ) {
    this.db = db ?? new BoundedDb(knex);
  }

  /** One statement within the deadline; past it, its connection is destroyed and DatabaseDeadlineError thrown. */
  private query<T>(query: Knex.QueryBuilder): Promise<T> {
    return this.db.run(async (connection) => (await query.connection(connection)) as T);
  }

  /**
   * Why a login from this address for this name must wait, or null when it may be tried; then the
   * address has the turn until failed() or succeeded() is called for it.
   */
  async refusal(address: string, username: string): Promise<LoginRefusal | null> {
    const now = this.now();
    for (const [where, since] of this.checking) {
      if (now - since < TURN_MS) break;
      this.checking.delete(where);
    }
    const where = addressKey(address);
    if (this.checking.has(where)) return { retryAfter: 1, reason: 'checking' };
    const keys = keysOf(address, username).map((k) => k.key);
    const rows = await this.query<Array<{ blocked_until: number | string }>>(
      this.knex(this.table).whereIn('key_hash', keys).where('blocked_until', '>', now).select('blocked_until'),
    );
    const until = Math.max(0, ...rows.map((row) => Number(row.blocked_until)));
    if (until <= now) {
      this.checking.set(where, now);
      return null;
    }
    const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
    return { retryAfter, reason: 'blocked' };
  }

  /** Counts a failed login; the key that reaches its limit is blocked, for twice as long at each further failure. */
  async failed(address: string, username: string): Promise<void> {
    const now = this.now();
    this.checking.delete(addressKey(address));
    const count = async (knex: Knex, connection: unknown) => {
      for (const { key, limit } of keysOf(address, username)) await this.count(knex, connection, key, limit, now);
    };
    // SQLite: one transaction, so one commit (one sync to disk, which better-sqlite3 waits for on the
    // event loop) instead of one per statement; it has a single connection, so nothing waits on a lock.
    // The database servers: single statements, each atomic, which no two failures at once can deadlock.
    // Either way on one connection, all of them within one deadline.
    await this.db.run((connection) =>
      this.db.dialect === 'sqlite' ? this.knex.transaction((trx) => count(trx, null), { connection }) : count(this.knex, connection),
    );
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.prune();
    }
  }

  /** A successful login clears its account at this address; the address's own count stays. */
  async succeeded(address: string, username: string): Promise<void> {
    this.checking.delete(addressKey(address));
    await this.query(this.knex(this.table).where('key_hash', keysOf(address, username)[0].key).delete());
  }

  /** Deletes the rows whose memory ended (never a blocked one: a row expires MEMORY_MS after its block). */
  async prune(): Promise<number> {
    return this.query<number>(this.knex(this.table).where('expires_at', '<=', this.now()).delete());
  }

  /** Counts one failure of `key`: on `connection`, or (null) on the transaction `knex` is. */
  private async count(knex: Knex, connection: unknown, key: string, limit: number, now: number): Promise<void> {
    const { table } = this;
    const on = <Q extends Knex.QueryBuilder>(query: Q): Q => (connection === null ? query : query.connection(connection));
    // A row whose memory ended counts as none (the next prune may not have come yet).
    await on(knex(table).where('key_hash', key).where('expires_at', '<=', now).delete());
    // Only ever later: of two failures at once, the one that read the smaller count must not shorten a block.
    const later = (column: string, value: number) => knex.raw('CASE WHEN ??.?? < ? THEN ? ELSE ??.?? END', [table, column, value, value, table, column]);
    // One statement, so that failures at the same moment each count (no read-then-write race).
    await on(
      knex(table)
        .insert({ key_hash: key, failures: 1, blocked_until: 0, expires_at: now + WINDOW_MS })
        .onConflict('key_hash')
        .merge({ failures: knex.raw('??.?? + 1', [table, 'failures']), expires_at: later('expires_at', now + WINDOW_MS) }),
    );
    const row = (await on(knex(table).where('key_hash', key).first('failures'))) as { failures: number | string } | undefined;
    const failures = Number(row?.failures ?? 1);
    if (failures < limit) return;
    // 2 ** (a large count) is Infinity, and min() keeps it at the cap.
    const blockedUntil = now + Math.min(FIRST_BLOCK_MS * 2 ** (failures - limit), MAX_BLOCK_MS);
    await on(
      knex(table)
        .where('key_hash', key)
        .update({ blocked_until: later('blocked_until', blockedUntil), expires_at: later('expires_at', blockedUntil + MEMORY_MS) }),
    );
  }
}

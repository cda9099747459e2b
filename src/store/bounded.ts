import type { Knex } from 'knex';
import { DEFAULT_DB_TIMEOUT_MS } from '../deadline';
import { dialectOf, type Dialect } from './dialect';

export { DEFAULT_DB_TIMEOUT_MS };

/** The `code` of the error a plugin query fails with when its deadline passes. */
export const DEADLINE_CODE = 'MTA_STS_DB_DEADLINE';

/**
 * The longest the plugin lets better-sqlite3 block the event loop on a locked file, per
 * statement. better-sqlite3 waits for a lock synchronously (its `timeout`, SQLite's busy timeout,
 * 5 s unless the host set another), which froze every request of the process, the policy file's
 * too, while another process held the file. 100 ms outlasts another writer's commit (milliseconds)
 * and is short enough that nobody notices; a longer lock makes the plugin's statement fail
 * SQLITE_BUSY at once, and the caller answers from memory or 503, while the served-policy cache
 * retries its reload in the background (never on the request path).
 */
export const SQLITE_BUSY_MS = 100;

/** A plugin query that did not finish within `timeoutMs`; its connection was destroyed. */
export class DatabaseDeadlineError extends Error {
  readonly code = DEADLINE_CODE;
  constructor(readonly timeoutMs: number) {
    super(`the database did not answer within ${timeoutMs} ms`);
    this.name = 'DatabaseDeadlineError';
  }
}

/** The raw driver connections this module touches (mysql2, pg, better-sqlite3), loosely typed. */
interface RawConnection {
  __knex__disposed?: unknown;
  /** mysql2: the socket and the server's thread id. */
  stream?: { destroy(): void };
  threadId?: number;
  /** pg: the socket and the server's backend pid. */
  connection?: { stream?: { destroy(): void } };
  processID?: number;
  /** better-sqlite3. */
  pragma?: (source: string, options?: { simple?: boolean }) => unknown;
}

/**
 * Runs the plugin's database work on a connection of the host's pool with a deadline, so that no
 * request waits on the database longer than `timeoutMs`, however the database fails.
 *
 * Why not Knex's `.timeout(ms, { cancel: true })`: it covers one statement, not the acquire of a
 * connection nor a transaction's BEGIN/COMMIT/ROLLBACK (a transaction whose statement timed out
 * then hangs in its ROLLBACK on the same dead socket); and its cancel (`KILL QUERY` on MySQL,
 * `pg_cancel_backend` on PostgreSQL) opens a connection that hangs too while the network is down,
 * and leaves the connection itself in the pool, still wedged; on SQLite it cannot cancel at all
 * (Knex: "not supported for this dialect", and no timer fires during a synchronous statement
 * anyway). So instead, when the deadline
 * passes, the connection's socket is destroyed at once (every statement waiting on it fails, the
 * transaction settles), the connection is marked disposed so that the pool drops it rather than
 * handing it out again (the pool recovers by itself when the network returns, without a restart),
 * and the server-side session is killed in the background, best effort, so that a transaction
 * frozen after `SELECT ... FOR UPDATE` does not keep its row lock until the server's own timeouts.
 *
 * SQLite is different: better-sqlite3 runs each statement synchronously, so no timer fires during
 * one; there the bound is the busy timeout, lowered to SQLITE_BUSY_MS for the plugin's statements
 * and restored before the connection goes back to the host's pool.
 */
export class BoundedDb {
  readonly dialect: Dialect;

  constructor(
    readonly knex: Knex,
    readonly timeoutMs: number = DEFAULT_DB_TIMEOUT_MS,
  ) {
    this.dialect = dialectOf(knex);
  }

  /**
   * Acquires a connection and runs `work` on it (pass it to `.connection(conn)` or to
   * `knex.transaction(fn, { connection: conn })`), rejecting with DatabaseDeadlineError when both
   * together take longer than `timeoutMs`.
   */
  run<T>(work: (connection: unknown) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    return this.runBounded(work, true, timeoutMs);
  }

  /** `killOnDeadline` false for the kill itself: one that misses its deadline is not chased by another. */
  private async runBounded<T>(work: (connection: unknown) => Promise<T>, killOnDeadline: boolean, timeoutMs = this.timeoutMs): Promise<T> {
    const client = this.knex.client as { acquireConnection(): Promise<RawConnection>; releaseConnection(c: RawConnection): Promise<void> };
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseDeadlineError(this.timeoutMs)), Math.max(1, timeoutMs));
    });
    const acquiring = client.acquireConnection();
    let connection: RawConnection;
    try {
      connection = await Promise.race([acquiring, expired]);
    } catch (err) {
      clearTimeout(timer);
      // A connection that arrives after the deadline goes straight back.
      acquiring.then(
        (late) => client.releaseConnection(late),
        () => undefined,
      );
      throw err;
    }
    const restoreBusy = this.lowerBusyTimeout(connection);
    // SQLite's statements are bounded by the busy timeout, and the connection cannot be destroyed
    // under a transaction still running on it (it would go back to the host's pool mid-way).
    if (this.dialect === 'sqlite') clearTimeout(timer);
    const working = Promise.resolve().then(() => work(connection));
    // Once the deadline has answered, the work's own failure (its socket destroyed) has no reader.
    working.catch(() => undefined);
    try {
      return await (this.dialect === 'sqlite' ? working : Promise.race([working, expired]));
    } catch (err) {
      if (err instanceof DatabaseDeadlineError) this.dispose(connection, err, killOnDeadline);
      throw err;
    } finally {
      clearTimeout(timer);
      restoreBusy();
      void client.releaseConnection(connection);
    }
  }

  /** better-sqlite3 only: SQLITE_BUSY_MS for the plugin's statements; returns the restore. */
  private lowerBusyTimeout(connection: RawConnection): () => void {
    if (this.dialect !== 'sqlite' || typeof connection.pragma !== 'function') return () => undefined;
    const pragma = connection.pragma.bind(connection);
    const previous = Number(pragma('busy_timeout', { simple: true }));
    if (!Number.isInteger(previous) || previous <= SQLITE_BUSY_MS) return () => undefined;
    pragma(`busy_timeout = ${SQLITE_BUSY_MS}`);
    return () => {
      try {
        pragma(`busy_timeout = ${previous}`);
      } catch {
        // A closed connection: the pool drops it anyway.
      }
    };
  }

  /** Takes a connection that missed its deadline out of service, here and on the server. */
  private dispose(connection: RawConnection, reason: DatabaseDeadlineError, kill: boolean): void {
    if (this.dialect === 'sqlite') return;
    connection.__knex__disposed = reason;
    (connection.stream ?? connection.connection?.stream)?.destroy();
    // The server may not have noticed (a black-holed network delivers no FIN): end the session,
    // and with it any transaction and row lock it holds, from a healthy connection if there is one.
    if (!kill) return;
    const { threadId, processID } = connection;
    const killer =
      this.dialect === 'mysql' && typeof threadId === 'number'
        ? (c: unknown) => this.knex.raw('KILL CONNECTION ?', [threadId]).connection(c)
        : this.dialect === 'postgres' && typeof processID === 'number'
          ? (c: unknown) => this.knex.raw('SELECT pg_terminate_backend(?)', [processID]).connection(c)
          : null;
    if (killer)
      this.runBounded(async (c) => {
        await killer(c);
      }, false).catch(() => undefined);
  }
}

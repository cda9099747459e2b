import { DEADLINE_CODE } from './bounded';

// Errors that mean "the database cannot be reached or cannot answer now", not "the query is wrong":
// connection failures (Node, mysql2, pg), server shutdown, too many connections, a busy SQLite file.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  // The plugin's own deadline (src/store/bounded.ts); PostgreSQL: connection failures, shutdown,
  // too many connections, lock timeout, deadlock.
  DEADLINE_CODE,
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '55P03',
  '40P01',
  'ER_LOCK_DEADLOCK',
]);

// Of those, the ones that mean "another transaction holds what this one needs": the database is
// up, only busy, and trying again shortly is the right advice.
const BUSY_CODES = new Set(['ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', '55P03', '40P01', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

/** True when `err` (or an error it wraps) is a lock wait that gave up: a busy database, not a down one. */
export function isDatabaseBusy(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | null | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (BUSY_CODES.has(code) || /^SQLITE_(?:BUSY|LOCKED)_/.test(code)) return true;
  }
  return false;
}

/**
 * True when `err` (or an error it wraps) says the database is unreachable or refusing work, as
 * opposed to a bug or a bad query: Knex pool timeouts, connection errors, mysql2's fatal errors.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | null | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === 'KnexTimeoutError' || e.fatal === true) return true;
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_CODES.has(code) || /^SQLITE_(?:BUSY|LOCKED|CANTOPEN|IOERR|READONLY)_/.test(code)) return true;
  }
  return false;
}

/**
 * Marks an error thrown by a save: `outcome` is 'not-saved' when the transaction certainly changed
 * nothing (rolled back, or never wrote), 'unknown' when it failed while committing a change.
 */
export type SaveFailure = Error & { outcome: 'not-saved' | 'unknown' };

export function markSaveFailure(err: unknown, outcome: 'not-saved' | 'unknown'): SaveFailure {
  const error = (err instanceof Error ? err : new Error(String(err))) as SaveFailure;
  try {
    error.outcome = outcome;
  } catch {
    // A frozen error: wrap it, keeping the original as the cause.
    return Object.assign(new Error(error.message, { cause: err }), { outcome });
  }
  return error;
}

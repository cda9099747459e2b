// Errors that mean "the database cannot be reached or cannot answer now", not "the query is wrong":
// connection failures (Node, mysql2, pg), server shutdown, too many connections, a busy SQLite file.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_SERVER_SHUTDOWN', 'ER_NORMAL_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED', 'ER_OPTION_PREVENTS_STATEMENT', 'ER_READ_ONLY_MODE',
  // PostgreSQL SQLSTATEs: connection failures, shutdown, too many connections, lock or statement timeout.
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '55P03', '57014',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY',
]);

/**
 * True when `err` (or an error it wraps) says the database is unreachable or refusing work, as
 * opposed to a bug or a bad query: Knex pool timeouts, connection errors, mysql2's fatal errors.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | null | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === 'KnexTimeoutError' || e.fatal === true) return true;
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_CODES.has(code) || /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|READONLY)_/.test(code)) return true;
  }
  return false;
}

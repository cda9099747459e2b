// GET /healthz: is the database reachable, does it hold every table and column the settings name,
// and how old is the served set. 200 `ok` when all is well; 503 `unavailable` when the database does
// not answer, 503 `degraded` with the reason when a configured table or column is missing (the
// served set cannot load: a load balancer then stops sending admin traffic, and an operator sees
// why; the policy file keeps being served from the last set loaded, which the age shows).
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Metrics } from './metrics';

/** The longest the probe waits for MariaDB or PostgreSQL before answering 503. */
export const PROBE_TIMEOUT_MS = 2000;

/**
 * The probe reads a row of `table` (one of the server's own, always there): `select 1` alone
 * touches no table, so it answered while another process held SQLite's file locked and every
 * page failed. A locked SQLite file answers SQLITE_BUSY within the server's busy timeout
 * (better-sqlite3 is synchronous, so the timer below cannot cut it short; the busy timeout does).
 * `schemaProblem` then names a configured table or column the database lacks, or null (catalogue
 * queries only, so a table being dropped under a running server shows at the next probe).
 */
export function healthHandler(
  knex: Knex,
  table: string,
  metrics: Pick<Metrics, 'servedSetAge'>,
  schemaProblem: () => Promise<string | null> = () => Promise.resolve(null),
): RequestHandler {
  return (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
    });
    const probe = Promise.resolve()
      .then(() => knex(table).select(knex.raw('1 as up')).limit(1))
      .then(() => schemaProblem());
    // A probe still running at the timeout fails later with nobody waiting for it.
    probe.catch(() => undefined);
    Promise.race([probe, timeout])
      .then(
        (problem) => ({ reachable: true, problem }),
        () => ({ reachable: false, problem: null }),
      )
      .then(({ reachable, problem }) => {
        clearTimeout(timer);
        const age = metrics.servedSetAge();
        const status = !reachable ? 'unavailable' : problem !== null ? 'degraded' : 'ok';
        res
          .status(status === 'ok' ? 200 : 503)
          .set('Cache-Control', 'no-store')
          .json({
            status,
            database: reachable ? 'reachable' : 'unreachable',
            ...(problem !== null ? { reason: problem } : {}),
            servedSetAgeSeconds: age === null ? null : Math.round(age * 10) / 10,
          });
      })
      .catch(() => undefined);
  };
}

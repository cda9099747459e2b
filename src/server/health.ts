// GET /healthz: is the database reachable, and how old is the served set. 200 when the database
// answers, 503 when it does not (a load balancer then stops sending admin traffic; the policy file
// keeps being served from the last set loaded, which the age shows).
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
 */
export function healthHandler(knex: Knex, table: string, metrics: Pick<Metrics, 'servedSetAge'>): RequestHandler {
  return (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
    });
    const probe = Promise.resolve().then(() => knex(table).select(knex.raw('1 as up')).limit(1));
    // A probe still running at the timeout fails later with nobody waiting for it.
    probe.catch(() => undefined);
    Promise.race([probe, timeout])
      .then(
        () => true,
        () => false,
      )
      .then((reachable) => {
        clearTimeout(timer);
        const age = metrics.servedSetAge();
        res
          .status(reachable ? 200 : 503)
          .set('Cache-Control', 'no-store')
          .json({
            status: reachable ? 'ok' : 'unavailable',
            database: reachable ? 'reachable' : 'unreachable',
            servedSetAgeSeconds: age === null ? null : Math.round(age * 10) / 10,
          });
      })
      .catch(() => undefined);
  };
}

// GET /healthz: is the database reachable, and how old is the served set. 200 when the database
// answers, 503 when it does not (a load balancer then stops sending admin traffic; the policy file
// keeps being served from the last set loaded, which the age shows).
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';

const PROBE_TIMEOUT_MS = 2000;

export function healthHandler(knex: Knex, servedSetAge: () => number | null): RequestHandler {
  return (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
    });
    Promise.race([knex.raw('select 1'), timeout])
      .then(
        () => true,
        () => false,
      )
      .then((reachable) => {
        clearTimeout(timer);
        const age = servedSetAge();
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

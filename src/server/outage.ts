// The server's own routes while the database does not answer (the login, the domain pages, the
// session store under every request with a login cookie): 503 with the plugin's outage sentence,
// the same the tab shows, as a page for people and as JSON for the API and the report intake. The
// log gets a machine code and the driver's error code, never the driver's message: Knex quotes the
// failing SQL there, with a session id, a user name or a token inlined.
import type { ErrorRequestHandler, Request, Response } from 'express';
import ejs from 'ejs';
import { ERROR_TEXTS, translate } from '../i18n';
import type { Logger } from '../logger';
import { isDatabaseUnavailable } from '../service';
import { UNAVAILABLE_RETRY_AFTER_S } from '../web/errors';
import { demoLanguage } from './i18n';
import { StoreFailure } from './sessions';

export const OUTAGE_CODE = 'database-unavailable';

/** True when `err` means the database cannot answer now, as opposed to a bug. */
export function isOutage(err: unknown): boolean {
  return err instanceof StoreFailure || isDatabaseUnavailable(err);
}

/** The driver's error code of a failure, or its class name: what may be logged of it. */
export function failureCode(err: unknown): string {
  if (err instanceof StoreFailure) return err.driverCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[\w.-]{1,64}$/.test(code)) return code;
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'unknown';
}

export interface OutageOptions {
  logger: Logger;
  /** Paths whose clients are programs (the JSON API, the report intake): JSON there. */
  jsonPaths: readonly string[];
  /** The server's page chrome around `content`. */
  page(req: Request, res: Response, title: string, content: string): string;
}

/** An error handler answering a database outage with 503 and passing anything else on. */
export function outageHandler(options: OutageOptions): ErrorRequestHandler {
  const jsonPaths = options.jsonPaths.map((path) => path.toLowerCase().replace(/\/$/, ''));
  const program = (req: Request) => {
    const path = req.path.toLowerCase();
    return jsonPaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) || req.accepts(['html', 'json']) === 'json';
  };
  return (err, req, res, next) => {
    // After the answer has started (express-session's save or destroy at its end failed): nothing
    // is left to answer, and a page rendered now would throw.
    if (res.headersSent) {
      options.logger.warn(`${req.method} ${req.path} failed after its answer had started`, { code: 'after-answer', driverCode: failureCode(err) });
      return;
    }
    if (!isOutage(err)) return next(err);
    options.logger.warn(`${req.method} ${req.path}: database unavailable`, { code: OUTAGE_CODE, driverCode: failureCode(err) });
    res.status(503).set({ 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S), 'Cache-Control': 'no-store' });
    if (program(req)) {
      res.json({ error: { code: 'unavailable', message: ERROR_TEXTS.databaseUnavailable } });
      return;
    }
    const lang = demoLanguage(req);
    const content = `<div class="alert alert-warning" role="alert">${ejs.escapeXML(translate(lang, 'error.databaseUnavailable'))}</div>`;
    res.type('html').send(options.page(req, res, translate(lang, 'error.title', { status: 503 }), content));
  };
}

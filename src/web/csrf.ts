import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';
import type { ResolvedOptions } from '../options';

export interface Csrf {
  /** Parses cookies and, for POSTs, refuses a request without a valid token (403). */
  protect: RequestHandler[];
  /** A token for a form, setting the matching cookie on the response. */
  token(req: Request, res: Response): string;
}

/**
 * Double-submit cookie CSRF protection (csrf-csrf): the form carries an HMAC-signed token that
 * must match a cookie only this site can set. Works without a session store of our own; a host
 * that passes its session id binds tokens to the login as well.
 */
export function createCsrf(options: ResolvedOptions['csrf']): Csrf {
  const make = (secure: boolean) =>
    doubleCsrf({
      getSecret: () => options.secret,
      getSessionIdentifier: (req) => options.sessionId(req),
      // The __Host- prefix pins the cookie to this host and path "/", but needs HTTPS.
      cookieName: secure ? '__Host-mta-sts.csrf' : 'mta-sts.csrf',
      cookieOptions: { sameSite: 'strict', path: '/', secure, httpOnly: true },
      getCsrfTokenFromRequest: (req) => {
        const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
        return typeof token === 'string' ? token : req.get('x-csrf-token');
      },
    });
  // true or false: one cookie. 'auto': one per scheme (req.secure), so a cookie set over plain
  // HTTP, where anyone on the path can set one, is never read on an HTTPS request.
  const main = make(options.secureCookie !== false);
  const plain = options.secureCookie === 'auto' ? make(false) : main;
  const pick = (req: Request) => (req.secure ? main : plain);
  const parseCookies = cookieParser();
  return {
    protect: [parseCookies, (req, res, next) => pick(req).doubleCsrfProtection(req, res, next)],
    token(req, res) {
      // renderTab runs inside the host's route, where nobody may have parsed cookies yet;
      // cookie-parser is synchronous, so it can be run in place.
      if (req.cookies === undefined) parseCookies(req, res, () => undefined);
      return pick(req).generateCsrfToken(req, res);
    },
  };
}

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
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => options.secret,
    getSessionIdentifier: (req) => options.sessionId(req),
    // The __Host- prefix pins the cookie to this host and path "/", but needs HTTPS.
    cookieName: options.secureCookie ? '__Host-mta-sts.csrf' : 'mta-sts.csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure: options.secureCookie, httpOnly: true },
    getCsrfTokenFromRequest: (req) => {
      const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
      return typeof token === 'string' ? token : req.get('x-csrf-token');
    },
  });
  const parseCookies = cookieParser();
  return {
    protect: [parseCookies, doubleCsrfProtection],
    token(req, res) {
      // renderTab runs inside the host's route, where nobody may have parsed cookies yet;
      // cookie-parser is synchronous, so it can be run in place.
      if (req.cookies === undefined) parseCookies(req, res, () => undefined);
      return generateCsrfToken(req, res);
    },
  };
}

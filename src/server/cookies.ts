// The standalone server's cookies over TLS and without: one name per scheme. A request that came
// over TLS (directly, as with --acme, or from a trusted proxy's X-Forwarded-Proto) gets and reads
// only `__Host-` cookies with `Secure`; a plain-HTTP request only the unprefixed ones. So a cookie
// set over plain HTTP (by anyone on the path, "cookie tossing") is never read on an HTTPS request,
// and a browser never sends a TLS request's cookies over plain HTTP.
import { randomBytes } from 'node:crypto';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';

/** true: every cookie Secure (a TLS proxy that says nothing); 'auto': by the request; false: never (plain-HTTP development). */
export type CookieSecurity = boolean | 'auto';

/** Whether this request's cookies are `Secure` and `__Host-` prefixed. */
export function overTls(req: Request, mode: CookieSecurity): boolean {
  return mode === 'auto' ? req.secure : mode;
}

/** A cookie's name for a request over TLS (`__Host-`: this host only, path `/`, Secure) or not. */
export function cookieName(base: string, tls: boolean): string {
  return tls ? `__Host-${base}` : base;
}

/**
 * CSRF protection of the server's own forms (log in, log out, the domain list's DNS Check), as
 * the plugin protects its tab: an HMAC-signed double-submit cookie (csrf-csrf). Without it another
 * site could log a visitor in to an account of its choosing (login CSRF) or log them out. The
 * field is `_panel_csrf`, so that it never mixes with the plugin's `_csrf` on the same page.
 */
export function createPanelCsrf(options: { secure: CookieSecurity; secret?: string; sessionId: (req: Request) => string }) {
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const make = (tls: boolean) =>
    doubleCsrf({
      getSecret: () => secret,
      getSessionIdentifier: (req) => options.sessionId(req),
      cookieName: cookieName('panel.csrf', tls),
      cookieOptions: { sameSite: 'strict', path: '/', secure: tls, httpOnly: true },
      getCsrfTokenFromRequest: (req) => {
        const field = (req.body as Record<string, unknown> | undefined)?._panel_csrf;
        return typeof field === 'string' ? field : undefined;
      },
    });
  const plain = make(false);
  const tls = make(true);
  const pick = (req: Request) => (overTls(req, options.secure) ? tls : plain);
  const parseCookies = cookieParser();
  // One token per response: a page with several forms (logout, a button per row) would otherwise
  // set several cookies of the same name, and only the last one's token would be valid.
  const issued = new WeakMap<Request, string>();
  return {
    /** Parses cookies, then refuses a POST without a valid token (an error with code EBADCSRFTOKEN). */
    protect: [parseCookies, (req, res, next) => pick(req).doubleCsrfProtection(req, res, next)] as RequestHandler[],
    token(req: Request, res: Response): string {
      const known = issued.get(req);
      if (known !== undefined) return known;
      if (req.cookies === undefined) parseCookies(req, res, () => undefined);
      const token = pick(req).generateCsrfToken(req, res);
      issued.set(req, token);
      return token;
    },
  };
}

export type PanelCsrf = ReturnType<typeof createPanelCsrf>;

import { randomBytes } from 'node:crypto';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';

/**
 * CSRF protection of the demo's own forms (log in, log out), as the plugin protects its tab: an
 * HMAC-signed double-submit cookie (csrf-csrf). Without it another site could log a visitor in to
 * an account of its choosing (login CSRF) or log them out. The field is `_panel_csrf`, so that it
 * never mixes with the plugin's `_csrf` on the same page.
 */
export function createPanelCsrf(options: { secure: boolean; secret?: string; sessionId: (req: Request) => string }) {
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => options.sessionId(req),
    cookieName: options.secure ? '__Host-panel.csrf' : 'panel.csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure: options.secure, httpOnly: true },
    getCsrfTokenFromRequest: (req) => {
      const field = (req.body as Record<string, unknown> | undefined)?._panel_csrf;
      return typeof field === 'string' ? field : undefined;
    },
  });
  const parseCookies = cookieParser();
  // One token per request: a page with the login form and the logout form (logged in, on /login)
  // asked twice, and the second cookie replaced the first, so that login was refused with 403.
  const issued = new WeakMap<Request, string>();
  return {
    /** Parses cookies, then refuses a POST without a valid token (an error with code EBADCSRFTOKEN). */
    protect: [parseCookies, doubleCsrfProtection] as RequestHandler[],
    token(req: Request, res: Response): string {
      const known = issued.get(req);
      if (known !== undefined) return known;
      if (req.cookies === undefined) parseCookies(req, res, () => undefined);
      const token = generateCsrfToken(req, res);
      issued.set(req, token);
      return token;
    },
  };
}

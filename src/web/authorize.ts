import type { Request, RequestHandler } from 'express';
import type { AuthorizeAction, AuthorizeHook, AuthorizeTarget } from '../options';
import { toALabel } from '../policy';
import { httpError } from './errors';

/**
 * The domain a route names, as the hook is asked about it: the A-label, whether or not the domain
 * exists (so the answer cannot depend on existence). A name that is no valid host name (it never
 * exists) is passed trimmed and lower-cased; a hook comparing against its own list refuses it.
 */
export function targetDomain(name: unknown): string {
  const text = typeof name === 'string' ? name : '';
  return toALabel(text) ?? text.trim().toLowerCase();
}

/** Asks the host's hook; resolves when it answers exactly `true`, else rejects with 401 or 403. */
export async function authorizeOrThrow(authorize: AuthorizeHook, req: Request, target: AuthorizeTarget): Promise<void> {
  const result = await authorize(req, target);
  if (result === true) return;
  if (result === 'unauthenticated') throw httpError(401, 'unauthenticated', 'unauthenticated');
  throw httpError(403, 'forbidden', 'forbidden');
}

/** True when the hook allows exactly this; for filtering lists (a throwing hook still fails the request). */
export async function isAllowed(authorize: AuthorizeHook, req: Request, target: AuthorizeTarget): Promise<boolean> {
  return (await authorize(req, target)) === true;
}

/**
 * The authorization step of one route, placed first in the route, after Express has matched it
 * (so `req.params.domain` is known) and before its body is parsed or its CSRF token checked: a
 * request the hook refuses is answered 401/403 before anything else happens. With `byDomain` the
 * hook is asked about the route's domain (also one that does not exist, so that a 404 is only
 * ever told to someone allowed to see that domain); without it, about all domains (null).
 */
export function requireAdmin(authorize: AuthorizeHook, action: AuthorizeAction, byDomain = true): RequestHandler {
  return (req, _res, next) => {
    const domain = byDomain ? targetDomain(req.params.domain) : null;
    authorizeOrThrow(authorize, req, { domain, action }).then(() => next(), next);
  };
}

/** Admin pages and API answers hold security settings: never cache them anywhere. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

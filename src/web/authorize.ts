import type { RequestHandler } from 'express';
import type { ResolvedOptions } from '../options';
import { httpError } from './errors';

/** Denies unless the host's hook says yes: 401 when nobody is logged in, 403 otherwise. */
export function requireAdmin(authorize: ResolvedOptions['authorize']): RequestHandler {
  return (req, _res, next) => {
    Promise.resolve()
      .then(() => authorize(req))
      .then((result) => {
        if (result === true) return next();
        if (result === 'unauthenticated') return next(httpError(401, 'unauthenticated', 'unauthenticated'));
        next(httpError(403, 'forbidden', 'forbidden'));
      })
      .catch(next);
  };
}

/** Admin pages and API answers hold security settings: never cache them anywhere. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

// Response headers of the standalone server: HSTS on every answer over TLS, and on its own pages
// (login, domain list, domain page, the tab, errors) no caching, no framing and no full referrer.
import type { RequestHandler } from 'express';
import { overTls, type CookieSecurity } from './cookies';

/** One year: browsers then use HTTPS only for this host; not includeSubDomains, whose other names this server does not know. */
const HSTS_MAX_AGE_S = 31_536_000;

/**
 * `Strict-Transport-Security` on an answer to a request over TLS (directly, or as a trusted proxy
 * says), the policy file included; never over plain HTTP, where browsers ignore it anyway.
 */
export function hsts(mode: CookieSecurity): RequestHandler {
  return (req, res, next) => {
    if (overTls(req, mode)) res.setHeader('Strict-Transport-Security', `max-age=${HSTS_MAX_AGE_S}`);
    next();
  };
}

/**
 * The server's own pages carry sessions and CSRF tokens: never stored by a cache, never framed by
 * another site (clickjacking the Save or Log out button), and their URLs (domain names) not sent
 * to other sites. Mounted after the policy file and the static files, which keep their own caching.
 */
export const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

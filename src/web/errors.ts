import type { ErrorRequestHandler, Request, Response } from 'express';
import type { ProblemCode, ProblemParams } from '../policy';

/** A problem with one field of a request: from the policy rules (with a code) or the request itself. */
export interface ErrorItem {
  field: string;
  message: string;
  /** A ProblemCode of the policy rules, or a request-level code such as `body.invalidJson`. */
  code?: ProblemCode | RequestErrorCode;
  params?: ProblemParams;
}

/** Codes of 400s about the request itself rather than a policy field. */
export type RequestErrorCode = 'body.invalidJson' | 'body.notObject' | 'revision.invalid';
import { ERROR_TEXTS, format, type ErrorTextKey } from '../i18n';
import type { Logger } from '../logger';
import { isDatabaseBusy, isDatabaseUnavailable, type SaveFailure } from '../service';
import type { PageRenderer } from './pages';

/** The 429 for a DNS Check over the limit, with Retry-After. */
export function rateLimitedError(decision: { retryAfter: number; limit: number; windowMs: number }): HttpError {
  const error = httpError(429, 'rate-limited', 'dnsCheckLimited', {
    limit: decision.limit,
    window: Math.ceil(decision.windowMs / 1000),
    seconds: decision.retryAfter,
  });
  error.retryAfter = decision.retryAfter;
  return error;
}

/** The 429 for a DNS Check refused because too many are running at once, with Retry-After. */
export function busyError(refusal: { retryAfter: number; limit: number }): HttpError {
  const error = httpError(429, 'busy', 'dnsCheckBusy', { limit: refusal.limit, seconds: refusal.retryAfter });
  error.retryAfter = refusal.retryAfter;
  return error;
}

/** `ERROR_TEXTS` entries with their `{name}` placeholders filled in. */
export function errorText(key: ErrorTextKey, values: Record<string, string | number> = {}): string {
  return format(ERROR_TEXTS[key], values);
}

/** How long clients are told to wait after a 503 for an unreachable database. */
export const UNAVAILABLE_RETRY_AFTER_S = 30;

/** After a save refused because another transaction held the domain: a lock is a matter of seconds. */
export const BUSY_RETRY_AFTER_S = 5;

/** An error meant for the person or program that made the request, with a machine `code`. */
export class HttpError extends Error {
  /** Seconds for a `Retry-After` header (429, 503), or undefined. */
  retryAfter?: number;
  /** Which ERROR_TEXTS sentence `message` is, so that pages can say it in the reader's language. */
  text?: { key: ErrorTextKey; values: Record<string, string | number> };

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: ErrorItem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Turns an exception from `PolicyStore.save` into what the admin is told: 503 when the database is
 * unreachable or did not answer within its deadline, 503 "busy" when another transaction held the
 * domain's row past the lock wait timeout, 500 for any other database error (logged), and in each
 * case that nothing was saved, unless the failure hit the commit itself, when the outcome is
 * unknown and the admin is told so.
 */
export function saveError(err: unknown, logger: Logger): HttpError {
  logger.error('a save failed', err);
  const unknown = (err as Partial<SaveFailure> | null)?.outcome === 'unknown';
  const unavailable = isDatabaseUnavailable(err);
  const error = unknown
    ? httpError(503, 'save-unknown', 'saveUnknown')
    : isDatabaseBusy(err)
      ? httpError(503, 'busy', 'saveBusy')
      : unavailable
        ? httpError(503, 'unavailable', 'saveUnavailable')
        : httpError(500, 'save-failed', 'saveFailed');
  if (error.status === 503) error.retryAfter = error.code === 'busy' ? BUSY_RETRY_AFTER_S : UNAVAILABLE_RETRY_AFTER_S;
  return error;
}

/** A database error during a read becomes a 503 HttpError; anything else is returned as it is. */
export function unavailableError(err: unknown): unknown {
  if (err instanceof HttpError || !isDatabaseUnavailable(err)) return err;
  const error = httpError(503, 'unavailable', 'databaseUnavailable');
  error.retryAfter = UNAVAILABLE_RETRY_AFTER_S;
  return error;
}

/** Programs (the JSON API, or anyone asking for JSON first) get JSON; people get a page. */
function wantsJson(req: Request, res: Response): boolean {
  return res.locals.mtaStsApi === true || req.accepts(['html', 'json']) === 'json';
}

/**
 * The one error handler of the plugin's routers. Known errors keep their status and message; a
 * database that cannot be reached is a 503 "database unavailable" (page or JSON) with Retry-After;
 * anything else is a 500 whose details go to the log, never to the response.
 */
export function errorHandler(pages: PageRenderer, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = toHttpError(err);
    if (!known || known.code === 'unavailable') logger.error(`${req.method} ${req.baseUrl}${req.path} failed`, err);
    const error = known ?? httpError(500, 'internal', 'internal');
    res.status(error.status);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
    if (wantsJson(req, res)) {
      res.json(error.errors ? { errors: error.errors } : { error: { code: error.code, message: error.message } });
      return;
    }
    pages.error(req, res, error).catch(next);
  };
}

function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  const e = err as { status?: number; statusCode?: number; code?: string; type?: string; expose?: boolean } | null;
  const status = e?.status ?? e?.statusCode;
  if (e?.code === 'EBADCSRFTOKEN') return httpError(403, 'csrf', 'csrf');
  if (e?.type === 'entity.parse.failed') {
    return httpError(400, 'bad-body', 'badJson', {}, [{ field: 'body', code: 'body.invalidJson', params: {}, message: ERROR_TEXTS.badJson }]);
  }
  if (e?.type === 'entity.too.large') return httpError(413, 'too-large', 'tooLarge');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return httpError(415, 'unsupported', 'unsupportedEncoding');
  if (typeof status === 'number' && status >= 400 && status < 500 && e?.expose !== false) {
    return httpError(status, 'bad-request', 'badRequest');
  }
  // After the HTTP errors above: a body parser's "request aborted" carries a socket error code too.
  const unavailable = unavailableError(err);
  return unavailable instanceof HttpError ? unavailable : null;
}

/** An HttpError whose message is one of ERROR_TEXTS (translated on error pages, English in JSON). */
export function httpError(status: number, code: string, key: ErrorTextKey, values: Record<string, string | number> = {}, errors?: ErrorItem[]): HttpError {
  const error = new HttpError(status, code, errorText(key, values), errors);
  error.text = { key, values };
  return error;
}

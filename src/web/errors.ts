import type { ErrorRequestHandler, Request, Response } from 'express';
import type { FieldError } from '../policy';
import type { PageRenderer } from './pages';

/** An error meant for the person or program that made the request, with a machine `code`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Programs (the JSON API, or anyone asking for JSON first) get JSON; people get a page. */
function wantsJson(req: Request, res: Response): boolean {
  return res.locals.mtaStsApi === true || req.accepts(['html', 'json']) === 'json';
}

/**
 * The one error handler of the plugin's routers. Known errors keep their status and message;
 * anything else is a 500 whose details go to the log, never to the response.
 */
export function errorHandler(pages: PageRenderer, log: (err: unknown) => void): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = toHttpError(err);
    if (!known) log(err);
    const error = known ?? new HttpError(500, 'internal', 'Something went wrong on the server; the error was logged.');
    res.status(error.status);
    res.setHeader('Cache-Control', 'no-store');
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
  if (e?.code === 'EBADCSRFTOKEN') {
    return new HttpError(403, 'csrf', 'The form has expired or did not come from this panel (invalid CSRF token). Reload the page and try again.');
  }
  if (e?.type === 'entity.parse.failed') {
    return new HttpError(400, 'bad-body', 'The request body is not valid JSON.', [{ field: 'body', message: 'The request body is not valid JSON.' }]);
  }
  if (e?.type === 'entity.too.large') return new HttpError(413, 'too-large', 'The request body is too large.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HttpError(415, 'unsupported', 'The request body encoding is not supported.');
  if (typeof status === 'number' && status >= 400 && status < 500 && e?.expose !== false) {
    return new HttpError(status, 'bad-request', 'The request could not be processed.');
  }
  return null;
}

// The standalone server's request log: one JSON line per request, written through the server's
// pino logger when the response is done. It replaces pino-http, whose child logger per request,
// serializers and two listeners per response held the policy route to two thirds of a bare
// Express app's throughput, even with info lines off (issue 19). Here a request costs a counter,
// a timestamp, one listener and, when the line is written, one flat object of fixed shape.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The part of a pino logger the request log uses. */
export interface RequestLogSink {
  isLevelEnabled(level: 'info' | 'error'): boolean;
  info(line: RequestLine, message: string): void;
  error(line: RequestLine, message: string): void;
}

/**
 * The fields of every request line, always these and in this order (pino adds `level`, `time`
 * and its bindings). Nothing from the request's headers but the host and a plausible request id:
 * no cookie, session id, API key, proxy login or body can reach the log.
 */
export interface RequestLine {
  reqId: string;
  method: string;
  /** Without the query string. */
  path: string;
  host: string;
  status: number;
  durationMs: number;
  remoteAddress: string;
}

/** Request ids taken from a proxy's X-Request-Id as they are; anything else gets one of ours. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The Host header and the path are outside input: bounded in the log (a request line may be 16 KiB). */
const MAX_HOST = 260;
const MAX_PATH = 512;

/**
 * The middleware, mounted first. Every response gets `X-Request-Id`; when it is done (finished,
 * or closed before that by the client) one line: `info` for a status below 500, `error` for a
 * 5xx (without the error, whose message may quote SQL and its values: the route logs that).
 */
export function requestLog(log: RequestLogSink): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  // Unique across restarts and instances behind one proxy without a random draw per request.
  const prefix = `${randomBytes(4).toString('hex')}-`;
  let counter = 0;

  const write = (req: IncomingMessage, res: ServerResponse, reqId: string, remoteAddress: string, started: number): void => {
    const status = res.statusCode;
    const level = status >= 500 ? 'error' : 'info';
    if (!log.isLevelEnabled(level)) return;
    const line: RequestLine = {
      reqId,
      method: req.method ?? '',
      // Express's, as the request came in: a mounted router strips its prefix from `url` while it works.
      path: pathOf((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
      host: bounded(req.headers.host ?? '', MAX_HOST),
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      remoteAddress,
    };
    log[level](line, res.writableFinished ? 'request completed' : 'request aborted');
  };

  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && REQUEST_ID.test(given) ? given : prefix + (++counter).toString(36);
    res.setHeader('X-Request-Id', reqId);
    // Taken now: a socket the client closed may be gone from the request by the time of the line.
    const remoteAddress = req.socket.remoteAddress ?? '';
    const started = performance.now();
    // 'close' comes once on every response: after 'finish', or alone when the client went away first.
    res.on('close', () => write(req, res, reqId, remoteAddress, started));
    next();
  };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return bounded(query === -1 ? url : url.slice(0, query), MAX_PATH);
}

function bounded(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}...` : value;
}

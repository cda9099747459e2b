// The public TLS report intake (RFC 8460 section 3): senders POST a report to the https rua,
// `<intakeUrl>/<token>`, as application/tlsrpt+gzip or application/tlsrpt+json. Public, so every
// step is bounded: the body is read only once the token is known to be a domain's current one,
// each token has a rate limit, the body is at most 1 MiB and its gzip at most 10 MiB once inflated
// (checked while inflating). Answers: 201 a new report, 200 one already stored, 4xx with a short
// reason, and the same bare 404 for every token that is not a domain's current one.
import express, { Router, type Request, type Response } from 'express';
import { INTAKE_LIMITS } from '../service/reports';
import type { PluginContext } from './context';
import { HttpError, errorHandler } from './errors';
import { RateLimiter } from './rate-limit';

const TYPES: Record<string, boolean> = { 'application/tlsrpt+gzip': true, 'application/tlsrpt+json': false };

/** Refusals that are not a 400: 429 asks the sender to try again (tomorrow, Retry-After), 422 is the database's refusal. */
const STATUS: Partial<Record<string, number>> = { 'unknown-token': 404, 'too-large': 413, 'over-quota': 429, unstorable: 422 };

/** Seconds until the next UTC midnight, when a domain's daily quota starts again. */
function secondsToUtcMidnight(now: Date): number {
  return Math.max(1, Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000));
}

function fail(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error: { code, message, ...extra } });
}

export function createTlsRptRouter(ctx: PluginContext): Router {
  const router = express.Router();
  const limiter = new RateLimiter(ctx.options.reports.perTokenPerHour, 3_600_000, () => ctx.options.now().getTime());
  const body = express.raw({ type: () => true, limit: INTAKE_LIMITS.compressed, inflate: false });

  router.use((_req, res, next) => {
    res.locals.mtaStsApi = true;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  router.post(
    '/:token',
    async (req: Request, res: Response, next) => {
      const token = String(req.params.token);
      // The token first: a body is read only for a domain's current token.
      const domain = await ctx.service.reports.intakeDomain(token);
      if (domain === null) return fail(res, 404, 'not-found', 'Not found.');
      // Looked up once: the ingest below takes it instead of asking the database again.
      res.locals.tlsrptDomain = domain;
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (!(type in TYPES)) {
        return fail(res, 415, 'unsupported-type', 'Send the report as application/tlsrpt+gzip or application/tlsrpt+json (RFC 8460 section 3).');
      }
      const decision = limiter.take(token);
      if (!decision.ok) {
        res.setHeader('Retry-After', String(decision.retryAfter));
        return fail(res, 429, 'rate-limited', `Too many reports for this address: at most ${decision.limit} per hour.`);
      }
      body(req, res, next);
    },
    async (req: Request, res: Response) => {
      const type = String(req.headers['content-type']).split(';')[0].trim().toLowerCase();
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (raw.length === 0) return fail(res, 400, 'empty', 'The body is empty.');
      const result = await ctx.service.reports.ingestHttps(String(req.params.token), raw, TYPES[type], String(res.locals.tlsrptDomain));
      if (result.status === 'refused') {
        if (result.code === 'over-quota') res.setHeader('Retry-After', String(secondsToUtcMidnight(ctx.options.now())));
        const status = STATUS[result.code] ?? 400;
        const problems = result.problems?.slice(0, 5);
        return fail(res, status, result.code === 'unknown-token' ? 'not-found' : result.code, result.message, problems ? { problems } : {});
      }
      res.status(result.status === 'created' ? 201 : 200).json({ status: result.status, reportId: result.reportId });
    },
  );

  router.all('/:token', (_req, res) => {
    res.setHeader('Allow', 'POST');
    fail(res, 405, 'method', 'Only POST is accepted here.');
  });
  router.use((_req, _res, next) => next(new HttpError(404, 'not-found', 'Not found.')));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

import express, { Router } from 'express';
import { applyChanges, servedPolicy, toULabel, type DomainRecord } from '../policy';
import { noStore, requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { HttpError, errorHandler, rateLimitedError, saveError } from './errors';
import { reportRange } from './report-range';

/** The JSON shape of a domain's policy in the API. */
function policyJson(record: DomainRecord) {
  const { policy } = record;
  return {
    domain: record.domain,
    displayDomain: toULabel(record.domain),
    active: policy.active,
    version: policy.version,
    mode: policy.mode,
    maxAge: policy.maxAge,
    mx: policy.mx,
    id: policy.id,
    updatedAt: policy.updatedAt,
    revision: policy.revision,
    served: servedPolicy(record) !== null,
  };
}

/** A domain in the API: its policy, and the TLS report intake URL (null before reporting is set up). */
async function domainJson(ctx: PluginContext, record: DomainRecord) {
  return { ...policyJson(record), reportingUri: (await ctx.service.reports.reporting(record.domain)).reportingUri };
}

/** The JSON API the host mounts (e.g. at /api/v1/mta-sts). Uses the same authorization hook. */
export function createApiRouter(ctx: PluginContext): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.locals.mtaStsApi = true;
    next();
  });
  router.use(noStore, requireAdmin(ctx.options.authorize));
  router.use(express.json({ limit: '32kb', strict: true }));

  router.get('/certificate-names', async (_req, res) => {
    const names = await ctx.service.certificateNames();
    if (names === null) throw new HttpError(503, 'unavailable', 'The database is unavailable; try again shortly.');
    res.json({ names });
  });

  router.get('/:domain/dns-check', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const decision = ctx.limiter.take(req);
    if (!decision.ok) throw rateLimitedError(decision);
    res.json(await ctx.service.checkRecord(record));
  });

  router.get('/:domain', async (req, res) => {
    res.json(await domainJson(ctx, await findOrThrow(ctx, req.params.domain)));
  });

  router.put('/:domain', async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported', 'Send the changes as JSON (Content-Type: application/json).');
    }
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'bad-body', 'The body must be a JSON object.', [{ field: 'body', message: 'The body must be a JSON object such as {"mode": "testing"}.' }]);
    }
    const { revision, ...changes } = body as Record<string, unknown>;
    if (revision !== undefined && !(typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 0)) {
      throw new HttpError(400, 'invalid', 'revision must be a whole number', [{ field: 'revision', message: 'revision must be the whole number returned by GET' }]);
    }
    const result = await ctx.service.save(req.params.domain as string, (current) => applyChanges(current, changes, 'json'), {
      expectedRevision: revision as number | undefined,
    }).catch((err: unknown) => {
      throw saveError(err, ctx.logger);
    });
    switch (result.status) {
      case 'not-found':
        throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
      case 'invalid':
        throw new HttpError(400, 'invalid', 'Nothing was saved: some fields are invalid.', result.errors);
      case 'conflict':
        res.status(409).json({ error: { code: 'conflict', message: 'The policy changed since revision ' + String(revision) + '; nothing was saved.' }, current: await domainJson(ctx, result.record) });
        return;
      case 'saved':
        res.json({ ...(await domainJson(ctx, result.record)), changed: result.changed });
    }
  });

  // ---- TLS reports (RFC 8460) ----
  router.get('/:domain/reports', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const { from, to } = reportRange(req.query as Record<string, unknown>, ctx.options.now());
    const summary = await ctx.service.reports.summary(record.domain, from, to);
    if (!summary) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    res.json({
      ...summary,
      failures: summary.failures.map(({ resultType, receivingMxHostname, receivingIp, sessions }) => ({ resultType, receivingMxHostname, receivingIp, sessions })),
      policies: summary.policies.map(({ policyType, id, mx, sessions }) => ({ policyType, id, mx, sessions })),
    });
  });

  router.get('/:domain/reports/:reportId', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const found = (await ctx.service.reports.report(record.domain, String(req.params.reportId))) ?? [];
    const organisation = typeof req.query.organisation === 'string' ? req.query.organisation : null;
    const matching = organisation === null ? found : found.filter((r) => r.organisation === organisation);
    if (matching.length === 0) throw new HttpError(404, 'not-found', 'There is no stored report with this report-id for this domain.');
    if (matching.length > 1) {
      throw new HttpError(400, 'ambiguous', 'Several organisations sent a report with this report-id.', [{ field: 'organisation', message: 'Name the organisation: ?organisation=<organization-name>' }]);
    }
    res.json(matching[0]);
  });

  router.put('/:domain/reporting', async (req, res) => {
    const body = (req.is('application/json') ? req.body : null) as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !('rua' in body)) {
      throw new HttpError(400, 'bad-body', 'The body must be a JSON object with rua.', [{ field: 'rua', message: 'Send {"rua": ["mailto:tlsrpt@example.org"]}' }]);
    }
    const result = await ctx.service.reports.configure(String(req.params.domain), body.rua);
    if (result.status === 'not-found') throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    if (result.status === 'invalid') {
      // The same shape as a PUT of the policy: { errors: [{ field, code, params, message }] }.
      res.status(400).json({ errors: result.errors });
      return;
    }
    res.json(result.reporting);
  });

  router.post('/:domain/reporting/token', async (req, res) => {
    const reporting = await ctx.service.reports.regenerateToken(String(req.params.domain));
    if (!reporting) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    res.json(reporting);
  });

  router.use((_req, _res, next) => next(new HttpError(404, 'not-found', 'No such API route.')));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

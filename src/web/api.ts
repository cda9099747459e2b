import express, { Router } from 'express';
import { applyChanges, servedPolicy, toULabel, type DomainRecord } from '../policy';
import { noStore, requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { HttpError, errorHandler, rateLimitedError, saveError } from './errors';

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
    res.json(policyJson(await findOrThrow(ctx, req.params.domain)));
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
    const result = await ctx.service.save(req.params.domain, (current) => applyChanges(current, changes, 'json'), {
      expectedRevision: revision,
    }).catch((err: unknown) => {
      throw saveError(err, ctx.logger);
    });
    switch (result.status) {
      case 'not-found':
        throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
      case 'invalid':
        throw new HttpError(400, 'invalid', 'Nothing was saved: some fields are invalid.', result.errors);
      case 'conflict':
        res.status(409).json({ error: { code: 'conflict', message: 'The policy changed since revision ' + String(revision) + '; nothing was saved.' }, current: policyJson(result.record) });
        return;
      case 'saved':
        res.json({ ...policyJson(result.record), changed: result.changed });
    }
  });

  router.use((_req, _res, next) => next(new HttpError(404, 'not-found', 'No such API route.')));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

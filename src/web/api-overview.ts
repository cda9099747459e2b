// The API of the overview: the list of domains, the panel's defaults, and bulk changes
// (`PUT /api/v1/mta-sts`). Mounted before the per-domain routes; "defaults" has no dot, so it is
// never a domain.
import express, { type Router } from 'express';
import { parseBulkChanges, servedPolicy, toALabel, type PolicySettings } from '../policy';
import type { BulkOutcome, OverviewEntry } from '../service/overview';
import { auditOf } from './audit';
import { isAllowed, requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { HttpError } from './errors';
import { bulkTargets, parseFilter, viewerKeys, wholeNumber } from './overview-query';

function entryJson(entry: OverviewEntry) {
  const { record, lastCheck, reports, dns } = entry;
  const p = record.policy;
  return {
    domain: record.domain,
    mode: p.mode,
    active: p.active,
    served: servedPolicy(record) !== null,
    id: p.id,
    maxAge: p.maxAge,
    mx: p.mx,
    updatedAt: p.updatedAt,
    lastCheck: lastCheck && { verdict: lastCheck.verdict, checkedAt: lastCheck.checkedAt, errors: lastCheck.errors, warnings: lastCheck.warnings },
    dns,
    reports,
  };
}

const settings = (p: PolicySettings) => ({ active: p.active, mode: p.mode, maxAge: p.maxAge, mx: p.mx });

function outcomeJson(outcome: BulkOutcome) {
  switch (outcome.status) {
    case 'changed':
    case 'unchanged':
      return {
        domain: outcome.domain,
        status: outcome.status,
        before: settings(outcome.before),
        after: settings(outcome.after),
        ...(outcome.id === undefined ? {} : { id: outcome.id }),
      };
    case 'invalid':
      return { domain: outcome.domain, status: outcome.status, errors: outcome.errors };
    default:
      return { domain: outcome.domain, status: outcome.status };
  }
}

function jsonBody(req: express.Request): Record<string, unknown> {
  if (!req.is('application/json')) throw new HttpError(415, 'unsupported', 'Send the body as JSON (Content-Type: application/json).');
  const body = req.body as unknown;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'bad-body', 'The body must be a JSON object.', [{ field: 'body', message: 'The body must be a JSON object.' }]);
  }
  return body as Record<string, unknown>;
}

export function addOverviewApiRoutes(router: Router, ctx: PluginContext): void {
  const { authorize } = ctx.options;

  // The overview: filtered, sorted, paged in SQL, only the viewer's domains counted.
  router.get('/', requireAdmin(authorize, 'list', false), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const filter = parseFilter(query);
    const limit = wholeNumber(query.limit, 'limit', 50, 1, 500);
    const offset = wholeNumber(query.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const keys = await viewerKeys(ctx, req, filter, 'list');
    const { entries, total } = await ctx.service.overview.page({ ...filter, keys, limit, offset });
    res.json({ total, limit, offset, domains: entries.map(entryJson) });
  });

  // Read by whoever may list domains (a domain administrator's first policies start from them too).
  router.get('/defaults', requireAdmin(authorize, 'list', false), async (_req, res) => {
    res.json(await ctx.service.policies.defaults());
  });

  router.put('/defaults', requireAdmin(authorize, 'write', false), express.json({ limit: '32kb', strict: true }), async (req, res) => {
    const result = await ctx.service.policies.setDefaults(jsonBody(req), 'json');
    if (!result.ok) throw new HttpError(400, 'invalid', 'Nothing was saved: some fields are invalid.', result.errors);
    res.json(result.value);
  });

  // One change for many domains, each its own save and new id; "preview": true saves nothing.
  // Open to whoever may list domains; each domain is then asked for 'write' (a domain
  // administrator changes their own, the others are answered forbidden).
  router.put('/', requireAdmin(authorize, 'list', false), express.json({ limit: '1mb', strict: true }), async (req, res) => {
    const body = jsonBody(req);
    const changes = parseBulkChanges(body.changes);
    if (!changes.ok) throw new HttpError(400, 'invalid', 'Nothing was saved: the changes are invalid.', changes.errors);
    if (body.preview !== undefined && typeof body.preview !== 'boolean') {
      throw new HttpError(400, 'invalid', 'preview must be true or false', [{ field: 'preview', message: 'preview must be true or false' }]);
    }
    const targets = await bulkTargets(ctx, req, body);
    const outcomes = await ctx.service.overview.bulk(targets, changes.value, {
      kind: 'json',
      preview: body.preview === true,
      audit: await auditOf(ctx, req, 'bulk'),
      allow: (name) => isAllowed(authorize, req, { domain: toALabel(name) ?? name.trim().toLowerCase(), action: 'write' }),
    });
    const count = (status: string) => outcomes.filter((o) => o.status === status).length;
    res.json({
      preview: body.preview === true,
      counts: {
        changed: count('changed'),
        unchanged: count('unchanged'),
        invalid: count('invalid'),
        forbidden: count('forbidden'),
        notFound: count('not-found'),
        conflict: count('conflict'),
      },
      results: outcomes.map(outcomeJson),
    });
  });
}

import express, { Router } from 'express';
import { delegatedTxtName, policyJson, recordsToPublish, servingWarnings, stsRecordValue, type DomainRecord } from '../policy';
import { isAllowed, noStore, requireAdmin } from './authorize';
import { auditOf } from './audit';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { HttpError, UNAVAILABLE_RETRY_AFTER_S, busyError, errorHandler, httpError, rateLimitedError, saveError } from './errors';
import { reportPage, reportRange } from './report-range';
import { MAX_PAGE } from '../service/reports';
import { sayDnsCheck } from '../render/check';
import { addKnownReporterApiRoutes } from './api-known-reporters';
import { addOverviewApiRoutes } from './api-overview';
import { addReportFileApiRoutes } from './report-files';
import { recordStates } from '../publish';
import { historyChange } from '../service/history-export';

/** A whole-number query parameter within bounds, or a 400 naming it. */
function pageParameter(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new HttpError(400, 'invalid', `${name} must be a whole number from ${min} to ${max}`, [
      { field: name, message: `${name} must be a whole number from ${min} to ${max}` },
    ]);
  }
  return n;
}

function withRetryAfter(error: HttpError, seconds: number): HttpError {
  error.retryAfter = seconds;
  return error;
}

/**
 * A domain in the API: its policy, the TLS report intake URL (there once the policy is active),
 * the DNS records to publish, the same the tab shows, and why an active policy is not served
 * (`warnings`: the panel marks the domain inactive), so that a save is not taken for served.
 */
async function domainJson(ctx: PluginContext, record: DomainRecord) {
  const reporting = await ctx.service.reports.reporting(record);
  const { mode, delegation } = await ctx.service.modes.of(record.domain);
  const records = recordsToPublish({
    domain: record.domain,
    id: record.policy.id,
    mailHostname: ctx.options.mailHostname,
    tlsRpt: reporting.record,
    delegation,
  });
  return { ...policyJson(record), reportingUri: reporting.reportingUri, publishing: mode, records, warnings: servingWarnings(record) };
}

/** The JSON API the host mounts (e.g. at /api/v1/mta-sts). Uses the same authorization hook. */
export function createApiRouter(ctx: PluginContext): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.locals.mtaStsApi = true;
    next();
  });
  router.use(noStore);
  const { authorize } = ctx.options;

  // Over all domains: the hook is asked with domain null, then once per name, and only the
  // domains it allows are listed (a domain administrator sees their own).
  router.get('/certificate-names', requireAdmin(authorize, 'list', false), async (req, res) => {
    const names = await ctx.service.certificates.names();
    // Null when the set could not be confirmed fresh within cache.waitMs (database unreachable or
    // slow): an ACME client must not drop or add names on a list that may be stale.
    if (names === null) throw withRetryAfter(httpError(503, 'unavailable', 'databaseUnavailable'), UNAVAILABLE_RETRY_AFTER_S);
    const allowed = await Promise.all(names.map((name) => isAllowed(authorize, req, { domain: name.slice('mta-sts.'.length), action: 'list' })));
    res.json({ names: names.filter((_name, i) => allowed[i]) });
  });

  addOverviewApiRoutes(router, ctx);
  addReportFileApiRoutes(router, ctx);
  addKnownReporterApiRoutes(router, ctx);

  router.get('/:domain/dns-check', requireAdmin(authorize, 'check'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const admission = await ctx.limiter.admit(req);
    if (!admission.ok) throw admission.reason === 'busy' ? busyError(admission) : rateLimitedError(admission);
    try {
      res.json(sayDnsCheck('en', await ctx.service.checks.checkRecord(record)));
    } finally {
      admission.release();
    }
  });

  // Each record to publish, asked live of the authoritative name servers of its zone (bounded:
  // 4 s, 4 addresses per zone), counted like a DNS Check since it sends queries out.
  router.get('/:domain/dns', requireAdmin(authorize, 'read'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const admission = await ctx.limiter.admit(req);
    if (!admission.ok) throw admission.reason === 'busy' ? busyError(admission) : rateLimitedError(admission);
    try {
      const publisher = ctx.options.dnsPublisher;
      // Published, the TLS-RPT record is the saved one (what publishing writes); else what the tab shows.
      const tlsRpt = publisher !== null ? await ctx.service.reports.publishedRecord(record.domain) : (await ctx.service.reports.reporting(record)).record;
      // Per domain: delegated (the two one-time CNAMEs) or direct (its own TXT), as the publisher decides.
      const { mode, delegation } = await ctx.service.modes.of(record.domain);
      const records = recordsToPublish({
        domain: record.domain,
        id: record.policy.id,
        mailHostname: ctx.options.mailHostname,
        tlsRpt,
        delegation,
      });
      const where = { resolvers: ctx.options.dns.servers ?? ctx.options.resolver?.servers, zones: publisher?.zones, nameServers: publisher?.nameServers };
      // Delegated, the customer's records are published by hand, once; the panel's TXT under its zone is the managed one.
      const panelTxt =
        delegation && record.policy.id !== null
          ? [{ type: 'TXT' as const, name: delegatedTxtName(record.domain, delegation.zone), value: stsRecordValue(record.policy.id) }]
          : [];
      const states = [
        ...(await recordStates(records, publisher !== null && !delegation, where)),
        ...(panelTxt.length > 0 ? await recordStates(panelTxt, publisher !== null, where) : []),
      ];
      res.json({ domain: record.domain, managed: publisher !== null, publishing: mode, records: states });
    } finally {
      admission.release();
    }
  });

  // Every change, newest first: when, who, from where, the policy before and after, the ids, and
  // for a retirement (testing/enforce to none) when the `_mta-sts` record may go (RFC 8461 8.3).
  router.get('/:domain/history', requireAdmin(authorize, 'read'), async (req, res) => {
    const limit = pageParameter(req.query.limit, 'limit', 50, 1, 500);
    const offset = pageParameter(req.query.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const found = await ctx.service.policies.history(String(req.params.domain), { limit, offset });
    if (!found) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    res.json({
      domain: found.record.domain,
      total: found.total,
      limit,
      offset,
      changes: found.entries.map(historyChange),
    });
  });

  router.get('/:domain', requireAdmin(authorize, 'read'), async (req, res) => {
    res.json(await domainJson(ctx, await findOrThrow(ctx, req.params.domain)));
  });

  router.put('/:domain', requireAdmin(authorize, 'write'), express.json({ limit: '32kb', strict: true }), async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported', 'Send the changes as JSON (Content-Type: application/json).');
    }
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'bad-body', 'The body must be a JSON object.', [
        { field: 'body', code: 'body.notObject', params: {}, message: 'The body must be a JSON object such as {"mode": "testing"}.' },
      ]);
    }
    const { revision, ...changes } = body as Record<string, unknown>;
    if (revision !== undefined && !(typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 0)) {
      throw new HttpError(400, 'invalid', 'revision must be a whole number', [
        { field: 'revision', code: 'revision.invalid', params: {}, message: 'revision must be the whole number returned by GET' },
      ]);
    }
    const result = await ctx.service.policies
      .update(req.params.domain as string, changes, 'json', {
        expectedRevision: revision,
        audit: await auditOf(ctx, req, 'api'),
      })
      .catch((err: unknown) => {
        throw saveError(err, ctx.logger);
      });
    switch (result.status) {
      case 'not-found':
        throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
      case 'invalid':
        throw new HttpError(400, 'invalid', 'Nothing was saved: some fields are invalid.', result.errors);
      case 'conflict':
        res.status(409).json({
          error: { code: 'conflict', message: 'The policy changed since revision ' + String(revision) + '; nothing was saved.' },
          current: await domainJson(ctx, result.record),
        });
        return;
      case 'saved':
        res.json({ ...(await domainJson(ctx, result.record)), changed: result.changed });
    }
  });

  // ---- TLS reports (RFC 8460) ----
  router.get('/:domain/reports', requireAdmin(authorize, 'read'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const { from, to } = reportRange(req.query, ctx.options.now());
    // One page of each list (organisations, failure groups, policies): `page` and `limit`.
    const at = reportPage(req.query, 50, true);
    const summary = await ctx.service.reports.summary(record.domain, from, to, at);
    if (!summary) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    const rows = Math.max(summary.totals.organisations, summary.totals.failures, summary.totals.policies);
    res.json({
      ...summary,
      // Pages past MAX_PAGE are refused: a next page exists only up to there.
      more: summary.page < MAX_PAGE && summary.page * summary.limit < rows,
      // Every field of the failure details (RFC 8460 section 4.4), grouped; `breakdown` (from the
      // summary) has the period's failed sessions by result type, receiving MX, organisation and
      // sending IP, the ten largest each with their share and an "others" row.
      failures: summary.failures.map(({ policyType: _policyType, ...failure }) => failure),
      policies: summary.policies.map(({ policyType, id, mx, sessions }) => ({ policyType, id, mx, sessions })),
    });
  });

  router.get('/:domain/reports/:reportId', requireAdmin(authorize, 'read'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const found = (await ctx.service.reports.report(record.domain, String(req.params.reportId))) ?? [];
    const organisation = typeof req.query.organisation === 'string' ? req.query.organisation : null;
    const matching = organisation === null ? found : found.filter((r) => r.organisation === organisation);
    if (matching.length === 0) throw new HttpError(404, 'not-found', 'There is no stored report with this report-id for this domain.');
    if (matching.length > 1) {
      throw new HttpError(400, 'ambiguous', 'Several organisations sent a report with this report-id.', [
        { field: 'organisation', message: 'Name the organisation: ?organisation=<organization-name>' },
      ]);
    }
    res.json(matching[0]);
  });

  router.put('/:domain/reporting', requireAdmin(authorize, 'write'), express.json({ limit: '32kb', strict: true }), async (req, res) => {
    const body = (req.is('application/json') ? req.body : null) as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !('rua' in body)) {
      throw new HttpError(400, 'bad-body', 'The body must be a JSON object with rua.', [
        { field: 'rua', message: 'Send {"rua": ["mailto:tlsrpt@example.org"]}' },
      ]);
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

  router.post('/:domain/reporting/token', requireAdmin(authorize, 'write'), async (req, res) => {
    const reporting = await ctx.service.reports.regenerateToken(String(req.params.domain));
    if (!reporting) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    res.json(reporting);
  });

  // No route matched: refused like every route to someone not allowed at all, else 404.
  router.use(requireAdmin(authorize, 'read', false), (_req, _res, next) => next(new HttpError(404, 'not-found', 'No such API route.')));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

// The stored TLS reports as files: the list of a period's reports, each report's original JSON,
// and the export of the period's failure details (CSV or JSON Lines, streamed). The API mounts
// all three (`addReportFileApiRoutes`, before `/:domain/reports/:reportId`, so that "list" and
// "export" are these routes), the admin router the two downloads of the reports page
// (`addReportDownloadRoutes`), each behind the same authorization as the page or the API.
import type { Request, Response, Router } from 'express';
import { toULabel, type DomainRecord } from '../policy';
import type { Translator } from '../i18n';
import { MAX_PAGE } from '../service/reports';
import { requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { HttpError } from './errors';
import { reportPage, reportRange } from './report-range';
import type { ReportRef } from '../service/report-files';
import { EXPORT_FORMATS, EXPORT_TYPES, streamExport, type ExportFormat } from './report-export';

/** Exports running at once in this process: each reads and parses every report of up to 400 days. */
const MAX_EXPORTS = 2;
const EXPORT_RETRY_AFTER_S = 10;
/** Stored reports per page of the reports page's list. */
const PAGE_LIST_ROWS = 20;
let running = 0;

/** A file name of letters, digits, dot, dash and underscore only: nothing a browser or shell reads as a path or a quote. */
function safeName(part: string, max = 64): string {
  return part.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, max);
}

function attachment(res: Response, type: string, filename: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * The report of `/:id/original`: a whole number is its row id (of the list); anything else is the
 * sender's report-id, with `?organisation=` when two organisations used the same one.
 */
function reportRef(req: Request): ReportRef {
  const value = String(req.params.id);
  if (/^[1-9]\d{0,14}$/.test(value)) return Number(value);
  const organisation = typeof req.query.organisation === 'string' ? req.query.organisation : null;
  return { reportId: value, organisation };
}

function exportFormat(value: unknown): ExportFormat {
  if (value === undefined) return 'csv';
  const format = EXPORT_FORMATS.find((f) => f === value);
  if (!format) {
    const rule = `format must be ${EXPORT_FORMATS.join(' or ')}`;
    throw new HttpError(400, 'invalid', rule, [{ field: 'format', message: rule }]);
  }
  return format;
}

async function sendOriginal(ctx: PluginContext, req: Request, res: Response): Promise<void> {
  const record = await findOrThrow(ctx, req.params.domain);
  const file = await ctx.service.reportFiles.original(record.domain, reportRef(req));
  if (!file) throw new HttpError(404, 'not-found', 'There is no stored report with this id for this domain.');
  if (file === 'ambiguous') {
    throw new HttpError(400, 'ambiguous', 'Several organisations sent a report with this report-id.', [
      { field: 'organisation', message: 'Name the organisation: ?organisation=<organization-name>' },
    ]);
  }
  const name = `tlsrpt-${safeName(file.domain, 253)}-${file.start.slice(0, 10)}-${safeName(file.organisation)}-${file.id}.json`;
  attachment(res, 'application/json', name);
  // The bytes as the sender sent them, not re-serialised: what a support request or an audit needs.
  res.status(200).end(file.json);
}

async function sendExport(ctx: PluginContext, req: Request, res: Response): Promise<void> {
  const record = await findOrThrow(ctx, req.params.domain);
  const query = req.query as Record<string, unknown>;
  const format = exportFormat(query.format);
  const { from, to } = reportRange(query, ctx.options.now());
  if (running >= MAX_EXPORTS) {
    const busy = new HttpError(503, 'busy', `${MAX_EXPORTS} report exports are running; try again in a few seconds.`);
    busy.retryAfter = EXPORT_RETRY_AFTER_S;
    throw busy;
  }
  running += 1;
  try {
    attachment(res, EXPORT_TYPES[format], `tlsrpt-failures-${safeName(record.domain, 253)}-${from}-${to}.${format}`);
    res.status(200);
    // HEAD (which Express routes to GET) tells the headers without reading the period.
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await streamExport(res, format, ctx.service.reportFiles.failureRows(record.domain, from, to), ctx.logger);
  } finally {
    running -= 1;
  }
}

/** The API's routes: the list, the original of one report, the export. */
export function addReportFileApiRoutes(router: Router, ctx: PluginContext): void {
  const { authorize } = ctx.options;
  router.get('/:domain/reports/list', requireAdmin(authorize, 'read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const { from, to } = reportRange(query, ctx.options.now());
    const { page, limit } = reportPage(query, 50, true);
    const found = await ctx.service.reportFiles.list(String(req.params.domain), from, to, page, limit);
    if (!found) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    res.json({
      domain: found.domain,
      from,
      to,
      page,
      limit,
      total: found.total,
      more: page < MAX_PAGE && page * limit < found.total,
      reports: found.reports.map((r) => ({
        id: r.id,
        organisation: r.organisation,
        reportId: r.reportId,
        contactInfo: r.contactInfo,
        start: r.start,
        end: r.end,
        receivedAt: r.receivedAt,
        receivedVia: r.receivedVia,
        dkim: r.dkim,
        dkimDomain: r.dkimDomain,
        success: r.success,
        failure: r.failure,
        size: r.size,
      })),
    });
  });
  router.get('/:domain/reports/export', requireAdmin(authorize, 'read'), (req, res) => sendExport(ctx, req, res));
  router.get('/:domain/reports/:id/original', requireAdmin(authorize, 'read'), (req, res) => sendOriginal(ctx, req, res));
}

/** The reports page's downloads, under the admin path. */
export function addReportDownloadRoutes(router: Router, ctx: PluginContext): void {
  const { authorize } = ctx.options;
  router.get('/:domain/reports/export', requireAdmin(authorize, 'read'), (req, res) => sendExport(ctx, req, res));
  router.get('/:domain/reports/:id/original', requireAdmin(authorize, 'read'), (req, res) => sendOriginal(ctx, req, res));
}

/** The page of the list (`list`, from 1 to MAX_PAGE), else a 400 naming `list`. */
function listPage(value: unknown): number {
  if (value === undefined) return 1;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE)) {
    const rule = `list must be a whole number from 1 to ${MAX_PAGE}`;
    throw new HttpError(400, 'invalid', rule, [{ field: 'list', message: rule }]);
  }
  return n;
}

function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/**
 * The list of stored reports and the export links for the reports page, as HTML: the period the
 * page shows, page `list` of the reports (its own parameter, beside the page's `page`).
 */
export async function reportFilesSection(
  ctx: PluginContext,
  record: DomainRecord,
  query: Record<string, unknown>,
  period: { from: string; to: string },
  t: Translator,
): Promise<string> {
  const list = { page: listPage(query.list) };
  const found = (await ctx.service.reportFiles.list(record.domain, period.from, period.to, list.page, PAGE_LIST_ROWS)) ?? { total: 0, reports: [] };
  const base = `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}/reports`;
  const range = new URLSearchParams({ from: period.from, to: period.to });
  const link = (page: number) => {
    const params = new URLSearchParams();
    for (const name of ['days', 'from', 'to', 'page']) if (typeof query[name] === 'string' && query[name] !== '') params.set(name, query[name]);
    params.set('list', String(page));
    return `${base}?${params.toString()}#mta-sts-files-heading`;
  };
  const pages = Math.min(MAX_PAGE, Math.ceil(found.total / PAGE_LIST_ROWS));
  const kib = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 1 });
  const first = (list.page - 1) * PAGE_LIST_ROWS + 1;
  return ctx.pages.fragment('report-files', {
    t: t.say.bind(t),
    displayDomain: toULabel(record.domain),
    reports: found.reports.map((r) => ({
      organisation: r.organisation,
      reportId: r.reportId,
      period: `${utcMinute(r.start)} – ${utcMinute(r.end)}`,
      via: t.t(r.receivedVia === 'mail' ? 'reports.files.via.mail' : 'reports.files.via.https'),
      dkim: r.dkim === null ? t.t('reports.files.dkim.none') : r.dkimDomain ? `${r.dkim} (${r.dkimDomain})` : r.dkim,
      size: `${kib.format(r.size / 1024)} KiB`,
      href: `${base}/${r.id}/original`,
      label: t.t('reports.files.downloadLabel', { reportId: r.reportId, organisation: r.organisation }),
    })),
    status: found.total > 0 ? t.t('reports.files.status', { first, last: first + found.reports.length - 1, total: found.total }) : '',
    prev: list.page > 1 ? link(list.page - 1) : null,
    next: list.page < pages ? link(list.page + 1) : null,
    csv: `${base}/export?${range.toString()}&format=csv`,
    jsonl: `${base}/export?${range.toString()}&format=jsonl`,
  });
}

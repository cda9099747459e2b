// The TLS reports sub-page of the tab (`GET <adminPath>/:domain/reports`) and the tab's reporting
// form posts (`POST <adminPath>/:domain/reporting`, `.../reporting/token`). Registered on the admin
// router by `addReportRoutes`, each behind the same authorization and CSRF checks as the tab's.
import type { Request, RequestHandler, Response, Router } from 'express';
import { translator, type MessageKey, type Translator } from '../i18n';
import { mxMatches, policyUrl, toULabel, type DomainRecord } from '../policy';
import { MAX_KNOWN_REPORTERS, MAX_PAGE, MAX_REPORTER_NAME, type Readiness, type ReportsSummary } from '../service/reports';
import { requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { HttpError } from './errors';
import { localeFor } from './locale';
import { reportPage, reportRange } from './report-range';
import { reportFilesSection } from './report-files';
import { renderTabFragment, type Notice } from './tab';
import { tlsRptName } from '../policy/records';

/** The periods the page offers, in days. */
export const PERIODS = [7, 14, 30, 90, 365] as const;
/** Rows per page of each list of the page (organisations, failure groups, policies). */
const PAGE_ROWS = 50;
const DANE_TYPES = new Set(['tlsa-invalid', 'dnssec-invalid', 'dane-required']);
const EXPLAINED = new Set([
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'sts-policy-fetch-error',
  'sts-policy-invalid',
  'sts-webpki-invalid',
  // The aggregate row of failure groups beyond what one report may store (src/tlsrpt/bounds.ts).
  'folded',
]);

/** `form`: the admin router's body parsing, field limit and CSRF check, run after authorization. */
export function addReportRoutes(router: Router, ctx: PluginContext, form: RequestHandler[]): void {
  const { authorize } = ctx.options;
  router.get('/:domain/reports', requireAdmin(authorize, 'read'), async (req, res) => showReports(ctx, req, res, req.query as Record<string, unknown>, null));

  // The panel's known reporters (one list for every domain), saved from any domain's reports page.
  router.post('/:domain/reports/known-reporters', requireAdmin(authorize, 'write'), requireAdmin(authorize, 'write', false), ...form, async (req, res) => {
    await findOrThrow(ctx, req.params.domain);
    const t = translator(await localeFor(ctx.options.locale, req, res));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = await ctx.service.reports.saveKnownReporters(typeof body.names === 'string' ? body.names : '');
    if (result.status === 'saved') return showReports(ctx, req, res, {}, { kind: 'success', text: t.t('reports.known.saved') });
    const rule = t.t(`reports.known.rule.${result.code}`, { max: result.code === 'too-many' ? MAX_KNOWN_REPORTERS : MAX_REPORTER_NAME });
    const line = Number(/\d+/.exec(result.field)?.[0] ?? 0) + 1;
    return showReports(ctx, req, res, {}, { kind: 'danger', text: t.t('reports.known.invalid', { line, rule }) }, 400);
  });

  router.post('/:domain/reporting', requireAdmin(authorize, 'write'), ...form, async (req, res) => {
    const t = translator(await localeFor(ctx.options.locale, req, res));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = await ctx.service.reports.configure(String(req.params.domain), typeof body.rua === 'string' ? body.rua : '');
    if (result.status === 'not-found') throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    const record = await findOrThrow(ctx, req.params.domain);
    if (result.status === 'invalid') {
      const notice: Notice = { kind: 'danger', text: `${t.t('reports.notice.invalid')} ${t.say(result.errors[0].code, result.errors[0].params)}` };
      return showTab(ctx, req, res, record, 400, [notice]);
    }
    const name = tlsRptName(record.domain);
    const text = result.reporting.rua.length > 0 ? t.t('reports.notice.saved') : t.t('reports.notice.cleared', { name });
    return showTab(ctx, req, res, record, 200, [{ kind: 'success', text }]);
  });

  router.post('/:domain/reporting/token', requireAdmin(authorize, 'write'), ...form, async (req, res) => {
    const t = translator(await localeFor(ctx.options.locale, req, res));
    const reporting = await ctx.service.reports.regenerateToken(String(req.params.domain));
    if (!reporting) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
    const record = await findOrThrow(ctx, req.params.domain);
    return showTab(ctx, req, res, record, 200, [{ kind: 'success', text: t.t('reports.notice.regenerated', { name: tlsRptName(record.domain) }) }]);
  });
}

/** The reports page of the domain in the URL for the period of `query`, with a notice after a form post. */
async function showReports(
  ctx: PluginContext,
  req: Request,
  res: Response,
  query: Record<string, unknown>,
  notice: Notice | null,
  status = 200,
): Promise<void> {
  const record = await findOrThrow(ctx, String(req.params.domain));
  const t = translator(await localeFor(ctx.options.locale, req, res));
  const days = PERIODS.find((p) => String(p) === query.days) ?? 30;
  if (query.days !== undefined && String(days) !== query.days) {
    throw new HttpError(400, 'invalid', 'days must be one of ' + PERIODS.join(', '), [{ field: 'days', message: `days must be one of ${PERIODS.join(', ')}` }]);
  }
  const { from, to } = reportRange(query, ctx.options.now(), days);
  const at = reportPage(query, PAGE_ROWS, false);
  const summary = await ctx.service.reports.summary(record.domain, from, to, at);
  if (!summary) throw new HttpError(404, 'not-found', 'There is no such domain in this panel.');
  const readiness = await ctx.service.reports.readiness(record);
  const link = (page: number) => pageLink(ctx, record, query, page);
  const known = {
    action: `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}/reports/known-reporters`,
    names: (await ctx.service.reports.knownReporters()).join('\n'),
    help: t.t('reports.known.help', { max: MAX_KNOWN_REPORTERS }),
    csrfToken: ctx.csrf.token(req, res),
  };
  const files = await reportFilesSection(ctx, record, query, { from, to }, t);
  const view = { ...reportsView(ctx, record, summary, readiness, days, t), pager: pager(summary, link, t), known, notice, files };
  const content = ctx.pages.fragment('reports', view);
  await ctx.pages.page(req, res, { title: t.t('reports.page.title', { domain: toULabel(record.domain) }), domain: record.domain, content, status });
}

async function showTab(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, status: number, notices: Notice[]): Promise<void> {
  const content = await renderTabFragment(ctx, req, res, record, { notices });
  await ctx.pages.page(req, res, { title: `MTA-STS: ${record.domain}`, domain: record.domain, content, status });
}

/** Bars of the chart: per day a successful and a failed bar on one scale; numbers only, the view escapes. */
export function chart(days: ReportsSummary['days']) {
  const width = 720;
  const height = 180;
  const top = 10;
  const bottom = 24;
  const plot = height - top - bottom;
  const max = Math.max(1, ...days.map((d) => Math.max(d.success, d.failure)));
  // The bars keep clear of both edges by half a date label (5 characters at 11 px, centred on its
  // bar), so that the first and the last label are not cut off by the edge of the picture.
  const inset = 24;
  const slot = (width - 2 * inset) / Math.max(1, days.length);
  const bar = Math.max(1, Math.min(12, slot / 2 - 1));
  const scale = (n: number) => (n === 0 ? 0 : Math.max(2, Math.round((n / max) * plot)));
  return {
    width,
    height,
    max,
    baseline: top + plot,
    bars: days.map((d, i) => {
      const x = inset + i * slot + slot / 2;
      const hs = scale(d.success);
      const hf = scale(d.failure);
      return {
        date: d.date,
        success: d.success,
        failure: d.failure,
        successRect: { x: round(x - bar), y: top + plot - hs, w: round(bar), h: hs },
        failureRect: { x: round(x), y: top + plot - hf, w: round(bar), h: hf },
      };
    }),
    // A date label under the first, middle and last day.
    labels:
      days.length === 0
        ? []
        : [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])].map((i) => ({
            x: round(inset + i * slot + slot / 2),
            text: days[i].date.slice(5),
          })),
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** One plain sentence per failure group, tied back to the policy (its MX entries, its URL). */
export function explainFailure(failure: ReportsSummary['failures'][number], record: DomainRecord, t: Translator): string {
  const host = failure.receivingMxHostname ?? t.t('reports.host.unknown');
  const params = { host, sessions: failure.sessions, type: failure.resultType, url: policyUrl(record.domain), domain: record.domain, reason: '' };
  const key: MessageKey = EXPLAINED.has(failure.resultType)
    ? (`reports.explain.${failure.resultType}` as MessageKey)
    : DANE_TYPES.has(failure.resultType)
      ? 'reports.explain.dane'
      : 'reports.explain.otherType';
  let text = t.say(key, params);
  const { mx } = record.policy;
  if (failure.receivingMxHostname && mx.length > 0 && !mx.some((pattern) => mxMatches(pattern, failure.receivingMxHostname as string))) {
    text += ` ${t.t('reports.explain.notInPolicy', { host })}`;
  }
  return text;
}

/**
 * A failure detail's additional information: a link only when it is an `https:` URL (a sender's
 * text; a `javascript:` or `http:` one stays text), else the text; the view escapes both.
 */
function infoView(info: string | null): { href: string | null; text: string } | null {
  if (info === null) return null;
  return { href: isHttpsUrl(info) ? info : null, text: info };
}

function isHttpsUrl(text: string): boolean {
  if (!text.startsWith('https://') || /[\s"'<>\\]/.test(text)) return false;
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The four breakdowns of the period's failures, each with a heading and rows said in the reader's language. */
function breakdownsView(breakdown: ReportsSummary['breakdown'], t: Translator) {
  // "12.5%" in English, "12,5 %" in German.
  const percent = new Intl.NumberFormat(t.locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const lists = [
    ['resultType', 'reports.breakdown.resultType'],
    ['receivingMx', 'reports.breakdown.receivingMx'],
    ['organisation', 'reports.breakdown.organisation'],
    ['sendingIp', 'reports.breakdown.sendingIp'],
  ] as const;
  return lists.map(([key, heading]) => ({
    key,
    heading: t.t(heading),
    rows: breakdown[key].map((row) => ({
      name: row.others ? t.t('reports.breakdown.others') : (row.name ?? t.t('reports.breakdown.unknown')),
      others: row.others,
      sessions: row.sessions,
      share: percent.format(row.share / 100),
    })),
  }));
}

function readinessView(readiness: Readiness, t: Translator) {
  const trusted = t.t('reports.ready.trusted', { organisations: readiness.organisations, reported: readiness.reported });
  if (readiness.ready) return { ready: true, text: t.t('reports.ready.yes', { organisations: readiness.organisations }), trusted, reasons: [] as string[] };
  return {
    ready: false,
    trusted,
    text: t.t('reports.ready.no'),
    reasons: readiness.reasons.map((r) => {
      switch (r.code) {
        case 'not-testing':
          return t.t('reports.ready.not-testing');
        case 'few-organisations':
          return t.t('reports.ready.few-organisations', { organisations: r.organisations });
        case 'sts-failures':
          return t.t('reports.ready.sts-failures', { sessions: r.sessions, types: r.resultTypes.join(', ') });
      }
    }),
  };
}

/** The query of this page with another page number: the period as asked, nothing else from the query. */
function pageLink(ctx: PluginContext, record: DomainRecord, query: Record<string, unknown>, page: number): string {
  const params = new URLSearchParams();
  for (const name of ['days', 'from', 'to']) if (typeof query[name] === 'string' && query[name] !== '') params.set(name, query[name]);
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  return `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}/reports${search ? `?${search}` : ''}`;
}

/** Previous and next links over the lists, when they have more than one page. */
function pager(summary: ReportsSummary, link: (page: number) => string, t: Translator) {
  const rows = Math.max(summary.totals.organisations, summary.totals.failures, summary.totals.policies);
  const pages = Math.min(MAX_PAGE, Math.max(1, Math.ceil(rows / summary.limit)));
  if (pages === 1 && summary.page === 1) return null;
  return {
    label: t.t('reports.pager.label'),
    status: t.t('reports.pager.status', { page: summary.page, pages }),
    prev: summary.page > 1 ? { href: link(summary.page - 1), text: t.t('reports.pager.previous') } : null,
    next: summary.page < pages ? { href: link(summary.page + 1), text: t.t('reports.pager.next') } : null,
  };
}

function reportsView(ctx: PluginContext, record: DomainRecord, summary: ReportsSummary, readiness: Readiness, days: number, t: Translator) {
  const success = summary.days.reduce((sum, d) => sum + d.success, 0);
  const failure = summary.days.reduce((sum, d) => sum + d.failure, 0);
  return {
    t: (key: MessageKey, params?: Record<string, string | number>) => t.say(key, params),
    locale: t.locale,
    domain: record.domain,
    displayDomain: toULabel(record.domain),
    tabUrl: `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}`,
    action: `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}/reports`,
    periods: PERIODS.map((p) => ({ value: p, label: t.t('reports.page.lastDays', { count: p }), selected: p === days })),
    from: summary.from,
    to: summary.to,
    empty: summary.totals.organisations === 0,
    chart: chart(summary.days),
    chartDesc: t.t('reports.chart.desc', { success, failure, days: summary.days.length }),
    days: summary.days,
    organisations: summary.organisations,
    failures: summary.failures.map((f) => ({ ...f, text: explainFailure(f, record, t), info: infoView(f.additionalInformation) })),
    breakdowns: breakdownsView(summary.breakdown, t),
    breakdownTotal: summary.breakdown.sessions,
    failuresTotal: summary.totals.failures,
    folded: summary.folded.failures > 0 ? t.t('reports.failures.folded', { sessions: summary.folded.failures }) : '',
    policies: summary.policies.map((p) => ({
      ...p,
      stale: p.stale ? t.t('reports.policies.stale', { id: p.stale.id, lastDay: p.stale.lastDay, replacedOn: p.stale.replacedOn, domain: record.domain }) : '',
    })),
    readiness: readinessView(readiness, t),
  };
}

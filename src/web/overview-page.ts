// The overview page for admins (`GET <adminPath>/` and `<adminPath>/overview`): every domain the
// viewer may see, filtered, sorted and paged in SQL; bulk changes with a preview and one
// confirmation (`POST <adminPath>/bulk`); the panel's defaults (`POST <adminPath>/defaults`).
// Registered on the admin router before the per-domain routes.
import type { Request, RequestHandler, Response, Router } from 'express';
import { translator, type MessageKey, type Translator } from '../i18n';
import { MODES, parseBulkChanges, servedPolicy, toALabel, toULabel, type PolicySettings } from '../policy';
import { OVERVIEW_DNS_STATES, OVERVIEW_SORTS, OVERVIEW_STATES, VERDICTS, type BulkOutcome, type OverviewEntry } from '../service/overview';
import { auditOf } from './audit';
import { isAllowed, requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { utcTime } from './guidance';
import { localeFor } from './locale';
import { PAGE_SIZES, bulkTargets, parseFilter, viewerKeys, wholeNumber } from './overview-query';

const DEFAULTS_SAVED = 'mta-sts-defaults';

/** `bulkForm`: body parsing (a page of checkboxes: up to 200 domains), field limit and CSRF check. */
export function addOverviewRoutes(router: Router, ctx: PluginContext, form: RequestHandler[], bulkForm: RequestHandler[]): void {
  const { authorize } = ctx.options;

  const show: RequestHandler = (req, res, next) => {
    showOverview(ctx, req, res, 200, {}).catch(next);
  };
  router.get('/', requireAdmin(authorize, 'list', false), show);
  router.get('/overview', requireAdmin(authorize, 'list', false), show);

  router.post('/defaults', requireAdmin(authorize, 'write', false), ...form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input: Record<string, unknown> = { mode: body.mode, maxAge: body.maxAge, mx: typeof body.mx === 'string' ? body.mx : '' };
    const result = await ctx.service.policies.setDefaults(input, 'form');
    if (!result.ok) {
      const t = await pageTranslator(ctx, req, res);
      const errors = result.errors.map((e) => t.say(e.code as MessageKey, e.params));
      return showOverview(ctx, req, res, 400, { defaultsErrors: errors, defaultsForm: input });
    }
    // POST/redirect/GET: reloading the page never saves again.
    res.redirect(303, `${ctx.options.adminPath}/?${DEFAULTS_SAVED}=1`);
  });

  // Open to whoever may list domains; each domain is then asked for 'write'.
  router.post('/bulk', requireAdmin(authorize, 'list', false), ...bulkForm, async (req, res) => {
    const t = await pageTranslator(ctx, req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action = body.action === 'activate' || body.action === 'retire' ? body.action : 'set';
    const input: Record<string, unknown> =
      action === 'retire'
        ? { retire: true }
        : action === 'activate'
          ? { active: '1' }
          : {
              mode: body.mode,
              maxAge: body.maxAge,
              [body.mxAction === 'add' ? 'addMx' : 'mx']: typeof body.mx === 'string' && body.mx.trim() !== '' ? body.mx : undefined,
            };
    const changes = parseBulkChanges(input);
    const filterInput = hiddenFilter(body);
    // Checked now, so that a bad filter is a 400 before anything else happens.
    parseFilter(filterInput);
    const selected = listOf(body.domains);
    if (!changes.ok) {
      return showOverview(ctx, req, res, 400, { bulkErrors: changes.errors.map((e) => t.say(e.code as MessageKey, e.params)), query: filterInput });
    }
    if (body.scope !== 'filtered' && selected.length === 0)
      return showOverview(ctx, req, res, 400, { bulkErrors: [t.t('bulk.noneSelected')], query: filterInput });
    const targets = await bulkTargets(ctx, req, body.scope === 'filtered' ? { filter: filterInput } : { domains: selected });
    const preview = body.confirm !== '1';
    const outcomes = await ctx.service.overview.bulk(targets, changes.value, {
      kind: 'form',
      preview,
      audit: await auditOf(ctx, req, 'bulk'),
      allow: (name) => isAllowed(authorize, req, { domain: toALabel(name) ?? name.trim().toLowerCase(), action: 'write' }),
    });
    const count = (status: BulkOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    const summary = {
      changed: count('changed'),
      unchanged: count('unchanged'),
      invalid: count('invalid'),
      forbidden: count('forbidden') + count('not-found') + count('conflict'),
    };
    // The confirmation carries exactly what was previewed: the same fields, the same domains.
    const hidden = Object.entries({ ...stringFields(body), confirm: '1' }).filter(([name]) => name !== '_csrf' && name !== 'domains');
    const content = ctx.pages.fragment('bulk', {
      t: (key: MessageKey, params?: Record<string, string | number>) => t.say(key, params),
      locale: t.locale,
      preview,
      summary,
      rows: outcomes.map((o) => bulkRow(o, t, ctx)),
      action: `${ctx.options.adminPath}/bulk`,
      back: `${ctx.options.adminPath}/${queryString(filterInput)}`,
      csrfToken: ctx.csrf.token(req, res),
      hidden,
      domains: body.scope === 'filtered' ? [] : selected,
      canConfirm: preview && summary.changed > 0,
    });
    await ctx.pages.page(req, res, { title: t.t('overview.title'), domain: null, content, status: 200 });
  });
}

interface OverviewState {
  defaultsErrors?: string[];
  defaultsForm?: Record<string, unknown>;
  bulkErrors?: string[];
  /** The filters to show (after a POST, the ones the bulk form carried). */
  query?: Record<string, unknown>;
}

async function pageTranslator(ctx: PluginContext, req: Request, res: Response): Promise<Translator> {
  return translator(await localeFor(ctx.options.locale, req, res));
}

async function showOverview(ctx: PluginContext, req: Request, res: Response, status: number, state: OverviewState): Promise<void> {
  const t = await pageTranslator(ctx, req, res);
  const query = state.query ?? (req.method === 'GET' ? req.query : {});
  const filter = parseFilter(query);
  const size = wholeNumber(query.size, 'size', 50, 1, 200);
  const page = wholeNumber(query.page, 'page', 1, 1, 1_000_000);
  const keys = await viewerKeys(ctx, req, filter, 'list');
  const { entries, total } = await ctx.service.overview.page({ ...filter, keys, limit: size, offset: (page - 1) * size });
  const pages = Math.max(1, Math.ceil(total / size));
  const defaults = await ctx.service.policies.defaults();
  // The defaults are panel-wide: changed only by whoever may write over all domains.
  const canDefaults = await isAllowed(ctx.options.authorize, req, { domain: null, action: 'write' });
  const base = `${ctx.options.adminPath}/`;
  const filterQuery = {
    search: typeof query.search === 'string' ? query.search : '',
    mode: filter.mode,
    state: filter.state,
    verdict: filter.verdict,
    dns: filter.dns,
  };
  const link = (changes: Record<string, unknown>) =>
    base + queryString({ ...filterQuery, sort: filter.sort, desc: filter.desc ? '1' : undefined, size, ...changes });
  const say = (key: MessageKey, params?: Record<string, string | number>) => t.say(key, params);
  const content = ctx.pages.fragment('overview', {
    t: say,
    locale: t.locale,
    action: base,
    filter: filterQuery,
    modes: MODES,
    states: OVERVIEW_STATES,
    verdicts: [...VERDICTS, 'unchecked'],
    dnsStates: OVERVIEW_DNS_STATES,
    sizes: PAGE_SIZES,
    size,
    totalText: t.plural('overview.total', total),
    total,
    columns: OVERVIEW_SORTS.map((sort) => ({
      sort,
      label: say(`overview.col.${sort === 'updated' ? 'id' : sort === 'checked' ? 'check' : sort}` as MessageKey),
      current: (filter.sort ?? 'domain') === sort ? (filter.desc ? 'descending' : 'ascending') : null,
      href: link({ sort, desc: (filter.sort ?? 'domain') === sort && !filter.desc ? '1' : undefined, page: undefined }),
    })),
    rows: entries.map((entry) => overviewRow(entry, ctx, t)),
    page,
    pages,
    previous: page > 1 ? link({ page: page - 1 }) : null,
    next: page < pages ? link({ page: page + 1 }) : null,
    canDefaults,
    csrfToken: ctx.csrf.token(req, res),
    bulkAction: `${ctx.options.adminPath}/bulk`,
    bulkErrors: state.bulkErrors ?? [],
    // The filter's mode is sent as mode_filter: the bulk form's own mode is the change.
    hiddenFilter: Object.entries({ ...filterQuery, mode: undefined, mode_filter: filter.mode, sort: filter.sort, desc: filter.desc ? '1' : undefined }).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
    ),
    defaultsAction: `${ctx.options.adminPath}/defaults`,
    defaults: state.defaultsForm
      ? { mode: text(state.defaultsForm.mode), maxAge: text(state.defaultsForm.maxAge), mx: text(state.defaultsForm.mx) }
      : { mode: defaults.mode, maxAge: String(defaults.maxAge), mx: defaults.mx.map(toULabel).join(', ') },
    defaultsErrors: state.defaultsErrors ?? [],
    defaultsSaved: req.method === 'GET' && req.query[DEFAULTS_SAVED] === '1',
  });
  await ctx.pages.page(req, res, { title: t.t('overview.title'), domain: null, content, status });
}

function overviewRow(entry: OverviewEntry, ctx: PluginContext, t: Translator) {
  const { record, lastCheck, reports } = entry;
  const p = record.policy;
  return {
    domain: record.domain,
    label: toULabel(record.domain),
    href: `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}`,
    mode: p.id === null ? '' : p.mode,
    active: t.t(p.active ? 'overview.yes' : 'overview.no'),
    served: servedPolicy(record) !== null,
    servedText: t.t(servedPolicy(record) !== null ? 'overview.yes' : 'overview.no'),
    id: p.id ?? '',
    maxAge: p.id === null ? '' : t.duration(p.maxAge),
    verdict: lastCheck?.verdict ?? 'unchecked',
    check: lastCheck
      ? t.t('overview.checkAt', { verdict: t.say(`overview.verdict.${lastCheck.verdict}` as MessageKey), time: utcTime(lastCheck.checkedAt, t) })
      : t.t('overview.never'),
    dns: entry.dns?.state ?? 'unknown',
    dnsText: entry.dns
      ? t.t('overview.dnsAt', { state: t.say(`overview.dns.${entry.dns.state}` as MessageKey), time: utcTime(entry.dns.checkedAt, t) })
      : t.t('overview.dns.unknown'),
    reports: reports ? t.t('overview.reports', { success: reports.success, failure: reports.failure }) : t.t('overview.noReports'),
  };
}

function policyText(p: PolicySettings, t: Translator): string {
  return t.t('bulk.policy', {
    mode: p.mode,
    maxAge: p.maxAge,
    mx: p.mx.map(toULabel).join(', ') || '-',
    active: t.t(p.active ? 'bulk.active' : 'bulk.inactive'),
  });
}

function bulkRow(o: BulkOutcome, t: Translator, ctx: PluginContext) {
  const base = {
    domain: toULabel(o.domain),
    href: `${ctx.options.adminPath}/${encodeURIComponent(o.domain)}`,
    status: o.status,
    statusText: t.say(`bulk.status.${o.status}` as MessageKey),
  };
  if (o.status === 'changed' || o.status === 'unchanged')
    return { ...base, before: policyText(o.before, t), after: policyText(o.after, t), errors: [] as string[] };
  if (o.status === 'invalid') return { ...base, before: '', after: '', errors: o.errors.map((e) => t.say(e.code as MessageKey, e.params)) };
  return { ...base, before: '', after: '', errors: [] as string[] };
}

/** The filter fields a bulk form carries as hidden inputs. */
function hiddenFilter(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['search', 'mode_filter', 'state', 'verdict', 'dns', 'sort', 'desc'])
    if (typeof body[name] === 'string') out[name === 'mode_filter' ? 'mode' : name] = body[name];
  return out;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function listOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string' && v !== '');
}

function stringFields(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') out[name] = value;
  return out;
}

function queryString(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

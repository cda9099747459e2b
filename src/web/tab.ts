import type { Request, Response } from 'express';
import type { CheckStatus, DnsCheckResult } from '../check';
import { CATALOGUES, translator, type MessageKey, type Translator } from '../i18n';
import { sayProblem } from '../i18n/policy-text';
import { MODES, expiresBy, needsRetiring, policyUrl, servedMode, servedPolicy, stsRecordValue, toULabel, type DomainRecord } from '../policy';
import type { MxDns } from '../service';
import type { ReportingView } from '../service/reports';
import { MAX_RUA } from '../service/reports';
import type { ErrorItem } from './errors';
import { PROBLEM_TEXTS, type ProblemCode } from '../policy';
import { tabScriptUrl } from './assets';
import type { PluginContext } from './context';
import { maxAgeAdvice, mxAdvice, skipsTesting, typedPatterns, utcTime } from './guidance';
import { localeFor } from './locale';
import { NOTICE_PARAM, readNotice, type SavedNotice } from './notice-token';
import { RESTORE_FIELDS, RESTORE_PARAM, restoreParam } from './resend';
import { cacheNotes } from './history-page';

export type NoticeKind = 'success' | 'danger' | 'warning' | 'info';
export interface Notice {
  kind: NoticeKind;
  text: string;
}

/** Most severe first: only the first notice is shown as a box, the others fold into it. */
const SEVERITY: Record<NoticeKind, number> = { danger: 0, warning: 1, success: 2, info: 3 };

/** A domain as people read it, with the form DNS uses beside it when they differ: `bücher.example (xn--bcher-kva.example)`. */
export function domainLabel(domain: string): string {
  const unicode = toULabel(domain);
  return unicode === domain ? domain : `${unicode} (${domain})`;
}

/** An MX pattern (A-labels) in the Unicode form an admin types, `*.` kept. */
function patternULabel(pattern: string): string {
  return pattern.startsWith('*.') ? `*.${toULabel(pattern.slice(2))}` : toULabel(pattern);
}

/** The form as shown: stored values, or what the person typed when it had errors. */
export interface FormValues {
  version: string;
  mode: string;
  maxAge: string;
  mx: string;
  active: boolean;
  revision: number;
}

const MODE_KEYS: Record<(typeof MODES)[number], MessageKey> = { none: 'tab.mode.none', testing: 'tab.mode.testing', enforce: 'tab.mode.enforce' };

/** The messages the tab's script needs to say what the page says, live. */
const CLIENT_KEYS = [
  'list.last',
  'duration.week.one',
  'duration.week.other',
  'duration.day.one',
  'duration.day.other',
  'duration.hour.one',
  'duration.hour.other',
  'duration.minute.one',
  'duration.minute.other',
  'duration.second.one',
  'duration.second.other',
  'tab.maxAge.equals',
  'tab.maxAge.short',
  'tab.maxAge.tooLong',
  'tab.mx.stale.one',
  'tab.mx.stale.other',
  'tab.mx.uncovered.one',
  'tab.mx.uncovered.other',
  'tab.mx.covered',
  'tab.mx.refused.one',
  'tab.mx.refused.other',
  'tab.mx.reported.one',
  'tab.mx.reported.other',
  'tab.mx.fill',
  'tab.copy',
  'tab.copy.done',
  'tab.copy.failed',
  'tab.notices.more.one',
  'tab.notices.more.other',
] as const satisfies readonly MessageKey[];

const BADGES: Record<CheckStatus, string> = { ok: 'text-bg-success', warning: 'text-bg-warning', error: 'text-bg-danger', info: 'text-bg-info' };

export function storedFormValues(record: DomainRecord): FormValues {
  const { policy } = record;
  // MX entries in the form people type them (U-labels); the A-labels are shown beside the field.
  return {
    version: policy.version,
    mode: policy.mode,
    maxAge: String(policy.maxAge),
    mx: policy.mx.map(patternULabel).join(', '),
    active: policy.active,
    revision: policy.revision,
  };
}

export interface TabState {
  form?: FormValues;
  errors?: ErrorItem[];
  notices?: Notice[];
  dnsCheck?: DnsCheckResult;
  /** Active was unchecked on a policy senders may have cached: explain retiring before anything is saved. */
  confirmOff?: boolean;
  /** The domain's MX hosts, when the caller has looked them up already. */
  mxDns?: MxDns;
  /** The notice just given covers retiring; leave out the standing note about mode none. */
  retiredJustNow?: boolean;
  /** TLS reporting settings; looked up when absent. Null when they cannot be read. */
  reporting?: ReportingView | null;
  /** A save was refused (409): the form keeps the typed values; the stored ones are shown beside them. */
  conflict?: boolean;
  /** The notices come from a save just made: the script removes them once the form is edited again. */
  afterSave?: boolean;
  /** What the history says about senders' caches (see ./history-page.ts); looked up when absent. */
  cacheNotes?: Array<{ kind: string; text: string }>;
}

/** The notice a save's redirect carries (signed, see notice-token.ts), in words. */
function savedNotices(notice: SavedNotice, t: Translator): Notice[] {
  const id = notice.id || t.t('notice.noIdYet');
  const notices: Notice[] = [
    notice.kind === 'unchanged'
      ? { kind: 'info', text: t.t('notice.unchanged', { id }) }
      : notice.kind === 'retired'
        ? { kind: 'success', text: t.t('notice.retired', { id, date: utcTime(notice.until ?? new Date(), t) }) }
        : { kind: 'success', text: t.t('notice.saved', { id }) },
  ];
  if (notice.skippedTesting) notices.push({ kind: 'warning', text: t.t('notice.skippedTesting') });
  return notices;
}

/**
 * What the tab's URL asks for besides the stored policy: the notice of a save just made (the
 * redirect after a POST), or values to put back into the form after an expired login. Both only
 * ever prefill or say something; nothing is saved by a GET.
 */
function stateFromQuery(ctx: PluginContext, req: Request, record: DomainRecord, t: Translator): TabState {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const saved = readNotice(ctx.options.csrf.secret, ctx.options.csrf.sessionId(req), record.domain, query[NOTICE_PARAM], ctx.options.now());
  if (saved) return { notices: savedNotices(saved, t), afterSave: true, retiredJustNow: saved.kind === 'retired' };
  if (query[RESTORE_PARAM] === '1') {
    const value = (field: (typeof RESTORE_FIELDS)[number]) => {
      const v = query[restoreParam(field)];
      return typeof v === 'string' ? v.slice(0, 4096) : '';
    };
    const form: FormValues = { ...storedFormValues(record), mode: value('mode'), maxAge: value('maxAge'), mx: value('mx'), active: value('active') === '1' };
    return { form, notices: [{ kind: 'info', text: t.t('notice.restored') }] };
  }
  return {};
}

/** Notices that hold whenever the tab is shown, whatever was just done. */
function standingNotices(record: DomainRecord, t: Translator, state: TabState): Notice[] {
  const notices: Notice[] = [];
  const { policy } = record;
  if (policy.active && !record.hostActive) notices.push({ kind: 'warning', text: t.t('notice.hostInactive') });
  if (!record.valid) notices.push({ kind: 'danger', text: t.t('notice.invalidStored') });
  if (policy.active && policy.mode === 'none' && policy.updatedAt && !state.retiredJustNow && !state.confirmOff) {
    notices.push({ kind: 'info', text: t.t('notice.retiring', { time: utcTime(policy.updatedAt, t) }) });
  }
  return notices;
}

/** History entries read for the tab's notes on senders' caches. */
const CACHE_HISTORY = 500;

/** Renders the MTA-STS tab fragment for a domain, in the request's language. */
export async function renderTabFragment(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, state: TabState = {}): Promise<string> {
  const locale = await localeFor(ctx.options.locale, req, res);
  const t = translator(locale);
  const shown = state.form || state.notices || state.dnsCheck ? state : { ...state, ...stateFromQuery(ctx, req, record, t) };
  const mxDns = shown.mxDns ?? (await ctx.service.checks.mxHosts(record.domain, locale));
  const reporting =
    shown.reporting !== undefined
      ? shown.reporting
      : await ctx.service.reports.reporting(record.domain).catch((err: unknown) => {
          // The tab stays usable when the report tables cannot be read (e.g. not migrated yet).
          ctx.logger.warn('could not read the TLS reporting settings', err);
          return null;
        });
  const notes =
    shown.cacheNotes ??
    (await ctx.service.policies
      .history(record.domain, { limit: CACHE_HISTORY, offset: 0 })
      .then((found) => cacheNotes(found?.entries ?? [], record.policy.mx, ctx.options.now(), t).filter((n) => n.kind !== 'plain'))
      .catch((err: unknown) => {
        // The tab stays usable when the history cannot be read.
        ctx.logger.warn('could not read the change history', err);
        return [];
      }));
  return ctx.pages.fragment('tab', tabView(ctx, req, res, record, { ...shown, reporting, cacheNotes: notes }, t, mxDns));
}

function isProblemCode(code: string): code is ProblemCode {
  return Object.prototype.hasOwnProperty.call(PROBLEM_TEXTS, code);
}

function tabView(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, state: TabState, t: Translator, mxDns: MxDns) {
  const form = state.form ?? storedFormValues(record);
  // Every error of a field (one per bad MX entry), in order; the template lists them.
  const errors: Record<string, string[]> = {};
  for (const error of state.errors ?? []) {
    // Errors of the policy rules carry a code; others (a bad form) are already in words.
    const text = error.code && isProblemCode(error.code) ? sayProblem(t.locale, { code: error.code, params: error.params ?? {} }) : error.message;
    (errors[error.field] ??= []).push(text);
  }
  const { policy, domain } = record;
  const base = `${ctx.options.adminPath}/${encodeURIComponent(domain)}`;
  const url = policyUrl(domain);
  const records = policy.id
    ? [
        { type: 'TXT', name: `_mta-sts.${domain}`, value: stsRecordValue(policy.id) },
        { type: 'CNAME', name: `mta-sts.${domain}`, value: ctx.options.mailHostname },
        // TLS reporting: the record built from the configured report addresses.
        ...(state.reporting?.record ? [{ type: 'TXT', name: `_smtp._tls.${domain}`, value: state.reporting.record }] : []),
      ]
    : [];
  const served = servedPolicy(record) !== null;
  const now = ctx.options.now();
  const hosts = mxDns.state === 'hosts' ? mxDns.hosts : [];
  const advice = mxDns.state === 'hosts' ? mxAdvice(form.mx, form.mode, hosts) : null;
  const retire = needsRetiring(policy);

  return {
    t: (key: MessageKey, params?: Record<string, string | number>) => t.say(key, params),
    locale: t.locale,
    domain,
    displayDomain: toULabel(domain),
    domainLabel: domainLabel(domain),
    action: base,
    checkAction: `${base}/dns-check`,
    fillAction: `${base}?fill=mx`,
    historyUrl: `${base}/history`,
    // A domain without a policy yet is offered the panel's defaults (a prefill, nothing saved).
    defaultsUrl: policy.id === null ? `${base}?fill=defaults` : null,
    scriptUrl: tabScriptUrl(ctx.options.adminPath, ctx.logger),
    csrfToken: ctx.csrf.token(req, res),
    form,
    errors,
    modes: MODES.map((mode) => ({ value: mode, help: t.say(MODE_KEYS[mode]) })),
    status: {
      served,
      text: served
        ? t.t('tab.status.servedText', { mode: policy.mode, url })
        : t.t(!record.valid ? 'tab.status.invalidText' : policy.active && !record.hostActive ? 'tab.status.hostInactiveText' : 'tab.status.inactiveText'),
    },
    policyUrl: url,
    // What the history says about senders' caches (a retirement's end, how long senders may keep
    // the current MX list): quiet lines under the status, not notices; the standing notice about
    // retiring, or the save's own, says what to do.
    cacheInfo: (state.cacheNotes ?? []).map((n) => n.text),
    ...foldedNotices([...(state.notices ?? []), ...standingNotices(record, t, state)], t),
    afterSave: state.afterSave === true,
    conflict: state.conflict ? conflictView(record, form, t) : null,
    mxALabels: aLabelsNote(form.mx, t),
    skipTesting: skipsTesting(policy, form.mode),
    servedMode: servedMode(policy),
    // A field with an error says only that: no helper text beside it for the same value.
    maxAge: errors.maxAge ? { equals: '', warning: '' } : maxAgeAdvice(form.maxAge, t),
    mx: { hosts, dnsText: mxDnsText(mxDns, domain, t), ...mxHints(advice, form.mx, errors.mx !== undefined, t) },
    help: {
      mode: [...MODES.map((mode) => ({ term: mode, text: t.say(MODE_KEYS[mode]) })), { term: '', text: t.t('tab.mode.order') }],
      maxAge: [{ term: '', text: t.t('tab.maxAge.help') }],
      mx: [{ term: '', text: t.t('tab.mx.help') }],
    },
    retire: retire
      ? {
          open: state.confirmOff === true,
          risk: t.t('tab.retire.risk', { mode: policy.mode, duration: t.duration(policy.maxAge) }),
          until: utcTime(expiresBy(now, policy.maxAge), t),
        }
      : null,
    policy,
    changedTime: policy.updatedAt ? utcTime(policy.updatedAt, t) : '',
    records,
    zoneSnippet: records.map((r) => `${r.name}. 3600 IN ${r.type} ${r.type === 'TXT' ? `"${r.value}"` : `${r.value}.`}`).join('\n'),
    dnsCheck: state.dnsCheck ? dnsCheckView(state.dnsCheck, t) : null,
    reporting: state.reporting
      ? {
          ...state.reporting,
          maxRua: MAX_RUA,
          action: `${base}/reporting`,
          tokenAction: `${base}/reporting/token`,
          pageUrl: `${base}/reports`,
        }
      : null,
    // Templates, not texts: the script fills in the placeholders itself.
    clientL10n: JSON.stringify(Object.fromEntries(CLIENT_KEYS.map((key) => [key, CATALOGUES[t.locale][key]]))),
  };
}

/** Page-level notices: the most severe shown, the others folded into "and 2 more notes". */
function foldedNotices(notices: Notice[], t: Translator) {
  const sorted = [...notices].sort((a, b) => SEVERITY[a.kind] - SEVERITY[b.kind]);
  const [notice, ...more] = sorted;
  return { notice: notice ?? null, moreNotices: more, moreNoticesText: more.length > 0 ? t.plural('tab.notices.more', more.length) : '' };
}

/** The MX field's hints, most severe first (the tab's script keeps the same order). */
export const MX_HINTS = ['consequence', 'uncovered', 'stale', 'covered'] as const;

/**
 * The MX field's hints: the consequence of uncovered hosts (refused in enforce, reported in
 * testing), the uncovered hosts, entries matching nothing, "every host covered". The first one
 * that applies is shown; the others fold under it ("and 2 more notes"). With a field error, the
 * error is the field's one notice and every hint folds.
 */
function mxHints(advice: ReturnType<typeof mxAdvice> | null, mx: string, hasError: boolean, t: Translator) {
  const texts: Record<(typeof MX_HINTS)[number], string> = {
    consequence: advice?.consequence
      ? t.plural(advice.consequence === 'refused' ? 'tab.mx.refused' : 'tab.mx.reported', advice.uncovered.length, { hosts: t.list(advice.uncovered) })
      : '',
    uncovered: advice && advice.uncovered.length > 0 ? t.plural('tab.mx.uncovered', advice.uncovered.length, { hosts: t.list(advice.uncovered) }) : '',
    stale: advice && advice.stale.length > 0 ? t.plural('tab.mx.stale', advice.stale.length, { entries: t.list(advice.stale) }) : '',
    covered: advice && advice.uncovered.length === 0 && typedPatterns(mx).length > 0 ? t.t('tab.mx.covered') : '',
  };
  const classes: Record<(typeof MX_HINTS)[number], string> = {
    consequence: `alert ${advice?.consequence === 'refused' ? 'alert-danger' : 'alert-warning'} py-2 px-3 mt-2 mb-0 small`,
    uncovered: 'form-text text-warning-emphasis',
    stale: 'form-text text-warning-emphasis',
    covered: 'form-text text-success-emphasis',
  };
  const primary = hasError ? undefined : MX_HINTS.find((name) => texts[name] !== '');
  const folded = MX_HINTS.filter((name) => name !== primary && texts[name] !== '').length;
  return {
    consequence: advice?.consequence ?? null,
    hints: MX_HINTS.map((name) => ({ name, text: texts[name], className: classes[name], primary: name === primary })),
    folded,
    moreText: folded > 0 ? t.plural('tab.notices.more', folded) : '',
  };
}

/** The A-labels of MX entries typed as U-labels, said beside the field ('' when every entry is ASCII). */
function aLabelsNote(mx: string, t: Translator): string {
  const typed = mx.split(/[\s,]+/).filter((entry) => entry !== '');
  if (!typed.some((entry) => /[^\x00-\x7f]/.test(entry))) return '';
  const patterns = typedPatterns(mx);
  return patterns.length > 0 ? t.t('tab.mx.aLabels', { entries: patterns.join(', ') }) : '';
}

/** The other admin's stored values beside this admin's typed ones, after a refused save (409). */
function conflictView(record: DomainRecord, form: FormValues, t: Translator) {
  const { policy } = record;
  const stored = storedFormValues(record);
  const yesNo = (on: boolean) => t.t(on ? 'tab.conflict.yes' : 'tab.conflict.no');
  const sameMx = typedPatterns(form.mx).join(',') === policy.mx.join(',');
  const rows = [
    { label: t.t('tab.label.mode'), yours: form.mode, theirs: stored.mode, same: form.mode === stored.mode },
    {
      label: t.t('tab.label.maxAge'),
      yours: form.maxAge,
      theirs: `${stored.maxAge} (${t.duration(policy.maxAge)})`,
      same: form.maxAge.trim() === stored.maxAge,
    },
    { label: t.t('tab.label.mx'), yours: form.mx, theirs: stored.mx, same: sameMx },
    { label: t.t('tab.label.active'), yours: yesNo(form.active), theirs: yesNo(stored.active), same: form.active === stored.active },
  ];
  return { time: policy.updatedAt ? utcTime(policy.updatedAt, t) : '', rows };
}

function mxDnsText(mxDns: MxDns, domain: string, t: Translator): string {
  const display = toULabel(domain);
  switch (mxDns.state) {
    case 'hosts':
      return t.t('tab.mx.dnsHosts', { domain: display, hosts: mxDns.hosts.join(', ') });
    case 'none':
      return t.t('tab.mx.dnsNone', { domain: display });
    case 'null-mx':
      return t.t('tab.mx.dnsNull', { domain: display });
    case 'failed':
      return t.t('tab.mx.dnsFailed', { domain: display, reason: mxDns.reason });
    case 'slow':
      return t.t('tab.mx.dnsSlow', { domain: display });
  }
}

function dnsCheckView(check: DnsCheckResult, t: Translator) {
  const counts: Record<CheckStatus, number> = { ok: 0, warning: 0, error: 0, info: 0 };
  for (const c of check.checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  const rows = check.checks.map((c) => ({
    name: c.name,
    title: t.say(`dns.title.${c.name}`),
    status: c.status,
    statusText: t.say(`dns.status.${c.status}`),
    badge: BADGES[c.status] ?? 'text-bg-secondary',
    expected: c.expected,
    found: c.found,
    message: c.message,
  }));
  // Problems open, errors before warnings; the passing checks (ok, info) folded.
  const problems = rows.filter((r) => r.status === 'error').concat(rows.filter((r) => r.status === 'warning'));
  const passing = rows.filter((r) => r.status !== 'error' && r.status !== 'warning');
  return {
    id: check.id,
    checkedAt: utcTime(check.checkedAt, t),
    summary: t.t('tab.check.summary', counts),
    rows,
    problems,
    passing,
    passingText: t.plural('tab.check.passed', passing.length),
  };
}

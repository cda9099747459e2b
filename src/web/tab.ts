import type { Request, Response } from 'express';
import type { CheckStatus, DnsCheckResult } from '../check';
import { CATALOGUES, translator, type MessageKey, type Translator } from '../i18n';
import { sayProblem } from '../i18n/policy-text';
import { MODES, expiresBy, needsRetiring, policyUrl, servedMode, servedPolicy, stsRecordValue, toULabel, type DomainRecord } from '../policy';
import type { MxDns } from '../service';
import type { ReportingView } from '../service/reports';
import { MAX_RUA } from '../service/reports';
import type { ErrorItem } from './errors';
import { tabScriptUrl } from './assets';
import type { PluginContext } from './context';
import { maxAgeAdvice, mxAdvice, skipsTesting, typedPatterns, utcTime } from './guidance';
import { localeFor } from './locale';

export type NoticeKind = 'success' | 'danger' | 'warning' | 'info';
export interface Notice { kind: NoticeKind; text: string }

/** The form as shown: stored values, or what the person typed when it had errors. */
export interface FormValues { version: string; mode: string; maxAge: string; mx: string; active: boolean; revision: number }

const MODE_KEYS: Record<(typeof MODES)[number], MessageKey> = { none: 'tab.mode.none', testing: 'tab.mode.testing', enforce: 'tab.mode.enforce' };

/** The messages the tab's script needs to say what the page says, live. */
const CLIENT_KEYS = [
  'list.last',
  'duration.week.one', 'duration.week.other', 'duration.day.one', 'duration.day.other', 'duration.hour.one', 'duration.hour.other',
  'duration.minute.one', 'duration.minute.other', 'duration.second.one', 'duration.second.other',
  'tab.maxAge.equals', 'tab.maxAge.short', 'tab.maxAge.tooLong',
  'tab.mx.stale.one', 'tab.mx.stale.other', 'tab.mx.uncovered.one', 'tab.mx.uncovered.other', 'tab.mx.covered',
  'tab.mx.refused.one', 'tab.mx.refused.other', 'tab.mx.reported.one', 'tab.mx.reported.other', 'tab.mx.fill',
  'tab.copy', 'tab.copy.done', 'tab.copy.failed',
] as const satisfies readonly MessageKey[];

const BADGES: Record<CheckStatus, string> = { ok: 'text-bg-success', warning: 'text-bg-warning', error: 'text-bg-danger', info: 'text-bg-info' };

export function storedFormValues(record: DomainRecord): FormValues {
  const { policy } = record;
  return { version: policy.version, mode: policy.mode, maxAge: String(policy.maxAge), mx: policy.mx.join(', '), active: policy.active, revision: policy.revision };
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

/** Renders the MTA-STS tab fragment for a domain, in the request's language. */
export async function renderTabFragment(
  ctx: PluginContext,
  req: Request,
  res: Response,
  record: DomainRecord,
  state: TabState = {},
): Promise<string> {
  const locale = await localeFor(ctx.options.locale, req, res);
  const t = translator(locale);
  const mxDns = state.mxDns ?? await ctx.service.mxHosts(record.domain, locale);
  const reporting = state.reporting !== undefined ? state.reporting : await ctx.service.reports.reporting(record.domain).catch((err: unknown) => {
    // The tab stays usable when the report tables cannot be read (e.g. not migrated yet).
    ctx.logger.warn('could not read the TLS reporting settings', err);
    return null;
  });
  return ctx.pages.fragment('tab', tabView(ctx, req, res, record, { ...state, reporting }, t, mxDns));
}

function tabView(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, state: TabState, t: Translator, mxDns: MxDns) {
  const form = state.form ?? storedFormValues(record);
  const errors: Record<string, string> = {};
  for (const error of state.errors ?? []) {
    // Errors of the policy rules carry a code; others (a bad form) are already in words.
    const text = error.code ? sayProblem(t.locale, { code: error.code, params: error.params ?? {} }) : error.message;
    errors[error.field] = errors[error.field] ? `${errors[error.field]} ${text}` : text;
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
    action: base,
    checkAction: `${base}/dns-check`,
    fillAction: `${base}?fill=mx`,
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
    notices: [...(state.notices ?? []), ...standingNotices(record, t, state)],
    skipTesting: skipsTesting(policy, form.mode),
    servedMode: servedMode(policy),
    maxAge: maxAgeAdvice(form.maxAge, t),
    mx: {
      hosts,
      dnsText: mxDnsText(mxDns, domain, t),
      stale: advice && advice.stale.length > 0 ? t.plural('tab.mx.stale', advice.stale.length, { entries: t.list(advice.stale) }) : '',
      uncovered: advice && advice.uncovered.length > 0 ? t.plural('tab.mx.uncovered', advice.uncovered.length, { hosts: t.list(advice.uncovered) }) : '',
      covered: advice && advice.uncovered.length === 0 && typedPatterns(form.mx).length > 0 ? t.t('tab.mx.covered') : '',
      consequence: advice?.consequence ?? null,
      consequenceText: advice?.consequence
        ? t.plural(advice.consequence === 'refused' ? 'tab.mx.refused' : 'tab.mx.reported', advice.uncovered.length, { hosts: t.list(advice.uncovered) })
        : '',
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
    reporting: state.reporting ? {
      ...state.reporting,
      maxRua: MAX_RUA,
      action: `${base}/reporting`,
      tokenAction: `${base}/reporting/token`,
      pageUrl: `${base}/reports`,
    } : null,
    // Templates, not texts: the script fills in the placeholders itself.
    clientL10n: JSON.stringify(Object.fromEntries(CLIENT_KEYS.map((key) => [key, CATALOGUES[t.locale][key]]))),
  };
}

function mxDnsText(mxDns: MxDns, domain: string, t: Translator): string {
  const display = toULabel(domain);
  switch (mxDns.state) {
    case 'hosts': return t.t('tab.mx.dnsHosts', { domain: display, hosts: mxDns.hosts.join(', ') });
    case 'none': return t.t('tab.mx.dnsNone', { domain: display });
    case 'null-mx': return t.t('tab.mx.dnsNull', { domain: display });
    case 'failed': return t.t('tab.mx.dnsFailed', { domain: display, reason: mxDns.reason });
    case 'slow': return t.t('tab.mx.dnsSlow', { domain: display });
  }
}

function dnsCheckView(check: DnsCheckResult, t: Translator) {
  const counts: Record<CheckStatus, number> = { ok: 0, warning: 0, error: 0, info: 0 };
  for (const c of check.checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return {
    id: check.id,
    checkedAt: utcTime(check.checkedAt, t),
    summary: t.t('tab.check.summary', counts),
    rows: check.checks.map((c) => ({
      name: c.name,
      title: t.say(`dns.title.${c.name}`),
      status: c.status,
      statusText: t.say(`dns.status.${c.status}`),
      badge: BADGES[c.status] ?? 'text-bg-secondary',
      expected: c.expected,
      found: c.found,
      message: c.message,
    })),
  };
}


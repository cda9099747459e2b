// The tab's view model: from the data the page gathered (./tab.ts) to what the template shows.
// Pure: no request, no database, no DNS; the clock and the page's URLs come in as values, so each
// part is a function of its input (test/web/tab-view.test.ts drives them directly).
import { CATALOGUES, type MessageKey, type Translator } from '../i18n';
import { sayProblem } from '../i18n/policy-text';
import {
  MODES,
  PROBLEM_TEXTS,
  expiresBy,
  needsRetiring,
  policyUrl,
  servedMode,
  servedPolicy,
  recordsToPublish,
  type Delegation,
  toULabel,
  zoneLineWithTtl,
  type DomainRecord,
  type ProblemCode,
} from '../policy';
import type { MxDns } from '../service';
import type { ReportingView } from '../service/reports';
import { MAX_RUA } from '../service/reports';
import type { ErrorItem } from './errors';
import { maxAgeAdvice, mxAdvice, skipsTesting, utcTime } from './guidance';
import { dnsCheckView, mxDnsText } from './tab-check-view';
import { recordDnsView } from './tab-dns-view';
import type { DnsRecordState } from '../service/overview';
import { aLabelsNote, conflictView, mxHints, storedFormValues, type FormValues } from './tab-fields-view';
import type { DnsCheckResult } from '../check';
import type { Text } from '../text';

export { storedFormValues, type FormValues } from './tab-fields-view';

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

export interface TabState {
  form?: FormValues;
  errors?: ErrorItem[];
  notices?: Notice[];
  /** A DNS Check just run: its verdicts, said here in the page's language. */
  dnsCheck?: DnsCheckResult<Text>;
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
  /** The save notice says already that the panel marks the domain inactive: no second notice about it. */
  hostInactiveSaid?: boolean;
  /** What the history says about senders' caches (see ./history-page.ts); looked up when absent. */
  cacheNotes?: Array<{ kind: string; text: string }>;
  /** What the DNS publisher last saw of the domain's records; [] when nothing publishes them. */
  dnsStates?: DnsRecordState[];
}

/** What the page itself contributes to the view: its URLs, token and clock, gathered by ./tab.ts. */
export interface TabPage {
  adminPath: string;
  mailHostname: string;
  /** CNAME delegation of this domain (null: published directly): the records to publish are then the customer's two one-time CNAMEs. */
  delegation?: Delegation | null;
  /** With a delegation configured, how this domain is published (said above the records); absent without one. */
  publishing?: 'direct' | 'delegated';
  /** Null when the script could not be loaded: the page works without it. */
  scriptUrl: string | null;
  csrfToken: string;
  now: Date;
}

/** An active policy for a domain the panel marks inactive: saved, but not served. */
export function hostInactive(record: DomainRecord): boolean {
  return record.policy.active && !record.hostActive;
}

/** Notices that hold whenever the tab is shown, whatever was just done. */
export function standingNotices(record: DomainRecord, t: Translator, state: TabState): Notice[] {
  const notices: Notice[] = [];
  const { policy } = record;
  if (hostInactive(record) && !state.hostInactiveSaid) notices.push({ kind: 'warning', text: t.t('notice.hostInactive') });
  if (!record.valid) notices.push({ kind: 'danger', text: t.t('notice.invalidStored') });
  if (policy.active && policy.mode === 'none' && policy.updatedAt && !state.retiredJustNow && !state.confirmOff) {
    notices.push({ kind: 'info', text: t.t('notice.retiring', { time: utcTime(policy.updatedAt, t) }) });
  }
  return notices;
}

function isProblemCode(code: string): code is ProblemCode {
  return Object.prototype.hasOwnProperty.call(PROBLEM_TEXTS, code);
}

export function tabView(page: TabPage, record: DomainRecord, state: TabState, t: Translator, mxDns: MxDns) {
  const form = state.form ?? storedFormValues(record);
  // Every error of a field (one per bad MX entry), in order; the template lists them.
  const errors: Record<string, string[]> = {};
  for (const error of state.errors ?? []) {
    // Errors of the policy rules carry a code; others (a bad form) are already in words.
    const text = error.code && isProblemCode(error.code) ? sayProblem(t.locale, { code: error.code, params: error.params ?? {} }) : error.message;
    (errors[error.field] ??= []).push(text);
  }
  const { policy, domain } = record;
  const base = `${page.adminPath}/${encodeURIComponent(domain)}`;
  const url = policyUrl(domain);
  const records = recordsToPublish({ domain, id: policy.id, mailHostname: page.mailHostname, tlsRpt: state.reporting?.record, delegation: page.delegation });
  const served = servedPolicy(record) !== null;
  const { now } = page;
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
    scriptUrl: page.scriptUrl,
    csrfToken: page.csrfToken,
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
    // With a delegation configured, domains are published directly or delegated: said per domain.
    publishingNote:
      page.publishing === 'direct'
        ? t.t('tab.records.direct')
        : page.publishing === 'delegated' && page.delegation
          ? t.t('tab.records.delegated', { zone: page.delegation.zone })
          : null,
    records: records.map((r) => ({ ...r, dns: recordDnsView(r, state.dnsStates ?? [], policy.updatedAt, t) })),
    // The state column only when the publisher has seen one of the records.
    dnsColumn: records.some((r) => recordDnsView(r, state.dnsStates ?? [], policy.updatedAt, t) !== null),
    zoneSnippet: records.map((r) => zoneLineWithTtl(r, 3600)).join('\n'),
    dnsCheck: state.dnsCheck ? dnsCheckView(state.dnsCheck, t) : null,
    reporting: state.reporting
      ? {
          ...state.reporting,
          // The DNS Check's tlsrpt.https-only rule, for the addresses the form holds: some senders report only by mail.
          httpsOnly: httpsOnly(state.reporting.suggestedRua ?? state.reporting.rua),
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

/** Report addresses that are all https: (and at least one). */
function httpsOnly(rua: readonly string[]): boolean {
  return rua.length > 0 && rua.every((uri) => /^https:/i.test(uri.trim()));
}

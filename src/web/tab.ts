import type { Request, Response } from 'express';
import type { DnsCheckResult } from '../dns';
import { FieldError, MODES, stsRecordValue, toULabel } from '../policy';
import type { DomainRecord } from '../store/policy-store';
import type { PluginContext } from './context';
import { humanDuration } from './format';

export type NoticeKind = 'success' | 'danger' | 'warning' | 'info';
export interface Notice { kind: NoticeKind; text: string }

/** The form as shown: stored values, or what the person typed when it had errors. */
export interface FormValues { version: string; mode: string; maxAge: string; mx: string; active: boolean; revision: number }

export const MODE_HELP: Record<(typeof MODES)[number], string> = {
  none: 'Policy is disabled: senders treat the domain as having no active policy. Use it to retire a policy.',
  testing: 'Policy is active, but violations are only reported (TLS-RPT); mail is still delivered.',
  enforce: 'Senders deliver only over TLS with a valid certificate to the MX hosts listed; otherwise mail is not delivered.',
};

export function storedFormValues(record: DomainRecord): FormValues {
  const { policy } = record;
  return { version: policy.version, mode: policy.mode, maxAge: String(policy.maxAge), mx: policy.mx.join(', '), active: policy.active, revision: policy.revision };
}

/** Notices that hold whenever the tab is shown, whatever was just done. */
function standingNotices(ctx: PluginContext, record: DomainRecord): Notice[] {
  const notices: Notice[] = [];
  if (record.policy.active && !record.hostActive) {
    notices.push({ kind: 'warning', text: 'MTA-STS is active, but the domain itself is inactive in the panel: no policy file is served for it.' });
  }
  if (!record.valid) {
    notices.push({ kind: 'danger', text: 'The stored MTA-STS settings are not valid (edited outside the panel?): no policy file is served until they are saved again.' });
  }
  void ctx;
  return notices;
}

export interface TabState { form?: FormValues; errors?: FieldError[]; notices?: Notice[]; dnsCheck?: DnsCheckResult }

/** Renders the MTA-STS tab fragment for a domain. */
export function renderTabFragment(
  ctx: PluginContext,
  req: Request,
  res: Response,
  record: DomainRecord,
  state: TabState = {},
): string {
  const form = state.form ?? storedFormValues(record);
  const errors: Record<string, string> = {};
  for (const error of state.errors ?? []) errors[error.field] = errors[error.field] ? `${errors[error.field]} ${error.message}` : error.message;
  const { policy, domain } = record;
  const records = policy.id
    ? [
        { type: 'TXT', name: `_mta-sts.${domain}`, value: stsRecordValue(policy.id) },
        { type: 'CNAME', name: `mta-sts.${domain}`, value: ctx.options.mailHostname },
      ]
    : [];
  const maxAge = Number(form.maxAge);
  return ctx.pages.fragment('tab', {
    domain,
    displayDomain: toULabel(domain),
    action: `${ctx.options.adminPath}/${encodeURIComponent(domain)}`,
    checkAction: `${ctx.options.adminPath}/${encodeURIComponent(domain)}/dns-check`,
    dnsCheck: state.dnsCheck ?? null,
    csrfToken: ctx.csrf.token(req, res),
    form,
    errors,
    modes: MODES.map((mode) => ({ value: mode, help: MODE_HELP[mode] })),
    maxAgeHint: /^\d+$/.test(form.maxAge) ? humanDuration(maxAge) : '',
    notices: [...(state.notices ?? []), ...standingNotices(ctx, record)],
    policy,
    records,
    zoneSnippet: records.map((r) => `${r.name}. 3600 IN ${r.type} ${r.type === 'TXT' ? `"${r.value}"` : `${r.value}.`}`).join('\n'),
  });
}

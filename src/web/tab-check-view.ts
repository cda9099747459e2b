// The tab's DNS Check and MX lines in the page's language: the check's verdicts and the MX answer
// come as data (Text, codes), said here. Pure, like ./tab-view.ts.
import type { CheckStatus, DnsCheckResult } from '../check';
import type { Translator } from '../i18n';
import { sayText } from '../i18n/text';
import { toULabel } from '../policy';
import { sayDnsCheck } from '../render/check';
import type { MxDns } from '../service';
import type { Text } from '../text';
import { utcTime } from './guidance';

const BADGES: Record<CheckStatus, string> = { ok: 'text-bg-success', warning: 'text-bg-warning', error: 'text-bg-danger', info: 'text-bg-info' };

export function mxDnsText(mxDns: MxDns, domain: string, t: Translator): string {
  const display = toULabel(domain);
  switch (mxDns.state) {
    case 'hosts':
      return t.t('tab.mx.dnsHosts', { domain: display, hosts: mxDns.hosts.join(', ') });
    case 'none':
      return t.t('tab.mx.dnsNone', { domain: display });
    case 'null-mx':
      return t.t('tab.mx.dnsNull', { domain: display });
    case 'failed':
      return t.t('tab.mx.dnsFailed', { domain: display, reason: sayText(t.locale, mxDns.reason) });
    case 'slow':
      return t.t('tab.mx.dnsSlow', { domain: display });
  }
}

export function dnsCheckView(result: DnsCheckResult<Text>, t: Translator) {
  const check = sayDnsCheck(t.locale, result);
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

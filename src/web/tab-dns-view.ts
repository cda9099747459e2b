// The publishing state next to each record to publish in the tab: what the DNS publisher last saw
// of it (`<prefix>dns_states`, one indexed read per tab, no DNS query), with when. Pure. A record
// the publisher never wrote (the `mta-sts` CNAME, or every record when nothing publishes) has no
// state: the tab shows nothing new for it.
import type { MessageKey, Translator } from '../i18n';
import type { DnsRecordState } from '../service/overview';
import { utcTime } from './guidance';

export interface RecordDnsView {
  /** published, pending or differs: for the page's styling and tests. */
  state: string;
  text: string;
}

const KEYS: Record<DnsRecordState['state'], MessageKey> = {
  published: 'tab.records.dns.published',
  pending: 'tab.records.dns.pending',
  differs: 'tab.records.dns.differs',
};

/**
 * The state of one record, or null. A `_mta-sts` record last seen before the policy's last change
 * is pending: the publisher has not published the new id yet (or is not running).
 */
export function recordDnsView(
  record: { type: string; name: string },
  states: readonly DnsRecordState[],
  policyUpdatedAt: string | null,
  t: Translator,
): RecordDnsView | null {
  if (record.type !== 'TXT') return null;
  const found = states.find((s) => s.name === record.name);
  if (!found) return null;
  const stale = record.name.startsWith('_mta-sts.') && policyUpdatedAt !== null && found.checkedAt < policyUpdatedAt;
  const state = stale ? 'pending' : found.state;
  return { state, text: t.t('tab.records.dnsAt', { state: t.say(KEYS[state]), time: utcTime(found.checkedAt, t) }) };
}

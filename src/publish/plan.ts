// What publishing changes, decided without I/O: per managed record, what the zone holds now, what
// it should hold, and the action. Only the MTA-STS string (`v=STSv1`) at `_mta-sts.<domain>` and
// the TLS-RPT string (`v=TLSRPTv1`) at `_smtp._tls.<domain>` are ours: every other string at those
// names is written back as it was, and no other name or type is ever touched. With a delegation the
// `_mta-sts` TXT lives at `<domain>._mta-sts.<zone>` in the panel's zone instead, and the customer's
// zone (which the panel cannot update) is not touched at all: its `_smtp._tls` is not managed.
import { delegatedTxtName, stsRecordValue, stsTxtName, tlsRptName } from '../policy/records';
import type { PublishedType } from './contract';

/** The TTL of the records we write, in seconds: short, so that a corrected record spreads soon. */
export const PUBLISH_TTL = 300;

export type Action = 'create' | 'update' | 'delete' | 'none';

/** One record the core manages for a domain. `wanted` null: our string must not be there. */
export interface ManagedRecord {
  domain: string;
  name: string;
  type: PublishedType;
  /** The version tag that marks a string as ours. */
  tag: 'v=STSv1' | 'v=TLSRPTv1';
  wanted: string | null;
}

export interface PlannedRecord extends ManagedRecord {
  /** Our strings the zone holds now; 'unknown' when the provider could not read the set. */
  now: string[] | 'unknown';
  /** null when `now` is unknown: nothing is planned without knowing what is there. */
  action: Action | null;
  /** The whole set to write (other strings kept, ours replaced); empty when nothing is written. */
  records: string[];
}

/** What a domain should publish: the policy id while a policy is served, the TLS-RPT record when report addresses are configured. */
export interface DomainWants {
  domain: string;
  /** The served policy's id; null when no policy is served (our `v=STSv1` string is removed). */
  servedId: string | null;
  /** The `_smtp._tls` value; null when no report addresses are configured (that record is not managed). */
  tlsRpt: string | null;
  /** The panel's delegation zone when CNAME delegation is configured (the TXT id is published there); absent or null: direct. */
  delegationZone?: string | null;
}

/** How a domain's `_mta-sts` id reaches DNS: in its own zone (direct) or in the panel's delegation zone, behind the customer's CNAME. */
export type PublishMode = 'direct' | 'delegated';

/**
 * The per-domain choice when both modes coexist: without a delegation every domain is direct; with
 * one, a domain whose `_mta-sts.<domain>` lies in a zone the publisher updates (`updatableZone`,
 * from --dns-zones or found at the server) is direct, and every other domain (a customer's zone
 * the panel cannot update) is delegated.
 */
export function publishMode(delegationZone: string | null, updatableZone: string | null): PublishMode {
  return delegationZone === null || updatableZone !== null ? 'direct' : 'delegated';
}

export function managedRecords(wants: DomainWants): ManagedRecord[] {
  const zone = wants.delegationZone ?? null;
  const records: ManagedRecord[] = [
    {
      domain: wants.domain,
      name: zone === null ? stsTxtName(wants.domain) : delegatedTxtName(wants.domain, zone),
      type: 'TXT',
      tag: 'v=STSv1',
      wanted: wants.servedId === null ? null : stsRecordValue(wants.servedId),
    },
  ];
  if (wants.tlsRpt !== null && zone === null)
    records.push({ domain: wants.domain, name: tlsRptName(wants.domain), type: 'TXT', tag: 'v=TLSRPTv1', wanted: wants.tlsRpt });
  return records;
}

/** A string is ours when it starts with our version tag, followed by `;`, a blank or its end (RFC 8461 3.1, RFC 8460 3). */
export function isOurs(text: string, tag: ManagedRecord['tag']): boolean {
  return text.startsWith(tag) && (text.length === tag.length || /[;\s]/.test(text[tag.length]));
}

/** The plan for one record from the set the zone holds now. */
export function planRecord(record: ManagedRecord, held: string[] | 'unknown'): PlannedRecord {
  if (held === 'unknown') return { ...record, now: 'unknown', action: null, records: [] };
  const ours = held.filter((text) => isOurs(text, record.tag));
  const others = held.filter((text) => !isOurs(text, record.tag));
  if (record.wanted === null) return { ...record, now: ours, action: ours.length === 0 ? 'none' : 'delete', records: ours.length === 0 ? [] : others };
  // Two of our strings are no record at all for senders (RFC 8461 3.1): one remains.
  const action: Action = ours.length === 0 ? 'create' : ours.length === 1 && ours[0] === record.wanted ? 'none' : 'update';
  return { ...record, now: ours, action, records: action === 'none' ? [] : [...others, record.wanted] };
}

export interface Brake {
  /** Records whose tag the zones hold now. */
  existing: number;
  /** Of those, how many the plan updates or deletes. */
  changing: number;
  /** True: the plan changes more than `share` of the existing records, and they are at least `minimum`. */
  stop: boolean;
}

/**
 * The safety brake (as octoDNS's): a run that would update or delete more than 30% of the records
 * we already published stops unless forced. New records do not count (a first run creates them
 * all); below ten existing records every change is a large share, so the brake starts at ten.
 */
export function brake(plan: readonly PlannedRecord[], share = 0.3, minimum = 10): Brake {
  const existing = plan.filter((r) => r.now !== 'unknown' && r.now.length > 0).length;
  const changing = plan.filter((r) => r.action === 'update' || r.action === 'delete').length;
  return { existing, changing, stop: existing >= minimum && changing > existing * share };
}

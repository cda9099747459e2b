// The DNS records a domain publishes for MTA-STS and TLS reporting, built in this one place: the
// tab shows them, `mta-sts show` prints them, the API returns them, and publishing them to DNS
// reads them here too. Pure: names and values from what is stored and configured, no lookups.

/** The `_mta-sts.<domain>` TXT record that announces a policy id (RFC 8461 section 3.1). */
export function stsTxtName(domain: string): string {
  return `_mta-sts.${domain}`;
}

/** Its value for a policy id. */
export function stsRecordValue(id: string): string {
  return `v=STSv1; id=${id}`;
}

/** The host senders fetch the policy from (RFC 8461 section 3.3). */
export function policyHostName(domain: string): string {
  return `mta-sts.${domain}`;
}

/** The `_smtp._tls.<domain>` TXT record naming where TLS reports go (RFC 8460 section 3). */
export function tlsRptName(domain: string): string {
  return `_smtp._tls.${domain}`;
}

/**
 * CNAME delegation (RFC 8461 section 8.2): the panel's own zone, where it publishes every domain's
 * `_mta-sts` TXT id, and the host that serves every domain's policy file. When configured it
 * applies to every domain: each customer points two names at the panel once.
 */
export interface Delegation {
  /** The panel's zone, e.g. `mta-sts.panel.example`: the TXT of `<domain>` is at `<domain>._mta-sts.<zone>`. */
  zone: string;
  /** The host `mta-sts.<domain>` points to (CNAME), which serves the policy files. */
  policyHost: string;
}

/** Where the panel publishes a delegated domain's TXT id: `<domain>._mta-sts.<zone>`, the target of the customer's `_mta-sts` CNAME. */
export function delegatedTxtName(domain: string, zone: string): string {
  return `${domain}._mta-sts.${zone}`;
}

export interface PublishedRecord {
  type: 'TXT' | 'CNAME';
  /** The owner name, without the final dot. */
  name: string;
  /** A TXT record's text (unquoted), or the CNAME's target host (without the final dot). */
  value: string;
}

export interface RecordsInput {
  /** The domain, A-label. */
  domain: string;
  /** The stored policy id; null before the first save, when there is nothing to publish yet. */
  id: string | null;
  /** The mail server's host name, which serves the policy: what `mta-sts.<domain>` points to. */
  mailHostname: string;
  /** The `_smtp._tls` TXT value for the configured report addresses (tlsrpt's `tlsRptRecord`); null or absent when none are configured. */
  tlsRpt?: string | null;
  /** CNAME delegation when configured: the customer's records are then the two one-time CNAMEs. */
  delegation?: Delegation | null;
}

/**
 * What the domain must publish (with a delegation: the two CNAMEs, published once), in the order an admin adds them: the policy id, the policy host
 * (a CNAME to the mail server, which serves the policy file under the name `mta-sts.<domain>`),
 * and, when report addresses are configured, the TLS reporting record. Nothing before the first
 * save: without an id there is no record to announce.
 */
export function recordsToPublish({ domain, id, mailHostname, tlsRpt, delegation }: RecordsInput): PublishedRecord[] {
  if (id === null) return [];
  // Delegated: the id lives in the panel's zone (the panel publishes it on each change), so the
  // customer's two records never change and carry no id.
  const sts: PublishedRecord = delegation
    ? { type: 'CNAME', name: stsTxtName(domain), value: delegatedTxtName(domain, delegation.zone) }
    : { type: 'TXT', name: stsTxtName(domain), value: stsRecordValue(id) };
  return [
    sts,
    { type: 'CNAME', name: policyHostName(domain), value: delegation ? delegation.policyHost : mailHostname },
    ...(tlsRpt ? [{ type: 'TXT' as const, name: tlsRptName(domain), value: tlsRpt }] : []),
  ];
}

/** A record as a zone file line: `_mta-sts.example.org. IN TXT "v=STSv1; id=..."`. */
export function zoneLine(record: PublishedRecord): string {
  return zoneLineWithTtl(record, null);
}

/** The same line naming its TTL (the tab's zone snippet): `_mta-sts.example.org. 3600 IN TXT "..."`. */
export function zoneLineWithTtl(record: PublishedRecord, ttl: number | null): string {
  return `${record.name}.${ttl === null ? '' : ` ${ttl}`} IN ${record.type} ${record.type === 'TXT' ? `"${record.value}"` : `${record.value}.`}`;
}

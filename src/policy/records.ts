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
}

/**
 * What the domain must publish, in the order an admin adds them: the policy id, the policy host
 * (a CNAME to the mail server, which serves the policy file under the name `mta-sts.<domain>`),
 * and, when report addresses are configured, the TLS reporting record. Nothing before the first
 * save: without an id there is no record to announce.
 */
export function recordsToPublish({ domain, id, mailHostname, tlsRpt }: RecordsInput): PublishedRecord[] {
  if (id === null) return [];
  return [
    { type: 'TXT', name: stsTxtName(domain), value: stsRecordValue(id) },
    { type: 'CNAME', name: policyHostName(domain), value: mailHostname },
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

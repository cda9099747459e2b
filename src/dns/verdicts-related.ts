// Verdicts on the records that accompany MTA-STS: TLS-RPT (RFC 8460) and DANE TLSA (RFC 7672).
import type { LookupResult, TlsaRecord } from './resolver';
import { check, foundText, isMissing, list, lookupFailedMessage, plural, type Check, type CheckStatus } from './verdict-kit';

export type TlsRptParse = { ok: true; rua: string[] } | { ok: false; message: string };

/**
 * Parses a `_smtp._tls` TXT record by the RFC 8460 section 3 grammar: `v=TLSRPTv1` first
 * (case-sensitive), `;`-separated fields with optional spaces, exactly one `rua` holding one or
 * more comma-separated `mailto:` or `https:` URIs, extensions `name=value`, optional trailing `;`.
 */
export function parseTlsRptRecord(record: string): TlsRptParse {
  if (!/^v=TLSRPTv1[ \t]*;/.test(record)) return { ok: false, message: 'does not begin with "v=TLSRPTv1;"' };
  const fields = record.split(/[ \t]*;[ \t]*/).slice(1);
  if (fields[fields.length - 1] === '') fields.pop();
  let rua: string[] | null = null;
  for (const field of fields) {
    if (field.startsWith('rua=')) {
      if (rua !== null) return { ok: false, message: 'has more than one rua field' };
      rua = field.slice(4).split(/[ \t]*,[ \t]*/);
      const bad = rua.find((uri) => !isReportUri(uri));
      if (bad !== undefined) return { ok: false, message: `has rua "${bad}", which is not a mailto: or https: address` };
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}=[\x21-\x3a\x3c\x3e-\x7e]+$/.test(field)) {
      return { ok: false, message: `has field "${field}", which is not name=value` };
    }
  }
  if (rua === null) return { ok: false, message: 'has no rua field saying where reports go' };
  return { ok: true, rua };
}

function isReportUri(uri: string): boolean {
  // RFC 8460 requires "," and "!" inside a URI to be percent-encoded, so neither may appear raw.
  if (/[\s,!]/.test(uri)) return false;
  if (uri.startsWith('mailto:')) return /^mailto:[^@]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(uri);
  if (!uri.startsWith('https://')) return false;
  try {
    return new URL(uri).hostname !== '';
  } catch {
    return false;
  }
}

export interface TlsRptInput {
  domain: string;
  /** `_smtp._tls.<domain>` TXT. */
  record: LookupResult<'TXT'>;
}

export function tlsrptCheck({ domain, record }: TlsRptInput): Check {
  const name = `_smtp._tls.${domain}`;
  const example = `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`));
  const reports = record.ok ? record.records.filter((r) => /^v=tlsrptv1/i.test(r)) : [];
  const parsed = reports.length === 1 ? parseTlsRptRecord(reports[0]) : null;
  const expected = parsed?.ok ? `${name} TXT "${reports[0]}"` : `${name} TXT "${example}" (one record; the address is yours to choose)`;
  const verdict = (status: CheckStatus, message: string) => check('tlsrpt', status, expected, found, message);

  if (!record.ok && !isMissing(record)) return verdict('error', lookupFailedMessage(record, name));
  if (reports.length === 0) {
    return verdict('info', `There is no TLS-RPT record, so senders cannot tell you when they fail to deliver securely. Recommended, especially before switching to enforce: add a TXT record at ${name} such as "${example}".`);
  }
  if (reports.length > 1) return verdict('warning', `${name} holds ${reports.length} TLS-RPT records; senders then send no reports at all (RFC 8460 section 3). Keep exactly one.`);
  if (parsed && !parsed.ok) return verdict('warning', `The record "${reports[0]}" ${parsed.message}, so senders ignore it. Use for example "${example}".`);
  return verdict('ok', `Senders send daily TLS reports to ${list(parsed?.ok ? parsed.rua : [])}.`);
}

export interface DaneInput {
  /** The domain's MX hosts, and for each the `_25._tcp.<host>` TLSA lookup, in the same order. */
  hosts: readonly string[];
  tlsa: ReadonlyArray<LookupResult<'TLSA'>>;
  /** Set when the MX lookup itself failed, so there are no hosts to look at. */
  mxFailure?: string;
}

/** Always `info`: DANE is an independent mechanism, neither required nor in conflict with MTA-STS. */
export function daneCheck({ hosts, tlsa, mxFailure }: DaneInput): Check {
  const expected = 'optional: TLSA records at _25._tcp.<MX host>, DNSSEC-signed';
  if (hosts.length === 0) {
    const message = mxFailure === undefined ? 'There are no MX hosts to look for DANE (TLSA) records at.' : `DANE could not be checked because the MX lookup failed (${mxFailure}).`;
    return check('dane', 'info', expected, 'no MX hosts', message);
  }
  const found = hosts.map((host, i) => `_25._tcp.${host}: ${foundText(tlsa[i], (records) => records.map(tlsaText)).replace(/\n/g, '; ')}`).join('\n');
  const present = hosts.filter((_, i) => tlsa[i]?.ok);
  const unknown = hosts.filter((_, i) => tlsa[i] !== undefined && !tlsa[i].ok && !isMissing(tlsa[i]));
  const unknownNote = unknown.length > 0 ? ` The TLSA lookup failed for ${list(unknown)}.` : '';
  if (present.length === 0) {
    return check('dane', 'info', expected, found, `No DANE (TLSA) records for the MX hosts: MTA-STS is what protects mail to this domain.${unknownNote}`);
  }
  const scope = present.length === hosts.length ? 'all MX hosts' : `${plural(present.length, 'MX host')} (${list(present)})`;
  return check('dane', 'info', expected, found,
    `DANE (TLSA) records are published for ${scope} as well. Senders that support DANE use it instead of MTA-STS where the zone is DNSSEC-signed (not verified here); keep the TLSA records in step with certificate renewals.${unknownNote}`);
}

function tlsaText(record: TlsaRecord): string {
  const data = record.data.length > 16 ? `${record.data.slice(0, 16)}...` : record.data;
  return `${record.usage} ${record.selector} ${record.matchingType} ${data}`;
}

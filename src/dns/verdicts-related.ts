// Verdicts on the records that accompany MTA-STS: TLS-RPT (RFC 8460) and DANE TLSA (RFC 7672).
import type { LookupResult, TlsaRecord } from './resolver';
import { ENGLISH, check, foundText, isMissing, lookupFailedMessage, type Check, type CheckStatus, type Translator } from './verdict-kit';

/** What is wrong with a TLS-RPT record, for a verdict to say in words. */
export type TlsRptProblem =
  | { code: 'prefix' }
  | { code: 'two-rua' }
  | { code: 'bad-uri'; uri: string }
  | { code: 'bad-field'; field: string }
  | { code: 'no-rua' };
/** `message` is the problem in English, as a clause about the record ("has no rua field ..."). */
export type TlsRptParse = { ok: true; rua: string[] } | { ok: false; problem: TlsRptProblem; message: string };

/**
 * Parses a `_smtp._tls` TXT record by the RFC 8460 section 3 grammar: `v=TLSRPTv1` first
 * (case-sensitive), `;`-separated fields with optional spaces, exactly one `rua` holding one or
 * more comma-separated `mailto:` or `https:` URIs, extensions `name=value`, optional trailing `;`.
 */
export function parseTlsRptRecord(record: string): TlsRptParse {
  const fail = (problem: TlsRptProblem): TlsRptParse => ({ ok: false, problem, message: tlsRptProblemText(problem) });
  if (!/^v=TLSRPTv1[ \t]*;/.test(record)) return fail({ code: 'prefix' });
  const fields = record.split(/[ \t]*;[ \t]*/).slice(1);
  if (fields[fields.length - 1] === '') fields.pop();
  let rua: string[] | null = null;
  for (const field of fields) {
    if (field.startsWith('rua=')) {
      if (rua !== null) return fail({ code: 'two-rua' });
      rua = field.slice(4).split(/[ \t]*,[ \t]*/);
      const bad = rua.find((uri) => !isReportUri(uri));
      if (bad !== undefined) return fail({ code: 'bad-uri', uri: bad });
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}=[\x21-\x3a\x3c\x3e-\x7e]+$/.test(field)) {
      return fail({ code: 'bad-field', field });
    }
  }
  if (rua === null) return fail({ code: 'no-rua' });
  return { ok: true, rua };
}

export function tlsRptProblemText(problem: TlsRptProblem, t: Translator = ENGLISH): string {
  switch (problem.code) {
    case 'prefix': return t.t('dns.tlsrptRecord.prefix');
    case 'two-rua': return t.t('dns.tlsrptRecord.twoRua');
    case 'bad-uri': return t.t('dns.tlsrptRecord.badUri', { uri: problem.uri });
    case 'bad-field': return t.t('dns.tlsrptRecord.badField', { field: problem.field });
    case 'no-rua': return t.t('dns.tlsrptRecord.noRua');
  }
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

export function tlsrptCheck({ domain, record }: TlsRptInput, t: Translator = ENGLISH): Check {
  const name = `_smtp._tls.${domain}`;
  const example = `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`), t);
  const reports = record.ok ? record.records.filter((r) => /^v=tlsrptv1/i.test(r)) : [];
  const parsed = reports.length === 1 ? parseTlsRptRecord(reports[0]) : null;
  const expected = parsed?.ok ? `${name} TXT "${reports[0]}"` : t.t('dns.tlsrpt.expected', { name, example });
  const verdict = (status: CheckStatus, message: string) => check('tlsrpt', status, expected, found, message);

  if (!record.ok && !isMissing(record)) return verdict('error', lookupFailedMessage(record, name, t));
  if (reports.length === 0) return verdict('info', t.t('dns.tlsrpt.missing', { name, example }));
  if (reports.length > 1) return verdict('warning', t.t('dns.tlsrpt.several', { name, count: reports.length }));
  if (parsed && !parsed.ok) return verdict('warning', t.t('dns.tlsrpt.invalid', { record: reports[0], reason: tlsRptProblemText(parsed.problem, t), example }));
  return verdict('ok', t.t('dns.tlsrpt.ok', { rua: t.list(parsed?.ok ? parsed.rua : []) }));
}

export interface DaneInput {
  /** The domain's MX hosts, and for each the `_25._tcp.<host>` TLSA lookup, in the same order. */
  hosts: readonly string[];
  tlsa: ReadonlyArray<LookupResult<'TLSA'>>;
  /** Set when the MX lookup itself failed, so there are no hosts to look at. */
  mxFailure?: string;
}

/** Always `info`: DANE is an independent mechanism, neither required nor in conflict with MTA-STS. */
export function daneCheck({ hosts, tlsa, mxFailure }: DaneInput, t: Translator = ENGLISH): Check {
  const expected = t.t('dns.dane.expected');
  if (hosts.length === 0) {
    const message = mxFailure === undefined ? t.t('dns.dane.noHosts') : t.t('dns.dane.mxFailed', { reason: mxFailure });
    return check('dane', 'info', expected, t.t('dns.found.noMxHosts'), message);
  }
  const found = hosts.map((host, i) => `_25._tcp.${host}: ${foundText(tlsa[i], (records) => records.map(tlsaText), t).replace(/\n/g, '; ')}`).join('\n');
  const present = hosts.filter((_, i) => tlsa[i]?.ok);
  const unknown = hosts.filter((_, i) => tlsa[i] !== undefined && !tlsa[i].ok && !isMissing(tlsa[i]));
  const unknownNote = unknown.length > 0 ? ` ${t.t('dns.dane.unknown', { hosts: t.list(unknown) })}` : '';
  if (present.length === 0) return check('dane', 'info', expected, found, `${t.t('dns.dane.absent')}${unknownNote}`);
  const scope = present.length === hosts.length ? t.t('dns.dane.allHosts') : t.plural('dns.dane.someHosts', present.length, { hosts: t.list(present) });
  return check('dane', 'info', expected, found, `${t.t('dns.dane.present', { scope })}${unknownNote}`);
}

function tlsaText(record: TlsaRecord): string {
  const data = record.data.length > 16 ? `${record.data.slice(0, 16)}...` : record.data;
  return `${record.usage} ${record.selector} ${record.matchingType} ${data}`;
}

// Verdicts on the records that accompany MTA-STS: TLS-RPT (RFC 8460) and DANE TLSA (RFC 7672).
import type { LookupResult, TlsaRecord } from '../../dns';
import { parseTlsRptRecord, type TlsRptProblem } from '../../tlsrpt';
import { ENGLISH, check, foundText, isMissing, lookupFailedMessage, notCheckedNote, type Check, type CheckStatus, type Translator } from './kit';

export function tlsRptProblemText(problem: TlsRptProblem, t: Translator = ENGLISH): string {
  switch (problem.code) {
    case 'prefix': return t.t('dns.tlsrptRecord.prefix');
    case 'two-rua': return t.t('dns.tlsrptRecord.twoRua');
    case 'bad-uri': return t.t('dns.tlsrptRecord.badUri', { uri: problem.uri });
    case 'bad-field': return t.t('dns.tlsrptRecord.badField', { field: problem.field });
    case 'no-rua': return t.t('dns.tlsrptRecord.noRua');
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
  /** MX hosts past the check's bound, best preference first: not looked up, said so. */
  unchecked?: readonly string[];
}

/** Always `info`: DANE is an independent mechanism, neither required nor in conflict with MTA-STS. */
export function daneCheck(input: DaneInput, t: Translator = ENGLISH): Check {
  const result = daneVerdict(input, t);
  const note = notCheckedNote('dns.dane.notChecked', input.hosts.length, input.unchecked, t);
  return note === '' ? result : { ...result, message: `${result.message} ${note}` };
}

function daneVerdict({ hosts, tlsa, mxFailure }: DaneInput, t: Translator): Check {
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

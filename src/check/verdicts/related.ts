// Verdicts on the records that accompany MTA-STS: TLS-RPT (RFC 8460). DANE is in dane.ts.
import type { LookupResult } from '../../dns';
import { parseTlsRptRecord, tlsRptRecord, type TlsRptProblem } from '../../reports';
import {
  foundText,
  isMissing,
  list,
  lookupFailedMessage,
  msg,
  verdict,
  type CheckParams,
  type CheckStatus,
  type Finding,
  type Text,
  type Verdict,
} from './kit';
import { tlsRptName } from '../../policy/records';

export function tlsRptProblemText(problem: TlsRptProblem): Text {
  switch (problem.code) {
    case 'prefix':
      return msg('dns.tlsrptRecord.prefix');
    case 'two-rua':
      return msg('dns.tlsrptRecord.twoRua');
    case 'bad-uri':
      return msg('dns.tlsrptRecord.badUri', { uri: problem.uri });
    case 'bad-field':
      return msg('dns.tlsrptRecord.badField', { field: problem.field });
    case 'no-rua':
      return msg('dns.tlsrptRecord.noRua');
  }
}

export interface TlsRptInput {
  domain: string;
  /** `_smtp._tls.<domain>` TXT. */
  record: LookupResult<'TXT'>;
  /** The report addresses configured in the panel (the tab's rua); absent or empty when none are. */
  configured?: readonly string[] | null;
}

/** The same addresses, in any order: senders treat the rua as a set. */
function sameRua(a: readonly string[], b: readonly string[]): boolean {
  const key = (list: readonly string[]) => [...new Set(list.map((uri) => uri.trim()))].sort().join('\n');
  return key(a) === key(b);
}

export function tlsrptCheck({ domain, record, configured }: TlsRptInput): Verdict {
  const name = tlsRptName(domain);
  // With report addresses configured, the record to publish is the panel's, not an example.
  const wanted = configured && configured.length > 0 ? tlsRptRecord(configured) : null;
  const example = wanted ?? `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`));
  const reports = record.ok ? record.records.filter((r) => /^v=tlsrptv1/i.test(r)) : [];
  const parsed = reports.length === 1 ? parseTlsRptRecord(reports[0]) : null;
  const expected = wanted !== null ? `${name} TXT "${wanted}"` : parsed?.ok ? `${name} TXT "${reports[0]}"` : msg('dns.tlsrpt.expected', { name, example });
  const say = (finding: Finding<'tlsrpt'>, status: CheckStatus, message: Text, params?: CheckParams) =>
    verdict('tlsrpt', finding, status, expected, found, message, params);

  if (!record.ok && !isMissing(record)) return say('lookup-failed', 'error', lookupFailedMessage(record, name), { failure: record.failure });
  if (reports.length === 0 && wanted !== null && configured) {
    return say('not-published', 'warning', msg('dns.tlsrpt.notPublished', { name, record: wanted, configured: list(configured) }), {
      configured: [...configured],
      record: wanted,
    });
  }
  if (reports.length === 0) return say('missing', 'info', msg('dns.tlsrpt.missing', { name, example }));
  if (reports.length > 1) return say('several', 'warning', msg('dns.tlsrpt.several', { name, count: reports.length }), { count: reports.length });
  if (parsed && !parsed.ok) {
    return say('invalid', 'warning', msg('dns.tlsrpt.invalid', { record: reports[0], reason: tlsRptProblemText(parsed.problem), example }), {
      record: reports[0],
      problem: parsed.problem.code,
    });
  }
  const rua = parsed?.ok ? parsed.rua : [];
  if (wanted !== null && configured && !sameRua(rua, configured)) {
    return say('differs', 'warning', msg('dns.tlsrpt.differs', { name, rua: list(rua), configured: list(configured), record: wanted }), {
      rua,
      configured: [...configured],
      record: wanted,
    });
  }
  // RFC 8460 section 3 lets senders choose which kinds of address they support; mail is the one all do.
  if (rua.length > 0 && rua.every((uri) => /^https:/i.test(uri.trim())))
    return say('https-only', 'warning', msg('dns.tlsrpt.httpsOnly', { rua: list(rua) }), { rua });
  return say('ok', 'ok', msg('dns.tlsrpt.ok', { rua: list(rua) }), { rua });
}

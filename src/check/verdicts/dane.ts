// The verdict on DANE for SMTP (RFC 7672): each MX host's TLSA records compared with the
// certificate chain its STARTTLS probe received, and whether the resolver vouched for the answers
// with DNSSEC. It matters beside MTA-STS because MTA-STS does not override a failing DANE check
// (RFC 8461 section 2): a DANE sender that finds no matching record does not deliver at all.
import type { LookupResult, TlsaRecord } from '../../dns';
import type { MxTlsProbeResult } from '../../probes';
import { compareTlsa, type TlsaComparison, type TlsaProblem } from './tlsa';
import {
  foundText,
  isMissing,
  joined,
  list,
  msg,
  notCheckedNote,
  plural,
  sentences,
  verdict,
  type CheckParams,
  type CheckStatus,
  type Text,
  type Verdict,
} from './kit';

export interface DaneInput {
  /** The domain's MX hosts, and for each the `_25._tcp.<host>` TLSA lookup, in the same order. */
  hosts: readonly string[];
  tlsa: ReadonlyArray<LookupResult<'TLSA'>>;
  /** Each host's STARTTLS probe, in the same order; null or absent when the probe is off. */
  probes?: ReadonlyArray<MxTlsProbeResult | undefined> | null;
  /** Set when the MX lookup itself failed, so there are no hosts to look at. */
  mxFailure?: Text;
  /** MX hosts past the check's bound, best preference first: not looked up, said so. */
  unchecked?: readonly string[];
}

/** What the resolver said about the TLSA answer's authenticity. */
type Security = 'validated' | 'not-validated' | 'unsigned' | 'unknown';

interface HostDane {
  host: string;
  records: TlsaRecord[];
  security: Security;
  /** null: not compared, the probe got no certificate. */
  comparison: TlsaComparison | null;
}

/**
 * The findings from the worst down; the verdict's code is the first that any host has, and the
 * others become further sentences. An unsigned zone's mismatch is no error: senders ignore TLSA
 * records they cannot validate, so it counts as `unsigned`.
 */
const RANKED = ['mismatch', 'unusable', 'unsigned', 'fragile', 'not-validated', 'single-key'] as const;
type HostFinding = (typeof RANKED)[number];
const STATUS: Record<HostFinding, CheckStatus> = {
  mismatch: 'error',
  unusable: 'warning',
  unsigned: 'warning',
  fragile: 'warning',
  'not-validated': 'info',
  'single-key': 'info',
};
const MESSAGE = {
  mismatch: 'dns.dane.mismatch',
  unusable: 'dns.dane.unusable',
  unsigned: 'dns.dane.unsigned',
  fragile: 'dns.dane.fragile',
  'not-validated': 'dns.dane.notValidated',
  'single-key': 'dns.dane.singleKey',
} as const satisfies Record<HostFinding, string>;
const PARAM: Record<HostFinding, string> = {
  mismatch: 'mismatch',
  unusable: 'unusable',
  unsigned: 'unsigned',
  fragile: 'fullCertificate',
  'not-validated': 'notValidated',
  'single-key': 'singleKey',
};

/** `info` while nothing is wrong; an error when DANE senders would refuse the host. */
export function daneCheck(input: DaneInput): Verdict {
  const result = daneVerdict(input);
  const note = notCheckedNote('dns.dane.notChecked', input.hosts.length, input.unchecked);
  if (note === null) return result;
  return { ...result, params: { ...result.params, unchecked: input.unchecked ?? [] }, message: sentences(result.message, note) };
}

function daneVerdict({ hosts, tlsa, probes, mxFailure }: DaneInput): Verdict {
  const expected = msg('dns.dane.expected');
  if (hosts.length === 0) {
    if (mxFailure === undefined) return verdict('dane', 'no-hosts', 'info', expected, msg('dns.found.noMxHosts'), msg('dns.dane.noHosts'));
    return verdict('dane', 'mx-failed', 'info', expected, msg('dns.found.noMxHosts'), msg('dns.dane.mxFailed', { reason: mxFailure }));
  }
  const dane: HostDane[] = [];
  hosts.forEach((host, i) => {
    const answer = tlsa[i];
    if (answer?.ok) dane.push(hostDane(host, answer, probes?.[i]));
  });
  const found = joined(
    hosts.map((host, i) => {
      const line: Text[] = [`_25._tcp.${host}: `, foundText(tlsa[i], (records) => records.map(tlsaText), '; ')];
      const state = dane.find((d) => d.host === host);
      if (state) line.push(' (', hostState(state), ')');
      return joined(line, '');
    }),
    '\n',
  );
  const present = dane.map((d) => d.host);
  const unknown = hosts.filter((_, i) => tlsa[i] !== undefined && !tlsa[i].ok && !isMissing(tlsa[i]));
  const unknownNote = unknown.length > 0 && msg('dns.dane.unknown', { hosts: list(unknown) });
  const byFinding = Object.fromEntries(RANKED.map((f) => [f, dane.filter((d) => hostFindings(d).includes(f))])) as Record<HostFinding, HostDane[]>;
  const matched = dane.filter((d) => d.comparison?.outcome === 'match').map((d) => d.host);
  const uncompared = dane.filter((d) => d.comparison === null).map((d) => d.host);
  const params: CheckParams = {
    hosts: present,
    unknown,
    match: matched,
    uncompared,
    ...Object.fromEntries(RANKED.map((f) => [PARAM[f], byFinding[f].map((d) => d.host)])),
  };
  if (present.length === 0) return verdict('dane', 'absent', 'info', expected, found, sentences(msg('dns.dane.absent'), unknownNote), params);

  const notes: Text[] = RANKED.filter((f) => byFinding[f].length > 0).map((f) => findingText(f, byFinding[f]));
  const validated = dane.every((d) => d.security === 'validated') && msg('dns.dane.validated');
  const uncomparedNote = uncompared.length > 0 && matched.length + byFinding.mismatch.length > 0 && msg('dns.dane.uncompared', { hosts: list(uncompared) });
  const first = RANKED.find((f) => byFinding[f].length > 0);
  if (first !== undefined) {
    const matchNote = matched.length > 0 && msg('dns.dane.match', { hosts: list(matched) });
    return verdict('dane', first, STATUS[first], expected, found, sentences(...notes, matchNote, uncomparedNote, validated, unknownNote), params);
  }
  const scope = present.length === hosts.length ? msg('dns.dane.allHosts') : plural('dns.dane.someHosts', present.length, { hosts: list(present) });
  if (matched.length > 0) {
    return verdict(
      'dane',
      'match',
      'ok',
      expected,
      found,
      sentences(msg('dns.dane.match', { hosts: list(matched) }), uncomparedNote, validated, unknownNote),
      params,
    );
  }
  return verdict('dane', 'present', 'info', expected, found, sentences(msg('dns.dane.present', { scope }), validated, unknownNote), params);
}

function hostDane(host: string, answer: Extract<LookupResult<'TLSA'>, { ok: true }>, probe: MxTlsProbeResult | undefined): HostDane {
  const chain = probe?.chain ?? [];
  const state = answer.dnssec;
  const security: Security = state === undefined ? 'unknown' : state.authenticated ? 'validated' : state.signed ? 'not-validated' : 'unsigned';
  return { host, records: answer.records, security, comparison: chain.length > 0 ? compareTlsa(host, answer.records, chain) : null };
}

function hostFindings({ security, comparison }: HostDane): HostFinding[] {
  const findings: HostFinding[] = [];
  if (comparison?.outcome === 'mismatch' && security !== 'unsigned') findings.push('mismatch');
  if (comparison?.outcome === 'unusable') findings.push('unusable');
  if (security === 'unsigned') findings.push('unsigned');
  if (security === 'not-validated') findings.push('not-validated');
  if (comparison?.fullCertificate) findings.push('fragile');
  if (comparison?.singleKey && comparison.outcome === 'match') findings.push('single-key');
  return findings;
}

function findingText(finding: HostFinding, hosts: readonly HostDane[]): Text {
  const names = list(hosts.map((d) => d.host));
  switch (finding) {
    case 'mismatch': {
      const records = hosts.flatMap((d) => (d.comparison?.suggestion ? [`_25._tcp.${d.host} TLSA ${d.comparison.suggestion}`] : []));
      return msg('dns.dane.mismatch', { hosts: names, records: joined(records, ', ') });
    }
    case 'unusable': {
      const problems = [...new Set(hosts.flatMap((d) => d.comparison?.problems ?? []))];
      return msg('dns.dane.unusable', { hosts: names, reasons: list(problems.map(problemText)) });
    }
    default:
      return msg(MESSAGE[finding], { hosts: names });
  }
}

function problemText(problem: TlsaProblem): Text {
  switch (problem) {
    case 'pkix':
      return msg('dns.dane.problem.pkix');
    case 'unknown-parameters':
      return msg('dns.dane.problem.unknown');
    case 'malformed':
      return msg('dns.dane.problem.malformed');
  }
}

/** The host's line in `found`: what the comparison and DNSSEC said. */
function hostState({ security, comparison }: HostDane): Text {
  const compared = comparison === null ? msg('dns.dane.state.uncompared') : msg(`dns.dane.state.${comparison.outcome}`);
  if (security === 'unknown') return compared;
  const dnssec =
    security === 'validated' ? msg('dns.dane.state.validated') : security === 'unsigned' ? msg('dns.dane.state.unsigned') : msg('dns.dane.state.notValidated');
  return joined([compared, dnssec], ', ');
}

function tlsaText(record: TlsaRecord): string {
  const data = record.data.length > 16 ? `${record.data.slice(0, 16)}...` : record.data;
  return `${record.usage} ${record.selector} ${record.matchingType} ${data}`;
}

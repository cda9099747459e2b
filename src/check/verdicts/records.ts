// Verdicts on what the domain's DNS holds for MTA-STS itself: the TXT record, the policy host
// name and the MX hosts. Pure functions over lookup results.
import { problemText } from '../../text/problems';
import { mxMatches, normalizeHost, parseStsRecord, servedMode, staleEntries, stsRecordValue, uncoveredHosts, type StoredPolicy } from '../../policy';
import type { LookupResult, MxRecord } from '../../dns';
import {
  foundText,
  isMissing,
  list,
  lookupFailedMessage,
  msg,
  plural,
  sentences,
  severityFor,
  verdict,
  worst,
  type CheckParams,
  type CheckStatus,
  type Finding,
  type Text,
  type Verdict,
} from './kit';
import { delegatedTxtName, policyHostName, stsTxtName } from '../../policy/records';

const STS_LIKE = /^v=stsv1/i;

export interface StsTxtInput {
  domain: string;
  policy: Pick<StoredPolicy, 'id' | 'active'>;
  /** `_mta-sts.<domain>` TXT. */
  record: LookupResult<'TXT'>;
  /** `<domain>` TXT, to spot an STS record published at the wrong name. */
  apex: LookupResult<'TXT'>;
  /** CNAME delegation: the panel's zone; `_mta-sts.<domain>` must then be a CNAME to `<domain>._mta-sts.<zone>`. */
  delegationZone?: string | null;
}

export function stsTxtCheck({ domain, policy, record, apex, delegationZone }: StsTxtInput): Verdict {
  const name = stsTxtName(domain);
  const target = delegationZone ? delegatedTxtName(domain, delegationZone) : null;
  const direct: Text = policy.id === null ? msg('dns.stsTxt.expectedNoId', { name }) : `${name} TXT "${stsRecordValue(policy.id)}"`;
  // Delegated, the customer's CNAME and the panel's TXT at its target are both expected.
  const expected: Text =
    target === null ? direct : policy.id === null ? `${name} CNAME ${target}` : `${name} CNAME ${target}\n${target} TXT "${stsRecordValue(policy.id)}"`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`));
  const say = (finding: Finding<'sts-txt'>, status: CheckStatus, message: Text, params?: CheckParams) =>
    verdict('sts-txt', finding, status, expected, found, message, params);
  if (!record.ok && !isMissing(record)) return say('lookup-failed', 'error', lookupFailedMessage(record, name), { failure: record.failure });

  const records = record.ok ? record.records : [];
  const sts = records.filter((r) => STS_LIKE.test(r));
  const others = records.length - sts.length;
  // Senders discard TXT records that are not STS records, so these are harmless but likely leftovers.
  const othersNote = others > 0 && plural('dns.stsTxt.others', others, { name });
  const atApex = apex.ok ? apex.records.filter((r) => STS_LIKE.test(r)) : [];
  const apexNote = atApex.length > 0 && msg('dns.stsTxt.apex', { domain, record: atApex[0], name });
  const noted = (finding: Finding<'sts-txt'>, status: CheckStatus, main: Text, params?: CheckParams) =>
    say(finding, status, sentences(main, apexNote, othersNote), params);

  if (policy.id === null) return noted('no-id', 'info', msg('dns.stsTxt.saveFirst'));
  const value = stsRecordValue(policy.id);
  const publish = msg('dns.stsTxt.publish', { name, value });
  if (!policy.active) {
    if (sts.length === 0) return noted('inactive', 'info', msg('dns.stsTxt.inactiveNone', { publish }), { value });
    return noted('inactive-published', 'warning', msg('dns.stsTxt.inactiveStill', { name }));
  }
  if (target !== null) {
    // The resolver follows CNAMEs and lists the chain: the customer's part is the CNAME to the
    // target, the panel's part is the TXT at the target. Each missing part is said on its own.
    if (!(record.cnames ?? []).some((hop) => normalizeHost(hop) === target))
      return noted('delegation-cname-missing', 'error', msg('dns.stsTxt.delegationCname', { name, target }), { target });
    if (sts.length === 0) return noted('delegation-txt-missing', 'error', msg('dns.stsTxt.delegationTxt', { name, target, domain, value }), { target, value });
  }
  if (sts.length === 0) return noted('missing', 'error', msg('dns.stsTxt.missing', { publish }), { value });
  if (sts.length > 1) return noted('several', 'error', msg('dns.stsTxt.several', { name, count: sts.length, value }), { count: sts.length, value });
  const parsed = parseStsRecord(sts[0]);
  if (!parsed.ok) {
    const reason = problemText(parsed);
    return noted('invalid', 'error', msg('dns.stsTxt.invalid', { record: sts[0], reason, value }), { record: sts[0], problem: parsed.code, value });
  }
  if (parsed.id !== policy.id) {
    return noted('other-id', 'error', msg('dns.stsTxt.otherId', { found: parsed.id, id: policy.id, value }), { found: parsed.id, id: policy.id, value });
  }
  // The record itself is right; a copy at the bare domain is what is left to fix.
  if (atApex.length > 0) return noted('apex', 'warning', msg('dns.stsTxt.ok'), { record: atApex[0] });
  return noted('ok', 'ok', msg('dns.stsTxt.ok'));
}

export interface StsHostInput {
  domain: string;
  mailHostname: string;
  /** `mta-sts.<domain>` CNAME, and its A/AAAA (which follow a CNAME). */
  cname: LookupResult<'CNAME'>;
  a: LookupResult<'A'>;
  aaaa: LookupResult<'AAAA'>;
  /** `mailHostname` A/AAAA, to compare when the policy host has addresses instead of a CNAME. */
  mailA: LookupResult<'A'>;
  mailAaaa: LookupResult<'AAAA'>;
}

export function stsHostCheck(input: StsHostInput): Verdict {
  const host = policyHostName(input.domain);
  const target = normalizeHost(input.mailHostname);
  const record = `${host} CNAME ${target}`;
  const hostAddresses = addresses(input.a, input.aaaa);
  const mailAddresses = addresses(input.mailA, input.mailAaaa);
  const cnameTo = input.cname.ok ? input.cname.records[0] : null;
  const found: Text =
    cnameTo !== null
      ? `${host} CNAME ${cnameTo}`
      : hostAddresses.length > 0
        ? [...recordLines(host, 'A', input.a), ...recordLines(host, 'AAAA', input.aaaa)].join('\n')
        : foundText(input.cname, () => []);
  const say = (finding: Finding<'sts-host'>, status: CheckStatus, message: Text, params?: CheckParams) =>
    verdict('sts-host', finding, status, record, found, message, params);
  const add = msg('dns.stsHost.add', { record });

  if (!input.cname.ok && !isMissing(input.cname))
    return say('lookup-failed', 'error', lookupFailedMessage(input.cname, host), { failure: input.cname.failure });
  if (cnameTo !== null) {
    // A chain that passes through the mail host ends at the same server, which is what counts.
    const reaches = cnameTo === target || input.a.cnames.includes(target) || input.aaaa.cnames.includes(target);
    if (!reaches) return say('elsewhere', 'error', msg('dns.stsHost.elsewhere', { host, cname: cnameTo, record }), { cname: cnameTo, target });
    if (isMissing(input.mailA) && isMissing(input.mailAaaa))
      return say('target-unreachable', 'error', msg('dns.stsHost.targetUnreachable', { host, target }), { target });
    return say('ok', 'ok', msg('dns.stsHost.ok', { host }));
  }
  if (input.cname.ok === false && input.cname.failure === 'nxdomain') return say('nxdomain', 'error', msg('dns.stsHost.nxdomain', { host, add }), { record });
  if (hostAddresses.length === 0) return say('nothing', 'error', msg('dns.stsHost.nothing', { host, add }), { record });
  if ([input.mailA, input.mailAaaa].some((r) => !r.ok && !isMissing(r))) {
    return say('cannot-compare', 'warning', msg('dns.stsHost.cannotCompare', { host, target, record }), { addresses: hostAddresses });
  }
  if (sameSet(hostAddresses, mailAddresses))
    return say('same-addresses', 'ok', msg('dns.stsHost.sameAddresses', { host, target, record }), { addresses: hostAddresses });
  return say(
    'other-addresses',
    'warning',
    msg('dns.stsHost.otherAddresses', {
      host,
      target,
      record,
      addresses: list(hostAddresses),
      targetAddresses: mailAddresses.length > 0 ? list(mailAddresses) : msg('word.none'),
    }),
    { addresses: hostAddresses, targetAddresses: mailAddresses },
  );
}

export interface MxInput {
  domain: string;
  policy: Pick<StoredPolicy, 'active' | 'mode' | 'mx'>;
  mailHostname: string;
  mx: LookupResult<'MX'>;
}

export function mxCheck({ domain, policy, mailHostname, mx }: MxInput): Verdict {
  const patterns = policy.mx;
  const expected = patterns.length > 0 ? msg('dns.mx.expected', { patterns: patterns.join(', ') }) : msg('dns.mx.expectedNoEntries');
  const hosts = mxHosts(mx);
  const found = foundText(mx, (records) =>
    sortMx(records).map((r) => {
      if (r.exchange === '') return msg('dns.mx.found.null', { preference: r.preference });
      const match = patterns.find((p) => mxMatches(p, r.exchange));
      return match
        ? msg('dns.mx.found.matches', { preference: r.preference, host: r.exchange, pattern: match })
        : msg('dns.mx.found.unmatched', { preference: r.preference, host: r.exchange });
    }),
  );
  const say = (finding: Finding<'mx'>, status: CheckStatus, message: Text, params?: CheckParams) =>
    verdict('mx', finding, status, expected, found, message, params);
  if (!mx.ok && !isMissing(mx)) return say('lookup-failed', 'error', lookupFailedMessage(mx, msg('dns.what.mxRecords', { domain })), { failure: mx.failure });
  if (hosts.length === 0) {
    if (mx.ok) return say('null-mx', 'warning', msg('dns.mx.nullMx', { domain }));
    return say('none', 'warning', msg('dns.mx.none', { domain, mailHostname: normalizeHost(mailHostname) }));
  }

  // Each problem adds its sentences; the first one found is the check's code.
  const findings: Array<{ finding: Finding<'mx'>; status: CheckStatus; notes: Text[]; params: CheckParams }> = [];
  const unmatched = uncoveredHosts(hosts, patterns);
  if (unmatched.length > 0) {
    const names = list(unmatched);
    const mode = servedMode(policy);
    const consequence = mode === 'enforce' ? 'dns.mx.refused' : mode === 'testing' ? 'dns.mx.reported' : 'dns.mx.later';
    const own = normalizeHost(mailHostname);
    findings.push({
      finding: 'uncovered',
      status: severityFor(policy),
      notes: [
        plural(consequence, unmatched.length, { hosts: names }),
        unmatched.includes(own) ? msg('dns.mx.addOwn', { hosts: names, own }) : msg('dns.mx.add', { hosts: names }),
      ],
      params: { hosts: unmatched },
    });
  }
  const stale = staleEntries(patterns, hosts);
  if (stale.length > 0)
    findings.push({ finding: 'stale', status: 'warning', notes: [plural('dns.mx.stale', stale.length, { entries: list(stale) })], params: { entries: stale } });
  if (patterns.includes(`*.${domain}`))
    findings.push({ finding: 'broad', status: 'warning', notes: [msg('dns.mx.broad', { domain })], params: { entry: `*.${domain}` } });
  if (findings.length === 0) return say('ok', 'ok', msg('dns.mx.ok'));
  const main = findings[0];
  return say(main.finding, worst(...findings.map((f) => f.status)), sentences(...findings.flatMap((f) => f.notes)), main.params);
}

/** The real MX host names, best preference first, without the null MX and duplicates. */
export function mxHosts(mx: LookupResult<'MX'>): string[] {
  if (!mx.ok) return [];
  return [
    ...new Set(
      sortMx(mx.records)
        .map((r) => normalizeHost(r.exchange))
        .filter((h) => h !== ''),
    ),
  ];
}

function sortMx(records: readonly MxRecord[]): MxRecord[] {
  return [...records].sort((a, b) => a.preference - b.preference || a.exchange.localeCompare(b.exchange));
}

function addresses(a: LookupResult<'A'>, aaaa: LookupResult<'AAAA'>): string[] {
  return [...(a.ok ? a.records : []), ...(aaaa.ok ? aaaa.records : [])];
}

function recordLines(host: string, type: 'A' | 'AAAA', result: LookupResult<'A'> | LookupResult<'AAAA'>): string[] {
  return result.ok ? result.records.map((address) => `${host} ${type} ${address}`) : [];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((x) => x.toLowerCase()));
  const right = new Set(b.map((x) => x.toLowerCase()));
  return left.size === right.size && [...left].every((x) => right.has(x));
}

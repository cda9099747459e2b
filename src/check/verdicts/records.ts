// Verdicts on what the domain's DNS holds for MTA-STS itself: the TXT record, the policy host
// name and the MX hosts. Pure functions over lookup results.
import { sayProblem } from '../../i18n/policy-text';
import { mxMatches, normalizeHost, parseStsRecord, servedMode, staleEntries, stsRecordValue, uncoveredHosts, type StoredPolicy } from '../../policy';
import type { LookupResult, MxRecord } from '../../dns';
import {
  ENGLISH, check, foundText, isMissing, lookupFailedMessage, sentences, severityFor, worst,
  type Check, type CheckStatus, type Translator,
} from './kit';

const STS_LIKE = /^v=stsv1/i;

export interface StsTxtInput {
  domain: string;
  policy: Pick<StoredPolicy, 'id' | 'active'>;
  /** `_mta-sts.<domain>` TXT. */
  record: LookupResult<'TXT'>;
  /** `<domain>` TXT, to spot an STS record published at the wrong name. */
  apex: LookupResult<'TXT'>;
}

export function stsTxtCheck({ domain, policy, record, apex }: StsTxtInput, t: Translator = ENGLISH): Check {
  const name = `_mta-sts.${domain}`;
  const expected = policy.id === null ? t.t('dns.stsTxt.expectedNoId', { name }) : `${name} TXT "${stsRecordValue(policy.id)}"`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`), t);
  const verdict = (status: CheckStatus, message: string) => check('sts-txt', status, expected, found, message);
  if (!record.ok && !isMissing(record)) return verdict('error', lookupFailedMessage(record, name, t));

  const records = record.ok ? record.records : [];
  const sts = records.filter((r) => STS_LIKE.test(r));
  const others = records.length - sts.length;
  // Senders discard TXT records that are not STS records, so these are harmless but likely leftovers.
  const othersNote = others > 0 && t.plural('dns.stsTxt.others', others, { name });
  const atApex = apex.ok ? apex.records.filter((r) => STS_LIKE.test(r)) : [];
  const apexNote = atApex.length > 0 && t.t('dns.stsTxt.apex', { domain, record: atApex[0], name });
  const say = (status: CheckStatus, main: string) => verdict(status, sentences(main, apexNote, othersNote));

  if (policy.id === null) return say('info', t.t('dns.stsTxt.saveFirst'));
  const value = stsRecordValue(policy.id);
  const publish = t.t('dns.stsTxt.publish', { name, value });
  if (!policy.active) {
    if (sts.length === 0) return say('info', t.t('dns.stsTxt.inactiveNone', { publish }));
    return say('warning', t.t('dns.stsTxt.inactiveStill', { name }));
  }
  if (sts.length === 0) return say('error', t.t('dns.stsTxt.missing', { publish }));
  if (sts.length > 1) return say('error', t.t('dns.stsTxt.several', { name, count: sts.length, value }));
  const parsed = parseStsRecord(sts[0]);
  if (!parsed.ok) {
    return say('error', t.t('dns.stsTxt.invalid', { record: sts[0], reason: sayProblem(t.locale, parsed), value }));
  }
  if (parsed.id !== policy.id) return say('error', t.t('dns.stsTxt.otherId', { found: parsed.id, id: policy.id, value }));
  return say(atApex.length > 0 ? 'warning' : 'ok', t.t('dns.stsTxt.ok'));
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

export function stsHostCheck(input: StsHostInput, t: Translator = ENGLISH): Check {
  const host = `mta-sts.${input.domain}`;
  const target = normalizeHost(input.mailHostname);
  const record = `${host} CNAME ${target}`;
  const hostAddresses = addresses(input.a, input.aaaa);
  const mailAddresses = addresses(input.mailA, input.mailAaaa);
  const cnameTo = input.cname.ok ? input.cname.records[0] : null;
  const found = cnameTo !== null
    ? `${host} CNAME ${cnameTo}`
    : hostAddresses.length > 0
      ? [...recordLines(host, 'A', input.a), ...recordLines(host, 'AAAA', input.aaaa)].join('\n')
      : foundText(input.cname, () => [], t);
  const verdict = (status: CheckStatus, message: string) => check('sts-host', status, record, found, message);
  const add = t.t('dns.stsHost.add', { record });

  if (!input.cname.ok && !isMissing(input.cname)) return verdict('error', lookupFailedMessage(input.cname, host, t));
  if (cnameTo !== null) {
    // A chain that passes through the mail host ends at the same server, which is what counts.
    const reaches = cnameTo === target || input.a.cnames.includes(target) || input.aaaa.cnames.includes(target);
    if (!reaches) return verdict('error', t.t('dns.stsHost.elsewhere', { host, cname: cnameTo, record }));
    if (isMissing(input.mailA) && isMissing(input.mailAaaa)) return verdict('error', t.t('dns.stsHost.targetUnreachable', { host, target }));
    return verdict('ok', t.t('dns.stsHost.ok', { host }));
  }
  if (input.cname.ok === false && input.cname.failure === 'nxdomain') return verdict('error', t.t('dns.stsHost.nxdomain', { host, add }));
  if (hostAddresses.length === 0) return verdict('error', t.t('dns.stsHost.nothing', { host, add }));
  if ([input.mailA, input.mailAaaa].some((r) => !r.ok && !isMissing(r))) return verdict('warning', t.t('dns.stsHost.cannotCompare', { host, target, record }));
  if (sameSet(hostAddresses, mailAddresses)) return verdict('ok', t.t('dns.stsHost.sameAddresses', { host, target, record }));
  return verdict('warning', t.t('dns.stsHost.otherAddresses', {
    host, target, record, addresses: t.list(hostAddresses), targetAddresses: t.list(mailAddresses) || t.t('word.none'),
  }));
}

export interface MxInput {
  domain: string;
  policy: Pick<StoredPolicy, 'active' | 'mode' | 'mx'>;
  mailHostname: string;
  mx: LookupResult<'MX'>;
}

export function mxCheck({ domain, policy, mailHostname, mx }: MxInput, t: Translator = ENGLISH): Check {
  const patterns = policy.mx;
  const expected = patterns.length > 0 ? t.t('dns.mx.expected', { patterns: patterns.join(', ') }) : t.t('dns.mx.expectedNoEntries');
  const hosts = mxHosts(mx);
  const found = foundText(mx, (records) => sortMx(records).map((r) => {
    if (r.exchange === '') return t.t('dns.mx.found.null', { preference: r.preference });
    const match = patterns.find((p) => mxMatches(p, r.exchange));
    return match
      ? t.t('dns.mx.found.matches', { preference: r.preference, host: r.exchange, pattern: match })
      : t.t('dns.mx.found.unmatched', { preference: r.preference, host: r.exchange });
  }), t);
  const verdict = (status: CheckStatus, message: string) => check('mx', status, expected, found, message);
  if (!mx.ok && !isMissing(mx)) return verdict('error', lookupFailedMessage(mx, t.t('dns.what.mxRecords', { domain }), t));
  if (hosts.length === 0) {
    if (mx.ok) return verdict('warning', t.t('dns.mx.nullMx', { domain }));
    return verdict('warning', t.t('dns.mx.none', { domain, mailHostname: normalizeHost(mailHostname) }));
  }

  const statuses: CheckStatus[] = [];
  const notes: string[] = [];
  const unmatched = uncoveredHosts(hosts, patterns);
  if (unmatched.length > 0) {
    statuses.push(severityFor(policy));
    const names = t.list(unmatched);
    const mode = servedMode(policy);
    const consequence = mode === 'enforce' ? 'dns.mx.refused' : mode === 'testing' ? 'dns.mx.reported' : 'dns.mx.later';
    notes.push(t.plural(consequence, unmatched.length, { hosts: names }));
    const own = normalizeHost(mailHostname);
    notes.push(unmatched.includes(own) ? t.t('dns.mx.addOwn', { hosts: names, own }) : t.t('dns.mx.add', { hosts: names }));
  }
  const stale = staleEntries(patterns, hosts);
  if (stale.length > 0) {
    statuses.push('warning');
    notes.push(t.plural('dns.mx.stale', stale.length, { entries: t.list(stale) }));
  }
  if (patterns.includes(`*.${domain}`)) {
    statuses.push('warning');
    notes.push(t.t('dns.mx.broad', { domain }));
  }
  if (notes.length === 0) return verdict('ok', t.t('dns.mx.ok'));
  return verdict(worst(...statuses), notes.join(' '));
}

/** The real MX host names, best preference first, without the null MX and duplicates. */
export function mxHosts(mx: LookupResult<'MX'>): string[] {
  if (!mx.ok) return [];
  return [...new Set(sortMx(mx.records).map((r) => normalizeHost(r.exchange)).filter((h) => h !== ''))];
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

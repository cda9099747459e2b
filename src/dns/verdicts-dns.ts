// Verdicts on what the domain's DNS holds for MTA-STS itself: the TXT record, the policy host
// name and the MX hosts. Pure functions over lookup results.
import { mxMatches, parseStsRecord, stsRecordValue, type StoredPolicy } from '../policy';
import type { LookupResult, MxRecord } from './resolver';
import {
  check, foundText, isMissing, list, lookupFailedMessage, normalizeHost, plural, sentences, severityFor, effectiveMode, worst,
  type Check, type CheckStatus,
} from './verdict-kit';

const STS_LIKE = /^v=stsv1/i;

export interface StsTxtInput {
  domain: string;
  policy: Pick<StoredPolicy, 'id' | 'active'>;
  /** `_mta-sts.<domain>` TXT. */
  record: LookupResult<'TXT'>;
  /** `<domain>` TXT, to spot an STS record published at the wrong name. */
  apex: LookupResult<'TXT'>;
}

export function stsTxtCheck({ domain, policy, record, apex }: StsTxtInput): Check {
  const name = `_mta-sts.${domain}`;
  const expected = policy.id === null ? `${name} TXT "v=STSv1; id=<assigned when the policy is first saved>"` : `${name} TXT "${stsRecordValue(policy.id)}"`;
  const found = foundText(record, (records) => records.map((r) => `"${r}"`));
  const verdict = (status: CheckStatus, message: string) => check('sts-txt', status, expected, found, message);
  if (!record.ok && !isMissing(record)) return verdict('error', lookupFailedMessage(record, name));

  const records = record.ok ? record.records : [];
  const sts = records.filter((r) => STS_LIKE.test(r));
  const others = records.length - sts.length;
  // Senders discard TXT records that are not STS records, so these are harmless but likely leftovers.
  const othersNote = others > 0 && `${name} also holds ${plural(others, 'other TXT record')}; senders ignore ${others === 1 ? 'it' : 'them'}, so remove ${others === 1 ? 'it' : 'them'} if left over.`;
  const atApex = apex.ok ? apex.records.filter((r) => STS_LIKE.test(r)) : [];
  const apexNote = atApex.length > 0 && `${domain} itself holds an MTA-STS record ("${atApex[0]}"): senders only look at ${name}, so delete it from ${domain}.`;
  const say = (status: CheckStatus, main: string) => verdict(status, sentences(main, apexNote, othersNote));

  if (policy.id === null) return say('info', 'Save the policy first: the id this record must carry is assigned when the policy is first saved.');
  const publish = `publish a TXT record at ${name} with the value "${stsRecordValue(policy.id)}"`;
  if (!policy.active) {
    if (sts.length === 0) return say('info', `MTA-STS is inactive, so no record is needed. When you activate it, ${publish}.`);
    return say('warning', `MTA-STS is inactive, yet ${name} still announces a policy: senders look for a policy file, find none and report failures. Activate MTA-STS again, or remove the record once every policy you served has expired (RFC 8461 section 8.3).`);
  }
  if (sts.length === 0) return say('error', `There is no MTA-STS record, so senders do not know this domain has a policy: ${publish}.`);
  if (sts.length > 1) {
    return say('error', `${name} holds ${sts.length} MTA-STS records; senders then treat the domain as having no policy. Keep exactly one: "${stsRecordValue(policy.id)}".`);
  }
  const parsed = parseStsRecord(sts[0]);
  if (!parsed.ok) return say('error', `The record "${sts[0]}" is not valid (it ${parsed.message}), so senders ignore it. Replace it with "${stsRecordValue(policy.id)}".`);
  if (parsed.id !== policy.id) {
    return say('error', `The record announces id ${parsed.id}, but the current policy id is ${policy.id}: senders holding an older policy will not fetch the new one. Change the record to "${stsRecordValue(policy.id)}".`);
  }
  return say(atApex.length > 0 ? 'warning' : 'ok', 'The record announces the current policy id.');
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

export function stsHostCheck(input: StsHostInput): Check {
  const host = `mta-sts.${input.domain}`;
  const target = normalizeHost(input.mailHostname);
  const expected = `${host} CNAME ${target}`;
  const hostAddresses = addresses(input.a, input.aaaa);
  const mailAddresses = addresses(input.mailA, input.mailAaaa);
  const cnameTo = input.cname.ok ? input.cname.records[0] : null;
  const found = cnameTo !== null
    ? `${host} CNAME ${cnameTo}`
    : hostAddresses.length > 0
      ? [...recordLines(host, 'A', input.a), ...recordLines(host, 'AAAA', input.aaaa)].join('\n')
      : foundText(input.cname, () => []);
  const verdict = (status: CheckStatus, message: string) => check('sts-host', status, expected, found, message);
  const add = `Add a DNS record: ${expected}.`;

  if (!input.cname.ok && !isMissing(input.cname)) return verdict('error', lookupFailedMessage(input.cname, host));
  if (cnameTo !== null) {
    // A chain that passes through the mail host ends at the same server, which is what counts.
    const reaches = cnameTo === target || input.a.cnames.includes(target) || input.aaaa.cnames.includes(target);
    if (!reaches) return verdict('error', `${host} points to ${cnameTo}, not to this mail server: senders would fetch the policy from elsewhere. Change it to: ${expected}.`);
    if (isMissing(input.mailA) && isMissing(input.mailAaaa)) {
      return verdict('error', `${host} points to ${target}, but ${target} has no A or AAAA record, so senders cannot reach it. Add the address records for ${target}.`);
    }
    return verdict('ok', `${host} points to this mail server, which serves the policy file.`);
  }
  if (input.cname.ok === false && input.cname.failure === 'nxdomain') return verdict('error', `${host} does not exist, so senders cannot fetch the policy. ${add}`);
  if (hostAddresses.length === 0) return verdict('error', `${host} has no CNAME, A or AAAA record, so senders cannot fetch the policy. ${add}`);
  if ([input.mailA, input.mailAaaa].some((r) => !r.ok && !isMissing(r))) {
    return verdict('warning', `${host} has its own addresses, and ${target}'s could not be looked up to compare them. A CNAME is simpler: ${expected}.`);
  }
  if (sameSet(hostAddresses, mailAddresses)) {
    return verdict('ok', `${host} has the same addresses as ${target}. A CNAME (${expected}) would follow future address changes by itself.`);
  }
  return verdict('warning', `${host} has addresses (${list(hostAddresses)}) that differ from ${target}'s (${list(mailAddresses) || 'none'}): senders may reach a server that does not serve this policy. Replace them with: ${expected}.`);
}

export interface MxInput {
  domain: string;
  policy: Pick<StoredPolicy, 'active' | 'mode' | 'mx'>;
  mailHostname: string;
  mx: LookupResult<'MX'>;
}

export function mxCheck({ domain, policy, mailHostname, mx }: MxInput): Check {
  const patterns = policy.mx;
  const expected = patterns.length > 0 ? `MX hosts that each match an MX entry (${patterns.join(', ')})` : 'MX hosts matched by the MX entries of the policy';
  const hosts = mxHosts(mx);
  const found = foundText(mx, (records) => sortMx(records).map((r) => {
    if (r.exchange === '') return `${r.preference} . (null MX: accepts no mail)`;
    const match = patterns.find((p) => mxMatches(p, r.exchange));
    return `${r.preference} ${r.exchange} ${match ? `(matches ${match})` : '(matches no MX entry)'}`;
  }));
  const verdict = (status: CheckStatus, message: string) => check('mx', status, expected, found, message);
  if (!mx.ok && !isMissing(mx)) return verdict('error', lookupFailedMessage(mx, `the MX records of ${domain}`));
  if (hosts.length === 0) {
    if (mx.ok) return verdict('warning', `${domain} publishes a null MX (RFC 7505): it accepts no mail, so MTA-STS has nothing to protect.`);
    return verdict('warning', `${domain} has no MX records, so senders fall back to its own address. Add an MX record for your mail server, e.g. ${domain} MX 10 ${normalizeHost(mailHostname)}.`);
  }

  const statuses: CheckStatus[] = [];
  const notes: string[] = [];
  const unmatched = hosts.filter((h) => !patterns.some((p) => mxMatches(p, h)));
  if (unmatched.length > 0) {
    statuses.push(severityFor(policy));
    const names = list(unmatched);
    const mode = effectiveMode(policy);
    if (mode === 'enforce') notes.push(`Senders will refuse to deliver to ${names}: no MX entry matches ${unmatched.length === 1 ? 'it' : 'them'}.`);
    else if (mode === 'testing') notes.push(`${names} ${unmatched.length === 1 ? 'matches' : 'match'} no MX entry: senders still deliver in testing mode but report failures, and would refuse to deliver in enforce mode.`);
    else notes.push(`${names} ${unmatched.length === 1 ? 'matches' : 'match'} no MX entry; this matters once the policy is active in testing or enforce mode.`);
    const own = normalizeHost(mailHostname);
    notes.push(unmatched.includes(own) ? `Add ${names} to the MX entries (${own} is this mail server).` : `Add ${names} to the MX entries.`);
  }
  const stale = patterns.filter((p) => !hosts.some((h) => mxMatches(p, h)));
  if (stale.length > 0) {
    statuses.push('warning');
    notes.push(`MX ${stale.length === 1 ? 'entry' : 'entries'} ${list(stale)} ${stale.length === 1 ? 'matches' : 'match'} none of the domain's MX hosts: remove ${stale.length === 1 ? 'it' : 'them'} if left over.`);
  }
  if (patterns.includes(`*.${domain}`)) {
    statuses.push('warning');
    notes.push(`The MX entry *.${domain} lets any host in ${domain} with a valid certificate receive mail for it (RFC 8461 section 10.4): list the mail hosts by name instead.`);
  }
  if (notes.length === 0) return verdict('ok', `Every MX host matches an MX entry of the policy.`);
  return verdict(worst(...statuses), notes.join(' '));
}

/** The real MX host names, best preference first, without the null MX and duplicates. */
export function mxHosts(mx: LookupResult<'MX'>): string[] {
  if (!mx.ok) return [];
  return [...new Set(sortMx(mx.records).map((r) => r.exchange).filter((h) => h !== ''))];
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

// CAA (RFC 8659): which CAs may issue the certificate of mta-sts.<domain>. The relevant record set
// is the first one found walking up from the name; a set that does not name the ACME CA makes
// every order fail, so it is said before an order does.
import type { CaaRecord, LookupResult } from '../../dns';
import {
  isMissing,
  joined,
  list,
  lookupFailedMessage,
  lookupFailureText,
  msg,
  verdict,
  type CheckParams,
  type CheckStatus,
  type Finding,
  type Text,
  type Verdict,
} from './kit';
import { policyHostName } from '../../policy/records';

export interface CaaInput {
  domain: string;
  /** CAA lookups of mta-sts.<domain>, then each parent up to the top-level domain, in that order. */
  lookups: LookupResult<'CAA'>[];
  /** The issuer domain of the configured ACME CA (`letsencrypt.org`), when the built-in client is on. */
  acmeCa?: string | null;
}

/** mta-sts.<domain> and every parent below the root, nearest first: where CAA is looked up. */
export function caaNames(domain: string): string[] {
  const labels = policyHostName(domain).split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

/** The issuer domain of an `issue` value: `letsencrypt.org; validationmethods=http-01` → `letsencrypt.org`. */
function issuerOf(record: CaaRecord): string {
  return record.value.split(';')[0].trim().toLowerCase();
}

export function caaCheck({ domain, lookups, acmeCa }: CaaInput): Verdict {
  const host = policyHostName(domain);
  const ca = acmeCa ? acmeCa.trim().toLowerCase() : null;
  const expected: Text = ca ? msg('dns.caa.expectedCa', { host, ca }) : msg('dns.caa.expected', { host });
  const relevant = lookups.findIndex((l) => l.ok && l.records.length > 0);
  // A failed lookup before the relevant set (or with none found) leaves the answer unknown.
  const failed = lookups.slice(0, relevant === -1 ? lookups.length : relevant).find((l) => !l.ok && !isMissing(l));
  const at = relevant === -1 ? null : lookups[relevant];
  const records = at?.ok ? at.records : [];
  const found: Text = at ? list(records.map((r) => `${at.name} CAA ${r.flags} ${r.tag} "${r.value}"`)) : msg('dns.caa.foundNone', { host });
  const say = (finding: Finding<'caa'>, status: CheckStatus, message: Text, params?: CheckParams) =>
    verdict('caa', finding, status, expected, found, message, params);

  // Unknown, not "none": a CA whose own CAA lookup fails the same way refuses the certificate
  // (Let's Encrypt: "SERVFAIL looking up CAA"), so it is an error like every other failed lookup,
  // and what was found is the failure, never the absence of records.
  if (failed) {
    const what = `${failed.name} CAA`;
    return verdict('caa', 'lookup-failed', 'error', expected, joined([`${what}:`, lookupFailureText(failed)], ' '), lookupFailedMessage(failed, what), {
      failure: failed.ok ? '' : failed.failure,
    });
  }
  if (!at) return say('none', 'ok', msg('dns.caa.none', { host }));
  const issue = records.filter((r) => r.tag === 'issue');
  // Only iodef or issuewild: no restriction on (non-wildcard) certificates.
  if (issue.length === 0) return say('allows', 'ok', msg('dns.caa.noIssue', { name: at.name, host }), { name: at.name });
  const issuers = [...new Set(issue.map(issuerOf).filter((i) => i !== ''))];
  if (ca === null)
    return say('present', 'info', msg('dns.caa.present', { name: at.name, host, issuers: issuers.join(', ') || ';' }), { name: at.name, issuers });
  if (issuers.includes(ca)) return say('allows', 'ok', msg('dns.caa.allows', { name: at.name, host, ca }), { name: at.name, ca });
  return say('forbids', 'warning', msg('dns.caa.forbids', { name: at.name, host, ca, issuers: issuers.join(', ') || msg('dns.caa.noCa') }), {
    name: at.name,
    ca,
    issuers,
  });
}

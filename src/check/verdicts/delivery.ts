// Verdicts on what senders receive: the policy file (as the plugin serves it and as fetched over
// HTTPS) and the MX hosts' STARTTLS. Pure functions over probe results.
import { sayProblem } from '../../i18n/policy-text';
import { DEFAULT_MAX_AGE, parsePolicy, policyUrl, renderPolicy, servedMode, type ParsedPolicy, type Problem, type StoredPolicy } from '../../policy';
import type { HttpsProbeResult } from '../../probes';
import type { MxTlsProbeResult } from '../../probes';
import {
  ENGLISH, EXPIRY_WARNING_DAYS, check, day, daysUntil, lookupFailedMessage, lookupFailureText, notCheckedNote, probeFailureText, severityFor,
  type Check, type CheckStatus, type Translator,
} from './kit';
import type { LookupResult } from '../../dns';

export type ServedPolicy = { ok: true; text: string | null } | { ok: false; message: string };

export interface PolicyInput { domain: string; policy: StoredPolicy; served: ServedPolicy }

/**
 * Remarks about the policy's content (a short max_age, a mode short of enforce) keep the status
 * `ok`: they are choices the admin may make on purpose, and the policy page already shows them.
 * The status reflects only whether senders get a valid, current policy.
 */
export function policyCheck({ domain, policy, served }: PolicyInput, t: Translator = ENGLISH): Check {
  const expected = renderPolicy(policy);
  const url = policyUrl(domain);
  if (!served.ok) return check('policy', 'error', expected, served.message, t.t('dns.policy.unreadable', { reason: served.message }));
  const text = served.text;
  if (!policy.active) {
    if (text === null) return check('policy', 'warning', expected, t.t('dns.policy.foundInactive'), t.t('dns.policy.inactive', { url }));
    return check('policy', 'warning', expected, text, t.t('dns.policy.inactiveServed', { url }));
  }
  if (text === null) return check('policy', 'error', expected, t.t('dns.found.nothing'), t.t('dns.policy.notServed', { url }));
  const parsed = parsePolicy(text);
  if (!parsed.ok) return check('policy', 'error', expected, text, t.t('dns.policy.invalid', { problems: problems(parsed.errors, t) }));
  const differences = differ(parsed.policy, policy, t);
  if (differences.length > 0) {
    // Another instance sharing the database serves its cached copy until its cache expires.
    return check('policy', 'warning', expected, text, t.t('dns.policy.differs', { differences: differences.join('; ') }));
  }
  const remarks: string[] = [];
  if (policy.mode === 'testing') remarks.push(t.t('dns.policy.testing'));
  if (policy.mode === 'none') remarks.push(t.t('dns.policy.none'));
  if (policy.maxAge < DEFAULT_MAX_AGE) remarks.push(t.t('dns.policy.shortMaxAge', { maxAge: policy.maxAge }));
  return check('policy', 'ok', expected, text, [t.t('dns.policy.ok'), ...remarks].join(' '));
}

export interface HttpsInput { domain: string; policy: StoredPolicy; probe: HttpsProbeResult | null; now: Date }

export function httpsCheck({ domain, policy, probe, now }: HttpsInput, t: Translator = ENGLISH): Check {
  const host = `mta-sts.${domain}`;
  const expected = policy.active ? t.t('dns.https.expected', { host, policy: renderPolicy(policy) }) : t.t('dns.https.expectedInactive');
  if (probe === null) return check('https', 'info', expected, t.t('dns.found.notRun'), t.t('dns.https.disabled'));
  const found = httpsFound(probe, t);
  const verdict = (status: CheckStatus, message: string) => check('https', status, expected, found, message);
  const url = probe.url;

  if (!policy.active) {
    if (probe.status === 404) return verdict('info', t.t('dns.https.inactive404', { url }));
    if (probe.status === 200 && probe.body !== undefined && parsePolicy(probe.body).ok) return verdict('warning', t.t('dns.https.inactiveServed', { url, host }));
    const seen = probe.failure ? probeFailureText(probe.failure, t) : t.t('dns.https.status', { status: probe.status ?? 0 });
    return verdict('info', t.t('dns.https.inactiveOther', { seen }));
  }
  if (probe.failure) return verdict('error', t.t('dns.https.failed', { reason: probeFailureText(probe.failure, t), advice: advice(probe, host, t) }));
  const status = probe.status ?? 0;
  if (status >= 300 && status < 400) return verdict('error', t.t('dns.https.redirect', { url, status, location: probe.location ?? t.t('dns.https.noLocation') }));
  if (status !== 200) return verdict('error', t.t('dns.https.notOk', { url, status, host }));
  const mediaType = (probe.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'text/plain') return verdict('error', t.t('dns.https.mediaType', { type: probe.contentType ?? t.t('dns.https.noContentType') }));
  if (probe.bodyTooLarge) return verdict('error', t.t('dns.https.tooLarge', { url }));
  const body = probe.body ?? '';
  if (body.startsWith('\uFEFF')) return verdict('error', t.t('dns.https.bom'));
  const parsed = parsePolicy(body);
  if (!parsed.ok) return verdict('error', t.t('dns.https.invalid', { problems: problems(parsed.errors, t), host }));
  const differences = differ(parsed.policy, policy, t);
  if (differences.length > 0) return verdict('error', t.t('dns.https.differs', { differences: differences.join('; '), host }));
  const left = probe.certificate ? daysUntil(probe.certificate.validTo, now) : Infinity;
  if (left < EXPIRY_WARNING_DAYS) return verdict('warning', t.t('dns.https.expiring', { host, date: day(probe.certificate?.validTo ?? ''), days: left }));
  return verdict('ok', t.t('dns.https.ok'));
}

export interface MxTlsInput {
  domain: string;
  policy: StoredPolicy;
  mx: LookupResult<'MX'>;
  probes: MxTlsProbeResult[] | null;
  now: Date;
  /** MX hosts past the check's bound, best preference first: not probed, said so. */
  unchecked?: readonly string[];
}

export function mxTlsCheck(input: MxTlsInput, t: Translator = ENGLISH): Check {
  const result = mxTlsVerdict(input, t);
  const note = input.probes === null ? '' : notCheckedNote('dns.mxTls.notChecked', input.probes.length, input.unchecked, t);
  // Hosts left out cannot be vouched for: an all-clear becomes a warning that says which.
  if (note !== '' && result.status === 'ok') return { ...result, status: 'warning', message: `${result.message} ${note}` };
  return note === '' ? result : { ...result, message: `${result.message} ${note}` };
}

function mxTlsVerdict({ domain, policy, mx, probes, now }: MxTlsInput, t: Translator): Check {
  const expected = t.t('dns.mxTls.expected');
  if (probes === null) return check('mx-tls', 'info', expected, t.t('dns.found.notRun'), t.t('dns.mxTls.disabled'));
  if (!mx.ok && mx.failure !== 'nxdomain' && mx.failure !== 'nodata') {
    return check('mx-tls', 'error', expected, lookupFailureText(mx, t), lookupFailedMessage(mx, t.t('dns.what.mxHosts', { domain }), t));
  }
  if (probes.length === 0) {
    const status = severityFor(policy) === 'info' ? 'info' : 'warning';
    return check('mx-tls', status, expected, t.t('dns.found.noMxHosts'), t.t('dns.mxTls.noHosts', { domain }));
  }
  const found = probes.map((p) => mxTlsFound(p, t)).join('\n');
  const failed = probes.filter((p) => !p.ok);
  if (failed.length > 0) {
    const mode = servedMode(policy);
    const hosts = t.list(failed.map((p) => p.host));
    const consequence = mode === 'enforce'
      ? t.t('dns.mxTls.refused', { hosts })
      : mode === 'testing' ? t.t('dns.mxTls.reported', { hosts }) : t.t('dns.mxTls.later');
    const reasons = failed.map((p) => t.t('dns.mxTls.reason', { host: p.host, reason: probeFailureText(p.failure, t) })).join(' ');
    return check('mx-tls', severityFor(policy), expected, found, [consequence, reasons, ...mxTlsAdvice(failed, t)].join(' '));
  }
  const expiring = probes.filter((p) => p.certificate && daysUntil(p.certificate.validTo, now) < EXPIRY_WARNING_DAYS);
  if (expiring.length > 0) {
    const hosts = t.list(expiring.map((p) => t.t('dns.mxTls.expiringHost', { host: p.host, date: day(p.certificate?.validTo ?? '') })));
    return check('mx-tls', 'warning', expected, found, t.t('dns.mxTls.expiring', { hosts, days: EXPIRY_WARNING_DAYS }));
  }
  return check('mx-tls', 'ok', expected, found, t.t('dns.mxTls.ok'));
}

/** The parser's problems with a policy body, in the translator's language. */
function problems(errors: readonly Problem[], t: Translator): string {
  return errors.map((error) => sayProblem(t.locale, error)).join('; ');
}

/** Differences that matter to senders, in words; empty when the policies are equivalent. */
function differ(served: ParsedPolicy, stored: StoredPolicy, t: Translator): string[] {
  const out: string[] = [];
  if (served.mode !== stored.mode) out.push(t.t('dns.differ.mode', { served: served.mode, stored: stored.mode }));
  if (served.maxAge !== stored.maxAge) out.push(t.t('dns.differ.maxAge', { served: served.maxAge, stored: stored.maxAge }));
  const extra = served.mx.filter((p) => !stored.mx.includes(p));
  const missing = stored.mx.filter((p) => !served.mx.includes(p));
  if (extra.length > 0) out.push(t.t('dns.differ.extraMx', { entries: t.list(extra) }));
  if (missing.length > 0) out.push(t.t('dns.differ.missingMx', { entries: t.list(missing) }));
  return out;
}

function httpsFound(probe: HttpsProbeResult, t: Translator): string {
  const lines = [probe.address ? t.t('dns.https.found.at', { url: probe.url, address: probe.address }) : probe.url];
  if (probe.certificate) {
    const c = probe.certificate;
    lines.push(t.t('dns.https.found.certificate', { tls: probe.tlsVersion ?? 'TLS', names: c.names.join(', ') || c.subject, issuer: c.issuer, date: day(c.validTo) }));
  }
  if (probe.failure) lines.push(probeFailureText(probe.failure, t));
  if (probe.status !== undefined) {
    const location = probe.location ? t.t('dns.https.found.location', { location: probe.location }) : '';
    lines.push(t.t('dns.https.found.response', { status: probe.status, location, type: probe.contentType ?? t.t('dns.https.found.none') }));
  }
  if (probe.bodyTooLarge) lines.push(t.t('dns.https.found.tooLarge'));
  else if (probe.body !== undefined && probe.status === 200) lines.push(probe.body.length > 2000 ? `${probe.body.slice(0, 2000)}...` : probe.body);
  return lines.join('\n');
}

function mxTlsFound(probe: MxTlsProbeResult, t: Translator): string {
  const where = probe.address ? t.t('dns.mxTls.found.host', { host: probe.host, address: probe.address }) : probe.host;
  if (!probe.ok) return t.t('dns.mxTls.found.failed', { where, reason: probeFailureText(probe.failure, t) });
  const c = probe.certificate;
  const tls = probe.tlsVersion ?? 'TLS';
  return c ? t.t('dns.mxTls.found.certificate', { where, tls, issuer: c.issuer, date: day(c.validTo) }) : t.t('dns.mxTls.found.ok', { where, tls });
}

function mxTlsAdvice(failed: readonly MxTlsProbeResult[], t: Translator): string[] {
  const stages = new Set(failed.map((p) => p.failure?.stage));
  const out: string[] = [];
  if (stages.has('certificate') || stages.has('tls') || failed.some((p) => p.starttls === false)) out.push(t.t('dns.mxTls.advice.tls'));
  if (stages.has('dns')) out.push(t.t('dns.mxTls.advice.dns'));
  if (stages.has('address')) out.push(t.t('dns.mxTls.advice.address'));
  // Many hosting networks block outbound port 25, so a failure to connect may be ours alone.
  if (stages.has('connect') || stages.has('timeout')) out.push(t.t('dns.mxTls.advice.connect'));
  return out;
}

function advice(probe: HttpsProbeResult, host: string, t: Translator): string {
  switch (probe.failure?.stage) {
    case 'dns': return t.t('dns.https.advice.dns', { host });
    case 'address': return t.t('dns.https.advice.address', { host });
    case 'connect': return t.t('dns.https.advice.connect', { host, address: probe.address ?? host });
    case 'certificate': return t.t('dns.https.advice.certificate', { host });
    case 'tls': return t.t('dns.https.advice.tls', { host });
    case 'timeout': return t.t('dns.https.advice.timeout', { host });
    default: return t.t('dns.https.advice.default', { host });
  }
}

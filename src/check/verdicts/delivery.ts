// Verdicts on what senders receive: the policy file (as the plugin serves it and as fetched over
// HTTPS) and the MX hosts' STARTTLS. Pure functions over probe results.
import { problemText } from '../../text/problems';
import { DEFAULT_MAX_AGE, parsePolicy, policyUrl, renderPolicy, servedMode, type ParsedPolicy, type Problem, type StoredPolicy } from '../../policy';
import type { HttpsProbeResult } from '../../probes';
import type { MxTlsProbeResult } from '../../probes';
import {
  EXPIRY_WARNING_DAYS,
  day,
  daysUntil,
  joined,
  list,
  lookupFailedMessage,
  lookupFailureText,
  msg,
  notCheckedNote,
  probeFailureText,
  sentences,
  severityFor,
  verdict,
  type CheckParams,
  type CheckStatus,
  type Finding,
  type Text,
  type Verdict,
} from './kit';
import type { LookupResult } from '../../dns';
import { policyHostName } from '../../policy/records';

export type ServedPolicy = { ok: true; text: string | null } | { ok: false; message: string };

export interface PolicyInput {
  domain: string;
  policy: StoredPolicy;
  served: ServedPolicy;
}

/**
 * Remarks about the policy's content (a short max_age, a mode short of enforce) keep the status
 * `ok`: they are choices the admin may make on purpose, and the policy page already shows them.
 * The status reflects only whether senders get a valid, current policy.
 */
export function policyCheck({ domain, policy, served }: PolicyInput): Verdict {
  const expected = renderPolicy(policy);
  const url = policyUrl(domain);
  const say = (finding: Finding<'policy'>, status: CheckStatus, found: Text, message: Text, params?: CheckParams) =>
    verdict('policy', finding, status, expected, found, message, params);
  if (!served.ok) return say('unreadable', 'error', served.message, msg('dns.policy.unreadable', { reason: served.message }), { reason: served.message });
  const text = served.text;
  if (!policy.active) {
    if (text === null) return say('inactive', 'warning', msg('dns.policy.foundInactive'), msg('dns.policy.inactive', { url }), { url });
    return say('inactive-served', 'warning', text, msg('dns.policy.inactiveServed', { url }), { url });
  }
  if (text === null) return say('not-served', 'error', msg('dns.found.nothing'), msg('dns.policy.notServed', { url }), { url });
  const parsed = parsePolicy(text);
  if (!parsed.ok)
    return say('invalid', 'error', text, msg('dns.policy.invalid', { problems: problems(parsed.errors) }), { problems: parsed.errors.map((e) => e.code) });
  const differences = differ(parsed.policy, policy);
  if (differences.length > 0) {
    // Another instance sharing the database serves its cached copy until its cache expires.
    return say(
      'differs',
      'warning',
      text,
      msg('dns.policy.differs', {
        differences: joined(
          differences.map((d) => d.text),
          '; ',
        ),
      }),
      differenceParams(differences),
    );
  }
  const remarks: Text[] = [];
  if (policy.mode === 'testing') remarks.push(msg('dns.policy.testing'));
  if (policy.mode === 'none') remarks.push(msg('dns.policy.none'));
  if (policy.maxAge < DEFAULT_MAX_AGE) remarks.push(msg('dns.policy.shortMaxAge', { maxAge: policy.maxAge }));
  return say('ok', 'ok', text, sentences(msg('dns.policy.ok'), ...remarks), { mode: policy.mode, maxAge: policy.maxAge });
}

/** The built-in ACME client's last order for mta-sts.<domain>, as its table keeps it. */
export interface AcmeOrderState {
  state: string;
  reason: string | null;
  notAfter: string | null;
  nextAttempt: string | null;
}

export interface HttpsInput {
  domain: string;
  policy: StoredPolicy;
  probe: HttpsProbeResult | null;
  now: Date;
  /** When the built-in ACME client is on: its last order for this name (optional). */
  acme?: AcmeOrderState | null;
}

/** The ACME line of `found`: what the built-in client last did for the name. */
function acmeLine(acme: AcmeOrderState): Text {
  const reason = acme.reason ?? '';
  switch (acme.state) {
    case 'issued':
      return msg('dns.https.acme.issued', { date: day(acme.notAfter ?? '') });
    case 'failed':
      return msg('dns.https.acme.failed', { reason, next: acme.nextAttempt ? day(acme.nextAttempt) : '?' });
    case 'skipped':
      return msg('dns.https.acme.skipped', { reason });
    default:
      return msg('dns.https.acme.pending');
  }
}

export function httpsCheck({ domain, policy, probe, now, acme }: HttpsInput): Verdict {
  const host = policyHostName(domain);
  const expected = policy.active ? msg('dns.https.expected', { host, policy: renderPolicy(policy) }) : msg('dns.https.expectedInactive');
  const extra: Text[] = acme ? [acmeLine(acme)] : [];
  if (probe === null) return verdict('https', 'disabled', 'info', expected, joined([msg('dns.found.notRun'), ...extra], '\n'), msg('dns.https.disabled'));
  const found = joined([httpsFound(probe), ...extra], '\n');
  const url = probe.url;
  const say = (finding: Finding<'https'>, status: CheckStatus, message: Text, params: CheckParams = { url }) =>
    verdict('https', finding, status, expected, found, message, params);

  if (!policy.active) {
    if (probe.status === 404) return say('inactive', 'info', msg('dns.https.inactive404', { url }));
    if (probe.status === 200 && probe.body !== undefined && parsePolicy(probe.body).ok)
      return say('inactive-served', 'warning', msg('dns.https.inactiveServed', { url, host }));
    const seen = probe.failure ? probeFailureText(probe.failure) : msg('dns.https.status', { status: probe.status ?? 0 });
    return say('inactive-other', 'info', msg('dns.https.inactiveOther', { seen }), probeParams(probe));
  }
  if (probe.failure) {
    return say('failed', 'error', msg('dns.https.failed', { reason: probeFailureText(probe.failure), advice: advice(probe, host) }), probeParams(probe));
  }
  const status = probe.status ?? 0;
  if (status >= 300 && status < 400) {
    const location = probe.location ?? msg('dns.https.noLocation');
    return say('redirect', 'error', msg('dns.https.redirect', { url, status, location }), {
      url,
      status,
      ...(probe.location ? { location: probe.location } : {}),
    });
  }
  if (status !== 200) return say('status', 'error', msg('dns.https.notOk', { url, status, host }), { url, status });
  const mediaType = (probe.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'text/plain') {
    return say('media-type', 'error', msg('dns.https.mediaType', { type: probe.contentType ?? msg('dns.https.noContentType') }), {
      url,
      contentType: probe.contentType ?? '',
    });
  }
  if (probe.bodyTooLarge) return say('too-large', 'error', msg('dns.https.tooLarge', { url }));
  const body = probe.body ?? '';
  if (body.startsWith('\uFEFF')) return say('bom', 'error', msg('dns.https.bom'));
  const parsed = parsePolicy(body);
  if (!parsed.ok)
    return say('invalid', 'error', msg('dns.https.invalid', { problems: problems(parsed.errors), host }), { url, problems: parsed.errors.map((e) => e.code) });
  const differences = differ(parsed.policy, policy);
  if (differences.length > 0) {
    return say(
      'differs',
      'error',
      msg('dns.https.differs', {
        differences: joined(
          differences.map((d) => d.text),
          '; ',
        ),
        host,
      }),
      { url, ...differenceParams(differences) },
    );
  }
  const left = probe.certificate ? daysUntil(probe.certificate.validTo, now) : Infinity;
  if (left < EXPIRY_WARNING_DAYS) {
    const date = day(probe.certificate?.validTo ?? '');
    return say('expiring', 'warning', msg('dns.https.expiring', { host, date, days: left }), { url, validTo: probe.certificate?.validTo ?? '', days: left });
  }
  return say('ok', 'ok', msg('dns.https.ok'));
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

export function mxTlsCheck(input: MxTlsInput): Verdict {
  const result = mxTlsVerdict(input);
  const note = input.probes === null ? null : notCheckedNote('dns.mxTls.notChecked', input.probes.length, input.unchecked);
  if (note === null) return result;
  const params = { ...result.params, unchecked: input.unchecked ?? [] };
  const message = sentences(result.message, note);
  // Hosts left out cannot be vouched for: an all-clear becomes a warning that says which.
  if (result.status === 'ok') return { ...result, status: 'warning', code: 'mx-tls.partial', params, message };
  return { ...result, params, message };
}

function mxTlsVerdict({ domain, policy, mx, probes, now }: MxTlsInput): Verdict {
  const expected = msg('dns.mxTls.expected');
  if (probes === null) return verdict('mx-tls', 'disabled', 'info', expected, msg('dns.found.notRun'), msg('dns.mxTls.disabled'));
  if (!mx.ok && mx.failure !== 'nxdomain' && mx.failure !== 'nodata') {
    return verdict('mx-tls', 'lookup-failed', 'error', expected, lookupFailureText(mx), lookupFailedMessage(mx, msg('dns.what.mxHosts', { domain })), {
      failure: mx.failure,
    });
  }
  if (probes.length === 0) {
    const status = severityFor(policy) === 'info' ? 'info' : 'warning';
    return verdict('mx-tls', 'no-hosts', status, expected, msg('dns.found.noMxHosts'), msg('dns.mxTls.noHosts', { domain }));
  }
  const found = joined(probes.map(mxTlsFound), '\n');
  const failed = probes.filter((p) => !p.ok);
  if (failed.length > 0) {
    const mode = servedMode(policy);
    const hosts = list(failed.map((p) => p.host));
    const consequence =
      mode === 'enforce' ? msg('dns.mxTls.refused', { hosts }) : mode === 'testing' ? msg('dns.mxTls.reported', { hosts }) : msg('dns.mxTls.later');
    const reasons = failed.map((p) => msg('dns.mxTls.reason', { host: p.host, reason: probeFailureText(p.failure) }));
    const params: CheckParams = { hosts: failed.map((p) => p.host), stages: failed.map((p) => p.failure?.stage ?? 'internal') };
    return verdict('mx-tls', 'failed', severityFor(policy), expected, found, sentences(consequence, ...reasons, ...mxTlsAdvice(failed)), params);
  }
  const expiring = probes.filter((p) => p.certificate && daysUntil(p.certificate.validTo, now) < EXPIRY_WARNING_DAYS);
  if (expiring.length > 0) {
    const hosts = list(expiring.map((p) => msg('dns.mxTls.expiringHost', { host: p.host, date: day(p.certificate?.validTo ?? '') })));
    return verdict('mx-tls', 'expiring', 'warning', expected, found, msg('dns.mxTls.expiring', { hosts, days: EXPIRY_WARNING_DAYS }), {
      hosts: expiring.map((p) => p.host),
    });
  }
  return verdict('mx-tls', 'ok', 'ok', expected, found, msg('dns.mxTls.ok'), { hosts: probes.map((p) => p.host) });
}

/** The parser's problems with a policy body, to be said in the reader's language. */
function problems(errors: readonly Problem[]): Text {
  return joined(errors.map(problemText), '; ');
}

interface Difference {
  field: 'mode' | 'max_age' | 'mx';
  text: Text;
}

/** Differences that matter to senders, in words; empty when the policies are equivalent. */
function differ(served: ParsedPolicy, stored: StoredPolicy): Difference[] {
  const out: Difference[] = [];
  if (served.mode !== stored.mode) out.push({ field: 'mode', text: msg('dns.differ.mode', { served: served.mode, stored: stored.mode }) });
  if (served.maxAge !== stored.maxAge) out.push({ field: 'max_age', text: msg('dns.differ.maxAge', { served: served.maxAge, stored: stored.maxAge }) });
  const extra = served.mx.filter((p) => !stored.mx.includes(p));
  const missing = stored.mx.filter((p) => !served.mx.includes(p));
  if (extra.length > 0) out.push({ field: 'mx', text: msg('dns.differ.extraMx', { entries: list(extra) }) });
  if (missing.length > 0) out.push({ field: 'mx', text: msg('dns.differ.missingMx', { entries: list(missing) }) });
  return out;
}

function differenceParams(differences: readonly Difference[]): CheckParams {
  return { differences: [...new Set(differences.map((d) => d.field))] };
}

function probeParams(probe: HttpsProbeResult): CheckParams {
  if (probe.failure) return { url: probe.url, stage: probe.failure.stage };
  return probe.status === undefined ? { url: probe.url } : { url: probe.url, status: probe.status };
}

function httpsFound(probe: HttpsProbeResult): Text {
  const lines: Text[] = [probe.address ? msg('dns.https.found.at', { url: probe.url, address: probe.address }) : probe.url];
  if (probe.certificate) {
    const c = probe.certificate;
    lines.push(
      msg('dns.https.found.certificate', { tls: probe.tlsVersion ?? 'TLS', names: c.names.join(', ') || c.subject, issuer: c.issuer, date: day(c.validTo) }),
    );
  }
  if (probe.failure) lines.push(probeFailureText(probe.failure));
  if (probe.status !== undefined) {
    const location = probe.location ? msg('dns.https.found.location', { location: probe.location }) : '';
    lines.push(msg('dns.https.found.response', { status: probe.status, location, type: probe.contentType ?? msg('dns.https.found.none') }));
  }
  if (probe.bodyTooLarge) lines.push(msg('dns.https.found.tooLarge'));
  else if (probe.body !== undefined && probe.status === 200) lines.push(probe.body.length > 2000 ? `${probe.body.slice(0, 2000)}...` : probe.body);
  return joined(lines, '\n');
}

function mxTlsFound(probe: MxTlsProbeResult): Text {
  const where = probe.address ? msg('dns.mxTls.found.host', { host: probe.host, address: probe.address }) : probe.host;
  if (!probe.ok) return msg('dns.mxTls.found.failed', { where, reason: probeFailureText(probe.failure) });
  const c = probe.certificate;
  const tls = probe.tlsVersion ?? 'TLS';
  return c ? msg('dns.mxTls.found.certificate', { where, tls, issuer: c.issuer, date: day(c.validTo) }) : msg('dns.mxTls.found.ok', { where, tls });
}

function mxTlsAdvice(failed: readonly MxTlsProbeResult[]): Text[] {
  const stages = new Set(failed.map((p) => p.failure?.stage));
  const out: Text[] = [];
  if (stages.has('certificate') || stages.has('tls') || failed.some((p) => p.starttls === false)) out.push(msg('dns.mxTls.advice.tls'));
  if (stages.has('dns')) out.push(msg('dns.mxTls.advice.dns'));
  if (stages.has('address')) out.push(msg('dns.mxTls.advice.address'));
  // Many hosting networks block outbound port 25, so a failure to connect may be ours alone.
  if (stages.has('connect') || stages.has('timeout')) out.push(msg('dns.mxTls.advice.connect'));
  return out;
}

function advice(probe: HttpsProbeResult, host: string): Text {
  switch (probe.failure?.stage) {
    case 'dns':
      return msg('dns.https.advice.dns', { host });
    case 'address':
      return msg('dns.https.advice.address', { host });
    case 'connect':
      return msg('dns.https.advice.connect', { host, address: probe.address ?? host });
    case 'certificate':
      return msg('dns.https.advice.certificate', { host });
    case 'tls':
      return msg('dns.https.advice.tls', { host });
    case 'timeout':
      return msg('dns.https.advice.timeout', { host });
    default:
      return msg('dns.https.advice.default', { host });
  }
}

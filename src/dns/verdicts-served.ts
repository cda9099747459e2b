// Verdicts on what senders receive: the policy file (as the plugin serves it and as fetched over
// HTTPS) and the MX hosts' STARTTLS. Pure functions over probe results.
import { DEFAULT_MAX_AGE, parsePolicy, renderPolicy, type ParsedPolicy, type StoredPolicy } from '../policy';
import type { HttpsProbeResult } from './https-probe';
import type { MxTlsProbeResult } from './smtp-probe';
import {
  EXPIRY_WARNING_DAYS, check, day, daysUntil, effectiveMode, list, lookupFailedMessage, severityFor,
  type Check, type CheckStatus,
} from './verdict-kit';
import type { LookupResult } from './resolver';

export type ServedPolicy = { ok: true; text: string | null } | { ok: false; message: string };

export interface PolicyInput { domain: string; policy: StoredPolicy; served: ServedPolicy }

/**
 * Remarks about the policy's content (a short max_age, a mode short of enforce) keep the status
 * `ok`: they are choices the admin may make on purpose, and the policy page already shows them.
 * The status reflects only whether senders get a valid, current policy.
 */
export function policyCheck({ domain, policy, served }: PolicyInput): Check {
  const expected = renderPolicy(policy);
  const url = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
  if (!served.ok) return check('policy', 'error', expected, served.message, `Could not read the policy as it is served: ${served.message}. Try again; if this persists, check the database connection.`);
  const text = served.text;
  if (!policy.active) {
    if (text === null) return check('policy', 'warning', expected, 'nothing (MTA-STS is inactive)', `Nothing is served at ${url} because MTA-STS is inactive for this domain. Activate it to publish this policy.`);
    return check('policy', 'warning', expected, text, `MTA-STS is inactive, yet a policy is served at ${url}. Activate MTA-STS or find what still serves it.`);
  }
  if (text === null) return check('policy', 'error', expected, 'nothing', `MTA-STS is active but no policy is served at ${url}. The policy store may be unavailable; try again shortly.`);
  const parsed = parsePolicy(text);
  if (!parsed.ok) return check('policy', 'error', expected, text, `The served policy is not valid (${parsed.errors.join('; ')}). Save the policy again.`);
  const differences = differ(parsed.policy, policy);
  if (differences.length > 0) {
    // Another instance sharing the database serves its cached copy until its cache expires.
    return check('policy', 'warning', expected, text, `The served policy differs from the saved one (${differences.join('; ')}). It should catch up within a minute; if not, restart the panel.`);
  }
  const remarks: string[] = [];
  if (policy.mode === 'testing') remarks.push('Mode is testing: senders report failures but still deliver; switch to enforce once the TLS reports are clean.');
  if (policy.mode === 'none') remarks.push('Mode is none: senders treat the domain as having no policy.');
  if (policy.maxAge < DEFAULT_MAX_AGE) remarks.push(`max_age is under one day (${policy.maxAge} s): senders re-fetch the policy very often and drop it soon after it stops being served; use at least 86400, or 604800 (a week) or more once it works.`);
  return check('policy', 'ok', expected, text, ['This is the policy senders receive.', ...remarks].join(' '));
}

export interface HttpsInput { domain: string; policy: StoredPolicy; probe: HttpsProbeResult | null; now: Date }

export function httpsCheck({ domain, policy, probe, now }: HttpsInput): Check {
  const host = `mta-sts.${domain}`;
  const expected = policy.active
    ? `HTTP 200 over TLS 1.2+ with a valid certificate for ${host}, Content-Type text/plain, no redirect, body:\n${renderPolicy(policy)}`
    : 'HTTP 404 (MTA-STS is inactive, so no policy is served)';
  if (probe === null) return check('https', 'info', expected, 'not run', 'Not run: the HTTPS check is disabled in the plugin options.');
  const found = httpsFound(probe);
  const verdict = (status: CheckStatus, message: string) => check('https', status, expected, found, message);

  if (!policy.active) {
    if (probe.status === 404) return verdict('info', `MTA-STS is inactive and ${probe.url} answers 404, as expected.`);
    if (probe.status === 200 && probe.body !== undefined && parsePolicy(probe.body).ok) {
      return verdict('warning', `MTA-STS is inactive, yet ${probe.url} serves a policy: something else (a static file, another server) answers for ${host}. Remove it, or activate MTA-STS here.`);
    }
    const seen = probe.failure ? probe.failure.message : `HTTP ${probe.status}`;
    return verdict('info', `MTA-STS is inactive, so nothing needs to be served (${seen}). Fix this before activating it.`);
  }
  if (probe.failure) return verdict('error', `Senders cannot fetch the policy: ${probe.failure.message}. ${advice(probe, host)}`);
  const status = probe.status ?? 0;
  if (status >= 300 && status < 400) {
    return verdict('error', `${probe.url} redirects (HTTP ${status}) to ${probe.location ?? 'nowhere (no Location header)'}; senders do not follow redirects (RFC 8461 section 3.3). Serve the policy at ${probe.url} itself, without a redirect to another scheme, host or path.`);
  }
  if (status !== 200) return verdict('error', `${probe.url} answered HTTP ${status}; senders accept only 200. Make sure requests for ${host} reach this panel and that its well-known handler is mounted before other routes.`);
  const mediaType = (probe.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'text/plain') return verdict('error', `The policy is served as "${probe.contentType ?? 'no Content-Type'}"; senders (Postfix among them) require text/plain. Serve it with Content-Type: text/plain.`);
  if (probe.bodyTooLarge) return verdict('error', `The response is larger than 64 KiB, which senders refuse. Make sure ${probe.url} serves the policy file and nothing else.`);
  const body = probe.body ?? '';
  if (body.startsWith('\uFEFF')) return verdict('error', 'The policy starts with a byte order mark, which breaks parsing in senders. Serve it without one.');
  const parsed = parsePolicy(body);
  if (!parsed.ok) return verdict('error', `The body is not a valid policy (${parsed.errors.join('; ')}). Make sure requests for ${host} reach this panel's well-known handler.`);
  const differences = differ(parsed.policy, policy);
  if (differences.length > 0) {
    return verdict('error', `Senders receive a different policy than the current one (${differences.join('; ')}): something else answers for ${host} (another server, a proxy cache or a static file). Make it serve this panel's policy.`);
  }
  const left = probe.certificate ? daysUntil(probe.certificate.validTo, now) : Infinity;
  if (left < EXPIRY_WARNING_DAYS) {
    return verdict('warning', `The certificate for ${host} expires on ${day(probe.certificate?.validTo ?? '')} (in ${left} days). Renew it: senders cannot fetch the policy with an expired certificate.`);
  }
  return verdict('ok', 'Senders can fetch the current policy over HTTPS.');
}

export interface MxTlsInput { domain: string; policy: StoredPolicy; mx: LookupResult<'MX'>; probes: MxTlsProbeResult[] | null; now: Date }

export function mxTlsCheck({ domain, policy, mx, probes, now }: MxTlsInput): Check {
  const expected = 'every MX host offers STARTTLS (TLS 1.2+) with a certificate valid for its own name';
  if (probes === null) return check('mx-tls', 'info', expected, 'not run', 'Not run: the SMTP check is disabled in the plugin options.');
  if (!mx.ok && mx.failure !== 'nxdomain' && mx.failure !== 'nodata') return check('mx-tls', 'error', expected, mx.message, lookupFailedMessage(mx, `the MX hosts of ${domain}`));
  if (probes.length === 0) {
    const status = severityFor(policy) === 'info' ? 'info' : 'warning';
    return check('mx-tls', status, expected, 'no MX hosts', `${domain} has no MX hosts to test; see the MX check.`);
  }
  const found = probes.map(mxTlsFound).join('\n');
  const failed = probes.filter((p) => !p.ok);
  if (failed.length > 0) {
    const mode = effectiveMode(policy);
    const consequence = mode === 'enforce'
      ? `Senders will refuse to deliver to ${list(failed.map((p) => p.host))}.`
      : mode === 'testing'
        ? `Senders still deliver in testing mode but report failures; in enforce mode they would refuse to deliver to ${list(failed.map((p) => p.host))}.`
        : 'This matters once the policy is active in testing or enforce mode.';
    const reasons = failed.map((p) => `${p.host}: ${p.failure?.message ?? 'failed'}.`).join(' ');
    return check('mx-tls', severityFor(policy), expected, found, [consequence, reasons, ...mxTlsAdvice(failed)].join(' '));
  }
  const expiring = probes.filter((p) => p.certificate && daysUntil(p.certificate.validTo, now) < EXPIRY_WARNING_DAYS);
  if (expiring.length > 0) {
    return check('mx-tls', 'warning', expected, found, `The certificate of ${list(expiring.map((p) => `${p.host} (expires ${day(p.certificate?.validTo ?? '')})`))} expires within ${EXPIRY_WARNING_DAYS} days: renew it, or senders under an enforce policy will stop delivering.`);
  }
  return check('mx-tls', 'ok', expected, found, 'Every MX host offers STARTTLS with a valid certificate for its name.');
}

/** Differences that matter to senders, in words; empty when the policies are equivalent. */
function differ(served: ParsedPolicy, stored: StoredPolicy): string[] {
  const out: string[] = [];
  if (served.mode !== stored.mode) out.push(`mode ${served.mode} instead of ${stored.mode}`);
  if (served.maxAge !== stored.maxAge) out.push(`max_age ${served.maxAge} instead of ${stored.maxAge}`);
  const extra = served.mx.filter((p) => !stored.mx.includes(p));
  const missing = stored.mx.filter((p) => !served.mx.includes(p));
  if (extra.length > 0) out.push(`extra mx ${list(extra)}`);
  if (missing.length > 0) out.push(`missing mx ${list(missing)}`);
  return out;
}

function httpsFound(probe: HttpsProbeResult): string {
  const lines = [probe.address ? `${probe.url} at ${probe.address}` : probe.url];
  if (probe.certificate) {
    const c = probe.certificate;
    lines.push(`${probe.tlsVersion ?? 'TLS'}, certificate for ${c.names.join(', ') || c.subject} by ${c.issuer}, valid until ${day(c.validTo)}`);
  }
  if (probe.failure) lines.push(probe.failure.message);
  if (probe.status !== undefined) lines.push(`HTTP ${probe.status}${probe.location ? `, Location: ${probe.location}` : ''}, Content-Type: ${probe.contentType ?? 'none'}`);
  if (probe.bodyTooLarge) lines.push('(body larger than 64 KiB)');
  else if (probe.body !== undefined && probe.status === 200) lines.push(probe.body.length > 2000 ? `${probe.body.slice(0, 2000)}...` : probe.body);
  return lines.join('\n');
}

function mxTlsFound(probe: MxTlsProbeResult): string {
  const where = probe.address ? `${probe.host} (${probe.address})` : probe.host;
  if (!probe.ok) return `${where}: ${probe.failure?.message ?? 'failed'}`;
  const c = probe.certificate;
  return `${where}: STARTTLS, ${probe.tlsVersion}${c ? `, certificate by ${c.issuer} valid until ${day(c.validTo)}` : ''}`;
}

function mxTlsAdvice(failed: readonly MxTlsProbeResult[]): string[] {
  const stages = new Set(failed.map((p) => p.failure?.stage));
  const out: string[] = [];
  if (stages.has('certificate') || stages.has('tls') || failed.some((p) => p.starttls === false)) {
    out.push('Each MX host needs STARTTLS (TLS 1.2 or later) with a certificate from a public certificate authority that covers its own name.');
  }
  if (stages.has('dns')) out.push('Each MX host name needs an A or AAAA record.');
  if (stages.has('connect') || stages.has('timeout')) {
    // Many hosting networks block outbound port 25, so a failure to connect may be ours alone.
    out.push('This check connects from this server: if outbound port 25 is blocked here, senders elsewhere may still get through, so confirm with an external test.');
  }
  return out;
}

function advice(probe: HttpsProbeResult, host: string): string {
  switch (probe.failure?.stage) {
    case 'dns': return `Add the DNS record shown in the mta-sts host check for ${host}.`;
    case 'connect': return `Make sure a web server listens on port 443 at ${probe.address ?? host} and passes ${host} to this panel.`;
    case 'certificate': return `Install a certificate that covers ${host} from a public certificate authority (for example, add ${host} to your ACME certificate).`;
    case 'tls': return `Enable TLS 1.2 or later for ${host} on the web server.`;
    case 'timeout': return `Check that ${host} is reachable on port 443 from the internet and that the web server answers.`;
    default: return `Make sure requests for ${host} reach this panel.`;
  }
}

// What one report says, summed up for display and storage: pure, no I/O.
import type { TlsReport } from './report';

export interface PolicySummary {
  type: string;
  domain: string;
  mx: string[];
  /** `mode|max_age|mx,...` of an applied STS policy (see `stsFingerprint`), or null. */
  fingerprint: string | null;
  success: number;
  failure: number;
}

export interface FailureGroup {
  /** Index into `policies` of the policy the failures were reported under. */
  policy: number;
  resultType: string;
  receivingMxHostname: string | null;
  receivingIp: string | null;
  sendingMtaIp: string | null;
  receivingMxHelo: string | null;
  failureReasonCode: string | null;
  additionalInformation: string | null;
  /** Summed `failed-session-count`; details without a count add 0. */
  sessions: number;
  /** How many details had no count. */
  uncounted: number;
}

export interface ReportSummary {
  success: number;
  failure: number;
  policies: PolicySummary[];
  /** Failure details grouped by policy and every field of a detail (RFC 8460 section 4.4), largest first. */
  failures: FailureGroup[];
}

/**
 * Totals per applied policy and failure groups. Counts are summed as safe integers; a sum that
 * would pass Number.MAX_SAFE_INTEGER stays there (a report cannot make the totals wrong by
 * overflowing them, only large).
 */
export function summarizeReport(report: TlsReport): ReportSummary {
  const policies: PolicySummary[] = report.policies.map((p) => ({
    type: p.type,
    domain: p.domain,
    mx: p.mx,
    fingerprint: p.type === 'sts' ? stsFingerprint(p.strings) : null,
    success: p.success,
    failure: p.failure,
  }));
  const groups = new Map<string, FailureGroup>();
  report.policies.forEach((p, index) => {
    for (const f of p.failures) {
      const detail: FailureFields = {
        resultType: f.resultType,
        receivingMxHostname: f.receivingMxHostname,
        receivingIp: f.receivingIp,
        sendingMtaIp: f.sendingMtaIp,
        receivingMxHelo: f.receivingMxHelo,
        failureReasonCode: f.failureReasonCode,
        additionalInformation: f.additionalInformation,
      };
      const key = failureKey(index, detail);
      let group = groups.get(key);
      if (!group) {
        group = { policy: index, ...detail, sessions: 0, uncounted: 0 };
        groups.set(key, group);
      }
      if (f.sessions === null) group.uncounted += 1;
      else group.sessions = add(group.sessions, f.sessions);
    }
  });
  return {
    success: policies.reduce((sum, p) => add(sum, p.success), 0),
    failure: policies.reduce((sum, p) => add(sum, p.failure), 0),
    policies,
    failures: [...groups.values()].sort((a, b) => b.sessions - a.sessions),
  };
}

/** The fields of a failure detail that tell groups apart (all but the count). */
type FailureFields = Omit<FailureGroup, 'policy' | 'sessions' | 'uncounted'>;

/** The key of a failure group: the policy and every field of the detail. */
export function failureKey(policy: number, f: FailureFields): string {
  return JSON.stringify([
    policy,
    f.resultType,
    f.receivingMxHostname,
    f.receivingIp,
    f.sendingMtaIp,
    f.receivingMxHelo,
    f.failureReasonCode,
    f.additionalInformation,
  ]);
}

/** Saturating addition of non-negative safe integers. */
export function add(a: number, b: number): number {
  return Math.min(a + b, Number.MAX_SAFE_INTEGER);
}

/**
 * An applied MTA-STS policy as `mode|max_age|mx1,mx2` (MX sorted, lower case), from a report's
 * `policy-string` lines (`mode: testing`, `mx: mx1.example.com`, ...). Reports carry no policy id,
 * so this is what ties a report back to one of the domain's policies. Null when the lines name no
 * mode (the sender omitted them, or they are not a policy).
 */
export function stsFingerprint(lines: readonly string[]): string | null {
  let mode: string | null = null;
  let maxAge = '';
  const mx: string[] = [];
  for (const line of lines) {
    // Split at the first colon and trim, the way the policy file is read (src/policy/parse.ts):
    // linear, where a regex with blanks on both sides of a lazy value backtracked for seconds.
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z_]+$/.test(name)) continue;
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'mode') mode = value.toLowerCase();
    else if (key === 'max_age') maxAge = String(Number(value));
    else if (key === 'mx') mx.push(value.toLowerCase().replace(/\.$/, ''));
  }
  return mode === null ? null : policyFingerprint({ mode, maxAge, mx });
}

/** The same fingerprint for one of our own policies. */
export function policyFingerprint(policy: { mode: string; maxAge: number | string; mx: readonly string[] }): string {
  return `${policy.mode}|${String(policy.maxAge)}|${[...new Set(policy.mx)].sort().join(',')}`;
}

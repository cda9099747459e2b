// What one report may store: pure, no I/O. A report may carry 1000 policies of 1000 failure
// details each (REPORT_LIMITS): stored row for row that is a million rows from one post. The rows
// are bounded here; what goes beyond is summed into one aggregate row and counted, never dropped.
import { createHash } from 'node:crypto';
import { REPORT_COLUMNS } from './report';
import { add, failureKey, type FailureGroup, type PolicySummary, type ReportSummary } from './summary';

/** Rows one report may store; beyond them the rest is folded (see `boundSummary`). */
export interface StorageBounds {
  /** Distinct applied policies (type, policy text, MX) stored as rows. */
  policiesPerReport: number;
  /** Failure groups (policy and every field of a detail) stored as rows. */
  failuresPerReport: number;
}

export const STORAGE_DEFAULTS: StorageBounds = { policiesPerReport: 100, failuresPerReport: 500 };

/** What one domain may store per UTC day (by the time received): reports, and their policy and failure rows. */
export interface DailyQuota {
  reports: number;
  rows: number;
}

/** What all domains together may keep; beyond it the oldest reports are pruned. */
export interface StoreCap {
  reports: number;
  rows: number;
}

/** The type and result type of an aggregate row; its `folded` says how many entries it stands for. */
export const FOLDED = 'folded';

export interface StoredPolicy extends PolicySummary {
  /** 0 for a policy as sent; for the aggregate row, how many distinct policies it sums. */
  folded: number;
}

export interface StoredFailure extends FailureGroup {
  /** 0 for a group as sent; for an aggregate row, how many groups of its policy it sums. */
  folded: number;
}

export interface BoundedSummary {
  success: number;
  failure: number;
  policies: StoredPolicy[];
  /** `policy` indexes `policies`. */
  failures: StoredFailure[];
  /** Distinct policies and failure groups summed into aggregate rows (0 when everything fitted). */
  foldedPolicies: number;
  foldedFailures: number;
}

/**
 * The rows to store for a report: identical policies merged, at most `policiesPerReport` policy
 * rows (the largest by sessions, the rest summed into one `folded` row) and at most
 * `failuresPerReport` exact failure groups (the largest by sessions) plus, for each policy whose
 * groups did not all fit, one `folded` row with their sum. So a report stores at most
 * policiesPerReport + failuresPerReport + policiesPerReport rows, and every session is still counted.
 * Texts longer than their TEXT column are shortened so that they fit (see `fitText`).
 */
export function boundSummary(summary: ReportSummary, bounds: StorageBounds): BoundedSummary {
  // 1. Identical policies (same type, text and MX) are one row.
  const merged: StoredPolicy[] = [];
  const byKey = new Map<string, number>();
  const mergedIndex = summary.policies.map((p) => {
    const policy = { ...p, mx: fitMx(p.mx), fingerprint: p.fingerprint === null ? null : fitText(p.fingerprint) };
    const key = JSON.stringify([policy.type, policy.fingerprint, policy.mx]);
    let index = byKey.get(key);
    if (index === undefined) {
      index = merged.push({ ...policy, folded: 0 }) - 1;
      byKey.set(key, index);
    } else {
      merged[index].success = add(merged[index].success, policy.success);
      merged[index].failure = add(merged[index].failure, policy.failure);
    }
    return index;
  });
  // 2. At most policiesPerReport rows: the largest stay, the rest are summed.
  let policies = merged;
  let finalIndex = merged.map((_, i) => i);
  let foldedPolicies = 0;
  if (merged.length > bounds.policiesPerReport) {
    const keep = bounds.policiesPerReport - 1;
    const order = merged.map((_, i) => i).sort((a, b) => sessions(merged[b]) - sessions(merged[a]) || a - b);
    const aggregate: StoredPolicy = { type: FOLDED, domain: merged[order[0]].domain, mx: [], fingerprint: null, success: 0, failure: 0, folded: 0 };
    policies = [];
    finalIndex = new Array<number>(merged.length);
    order.forEach((original, rank) => {
      if (rank < keep) {
        finalIndex[original] = policies.push(merged[original]) - 1;
        return;
      }
      finalIndex[original] = keep;
      aggregate.success = add(aggregate.success, merged[original].success);
      aggregate.failure = add(aggregate.failure, merged[original].failure);
      aggregate.folded++;
    });
    policies.push(aggregate);
    foldedPolicies = aggregate.folded;
  }
  // 3. Failure groups re-keyed to the stored policies (merging the groups that now coincide).
  const groups = new Map<string, StoredFailure>();
  for (const f of summary.failures) {
    const policy = finalIndex[mergedIndex[f.policy]];
    const key = failureKey(policy, f);
    const group = groups.get(key);
    if (group) {
      group.sessions = add(group.sessions, f.sessions);
      group.uncounted += f.uncounted;
    } else groups.set(key, { ...f, policy, folded: 0 });
  }
  const sorted = [...groups.values()].sort((a, b) => b.sessions - a.sessions);
  if (sorted.length <= bounds.failuresPerReport) return { ...totals(summary), policies, failures: sorted, foldedPolicies, foldedFailures: 0 };
  // 4. The largest failuresPerReport groups stay; the rest are summed per policy.
  const failures = sorted.slice(0, bounds.failuresPerReport);
  const perPolicy = new Map<number, StoredFailure>();
  for (const f of sorted.slice(bounds.failuresPerReport)) {
    let aggregate = perPolicy.get(f.policy);
    if (!aggregate) {
      aggregate = {
        policy: f.policy,
        resultType: FOLDED,
        receivingMxHostname: null,
        receivingIp: null,
        sendingMtaIp: null,
        receivingMxHelo: null,
        failureReasonCode: null,
        additionalInformation: null,
        sessions: 0,
        uncounted: 0,
        folded: 0,
      };
      perPolicy.set(f.policy, aggregate);
    }
    aggregate.sessions = add(aggregate.sessions, f.sessions);
    aggregate.uncounted += f.uncounted;
    aggregate.folded++;
  }
  failures.push(...perPolicy.values());
  return { ...totals(summary), policies, failures, foldedPolicies, foldedFailures: sorted.length - bounds.failuresPerReport };
}

function totals(summary: ReportSummary): { success: number; failure: number } {
  return { success: summary.success, failure: summary.failure };
}

function sessions(p: PolicySummary): number {
  return add(p.success, p.failure);
}

/**
 * A text that fits its TEXT column: as it is when it does, else its SHA-256 (`sha256:<hex>`).
 * Only fingerprints get here, which are compared, never shown: a hash still tells two long ones
 * apart, and never equals one of the panel's own (those have `|`).
 */
export function fitText(text: string): string {
  return text.length <= REPORT_COLUMNS.text ? text : `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** The MX patterns whose comma-separated list fits the TEXT column (100 names of 255 characters may not). */
function fitMx(mx: readonly string[]): string[] {
  const out: string[] = [];
  let length = -1;
  for (const host of mx) {
    if (length + 1 + host.length > REPORT_COLUMNS.text) break;
    length += 1 + host.length;
    out.push(host);
  }
  return out;
}

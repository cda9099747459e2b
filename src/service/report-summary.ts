// What a domain's TLS report totals add up to for the reports page and the API: every day of the
// range listed, and each reported policy mapped back to the id that served its text, with the
// old ids senders kept applying long after they were replaced. Pure: the data comes in.
import type { DomainRecord } from '../policy';
import { policyFingerprint } from '../reports';
import type { ReportTotals, TotalsPage } from '../store/report-totals';

export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of a date, UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export interface ReportsSummary {
  domain: string;
  from: string;
  to: string;
  days: Array<{ date: string; success: number; failure: number }>;
  /** `trusted`: a report of it in the period counts (src/store/report-trust.ts); the others are shown as unverified. */
  organisations: Array<{ name: string; trusted: boolean; reports: number; success: number; failure: number }>;
  failures: Array<{
    resultType: string;
    receivingMxHostname: string | null;
    receivingIp: string | null;
    sendingMtaIp: string | null;
    receivingMxHelo: string | null;
    failureReasonCode: string | null;
    additionalInformation: string | null;
    organisation: string | null;
    sessions: number;
    policyType: string;
  }>;
  /** The period's failed sessions of the details, and their ten largest values by four fields. */
  breakdown: Breakdown;
  policies: Array<{ policyType: string; id: string | null; mx: string[]; sessions: number; lastDay: string; stale: StaleId | null }>;
  /** The page of the three lists above (from 1) and its size. */
  page: number;
  limit: number;
  /** Rows of each list in all (at most MAX_GROUPS), and sessions summed beyond them. */
  totals: { organisations: number; failures: number; policies: number };
  folded: { failures: number; policies: number };
}

/** Values of a breakdown listed; the rest is one "others" row. */
export const BREAKDOWN_TOP = 10;

/** One row of a breakdown: a value (null: not reported), or the others (`others`, name null). */
export interface BreakdownRow {
  name: string | null;
  others: boolean;
  sessions: number;
  /** Percent of the period's failed sessions of the details, one decimal. */
  share: number;
}

export interface Breakdown {
  sessions: number;
  resultType: BreakdownRow[];
  receivingMx: BreakdownRow[];
  organisation: BreakdownRow[];
  sendingIp: BreakdownRow[];
}

/** The ten largest entries with their share, and one "others" row for the rest (when there is a rest). */
function topRows(entries: ReadonlyArray<{ name: string | null; sessions: number }>, total: number): BreakdownRow[] {
  const share = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);
  const rows = entries.slice(0, BREAKDOWN_TOP).map(({ name, sessions }) => ({ name, others: false, sessions, share: share(sessions) }));
  const listed = rows.reduce((sum, r) => sum + r.sessions, 0);
  // The rest: the values beyond the ten, and sessions of groups folded beyond what a read keeps.
  if (entries.length > BREAKDOWN_TOP || listed < total) rows.push({ name: null, others: true, sessions: total - listed, share: share(total - listed) });
  return rows;
}

/** An old policy id senders still reported applying long after it was replaced. */
export interface StaleId {
  id: string;
  replacedOn: string;
  lastDay: string;
}

/** A policy id the domain served, with its text's fingerprint and since when, oldest first. */
export interface ServedId {
  id: string;
  fingerprint: string;
  servedFrom: string;
}

/**
 * The summary of [range.from, range.to] (YYYY-MM-DD, UTC, both included) from its totals and the
 * ids the domain served (`ids`, oldest first; the current one is added when missing).
 */
export function describeSummary(
  record: DomainRecord,
  range: { from: string; to: string; at: TotalsPage },
  totals: ReportTotals,
  ids: ServedId[],
): ReportsSummary {
  const { from, to, at } = range;
  const byDay = new Map(totals.days.map((d) => [d.date, d]));
  const days: ReportsSummary['days'] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    const date = utcDay(new Date(t));
    days.push(byDay.get(date) ?? { date, success: 0, failure: 0 });
  }
  const history = [...ids];
  const current = record.policy.id ? { id: record.policy.id, fingerprint: policyFingerprint(record.policy), servedFrom: record.policy.updatedAt ?? '' } : null;
  if (current && !history.some((h) => h.id === current.id)) history.push(current);
  const policies = totals.policies.items.map((p) => {
    // The newest of our ids that served this policy text: reports carry the text, not the id.
    const index = p.fingerprint === null ? -1 : findLastIndex(history, (h) => h.fingerprint === p.fingerprint);
    const match = index >= 0 ? history[index] : null;
    const next = index >= 0 ? history[index + 1] : undefined;
    let stale: StaleId | null = null;
    if (match && next) {
      // Senders may keep a replaced policy for its max_age (plus a day of report lag); after that it should be gone.
      const maxAge = Number((p.fingerprint ?? '').split('|')[1]) || 0;
      const allowedUntil = Date.parse(next.servedFrom) + maxAge * 1000 + DAY_MS;
      if (Date.parse(`${p.lastDay}T00:00:00Z`) > allowedUntil) stale = { id: match.id, replacedOn: next.servedFrom.slice(0, 10), lastDay: p.lastDay };
    }
    return { policyType: p.policyType, id: match?.id ?? null, mx: p.mx === '' ? [] : p.mx.split(','), sessions: p.sessions, lastDay: p.lastDay, stale };
  });
  return {
    domain: record.domain,
    from,
    to,
    days,
    organisations: totals.organisations.items.map(({ name, trusted, reports, success, failure }) => ({ name, trusted, reports, success, failure })),
    failures: totals.failures.items.map(({ details: _details, ...failure }) => failure),
    breakdown: {
      sessions: totals.breakdown.sessions,
      resultType: topRows(totals.breakdown.resultType, totals.breakdown.sessions),
      receivingMx: topRows(totals.breakdown.receivingMx, totals.breakdown.sessions),
      organisation: topRows(totals.breakdown.organisation, totals.breakdown.sessions),
      sendingIp: topRows(totals.breakdown.sendingIp, totals.breakdown.sessions),
    },
    policies,
    page: at.page,
    limit: at.limit,
    totals: { organisations: totals.organisations.total, failures: totals.failures.total, policies: totals.policies.total },
    folded: { failures: totals.failures.folded, policies: totals.policies.folded },
  };
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i;
  return -1;
}

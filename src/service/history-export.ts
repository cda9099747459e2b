// Every domain's change history, the policy ids it served and its last DNS Check, in batches of
// domains, for an audit (`mta-sts export --history`). A batch is read with three queries (the page
// of domains, their history, their served ids), so a fleet of 100,000 domains is 200 batches of
// 500, never all in memory, and a writer can stream each batch before the next is read.
import { expiresBy, servedMode, servedPolicy } from '../policy';
import type { HistoryEntry, HistoryPolicy, HistoryStore } from '../store/history-store';
import type { OverviewStore } from '../store/overview-store';
import type { ReportStore } from '../store/report-store';

/** One change as the API and the export tell it. */
export interface HistoryChange {
  changedAt: string;
  actor: string | null;
  source: string;
  origin: string | null;
  oldId: string | null;
  newId: string | null;
  /** For a retirement (testing/enforce to none): when the `_mta-sts` record may go (RFC 8461 section 8.3). */
  safeRemovalAt: string | null;
  before: HistoryPolicy | null;
  after: HistoryPolicy;
}

export function historyChange(entry: HistoryEntry): HistoryChange {
  const retires = entry.before !== null && servedMode(entry.before) !== 'none' && servedMode(entry.after) === 'none';
  return {
    changedAt: entry.changedAt,
    actor: entry.actor,
    source: entry.source,
    origin: entry.origin,
    oldId: entry.before?.id ?? null,
    newId: entry.after.id,
    safeRemovalAt: retires && entry.before ? expiresBy(new Date(entry.changedAt), entry.before.maxAge).toISOString() : null,
    before: entry.before,
    after: entry.after,
  };
}

export interface ExportedDomain {
  domain: string;
  policy: { active: boolean; mode: string; maxAge: number; mx: string[]; id: string | null; updatedAt: string | null; revision: number; served: boolean };
  /** The policy ids the domain served, oldest first, and since when (what reports are mapped back by). */
  servedIds: Array<{ id: string; servedFrom: string; fingerprint: string }>;
  lastCheck: { checkedAt: string; verdict: string; errors: number; warnings: number; policyId: string | null } | null;
  /** Newest first. */
  history: HistoryChange[];
}

export interface HistoryExportDeps {
  store: OverviewStore;
  history: HistoryStore;
  reports: ReportStore;
}

/** Batches of domains in name order, each with its history, served ids and last check. */
export async function* historyExport(deps: HistoryExportDeps, batchSize = 500): AsyncGenerator<ExportedDomain[]> {
  for (let offset = 0; ; offset += batchSize) {
    const { rows } = await deps.store.page({ sort: 'domain', limit: batchSize, offset });
    if (rows.length === 0) return;
    const keys = rows.map((row) => row.record.key);
    const [history, ids] = await Promise.all([deps.history.forKeys(keys), deps.reports.policyIdsOf(rows.map((row) => row.record.domain))]);
    yield rows.map(({ record, lastCheck }) => ({
      domain: record.domain,
      policy: {
        active: record.policy.active,
        mode: record.policy.mode,
        maxAge: record.policy.maxAge,
        mx: record.policy.mx,
        id: record.policy.id,
        updatedAt: record.policy.updatedAt,
        revision: record.policy.revision,
        served: servedPolicy(record) !== null,
      },
      servedIds: ids.get(record.domain) ?? [],
      lastCheck: lastCheck && {
        checkedAt: lastCheck.checkedAt,
        verdict: lastCheck.verdict,
        errors: lastCheck.errors,
        warnings: lastCheck.warnings,
        policyId: lastCheck.policyId,
      },
      history: (history.get(record.key) ?? []).map(historyChange),
    }));
    if (rows.length < batchSize) return;
  }
}

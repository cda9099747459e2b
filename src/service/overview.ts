// The panel-wide use cases of the overview: the page of domains with their last DNS Check and TLS
// report totals, the defaults for a first policy, and bulk changes. The routers and the command
// call this (as `service.overview`); per-domain rules and the defaults stay in `service.policies`.
import { worst, type DnsCheckResult } from '../check';
import type { Text } from '../text';
import { applyBulk, changesServedPolicy, type BulkChanges, type DomainRecord, type FieldError, type InputKind, type PolicySettings } from '../policy';
import type { Audit, HistoryStore } from '../store/history-store';
import { historyExport, type ExportedDomain } from './history-export';
import type { DnsRecordState, DnsStateStore } from '../store/dns-state-store';
import type { LastCheck, LastCheckStore, RecordedCheck } from '../store/last-check-store';
import type { OverviewQuery, OverviewRow, OverviewStore } from '../store/overview-store';
import type { ReportStore } from '../store/report-store';
import type { PolicyService } from './policies';

export type { LastCheck } from '../store/last-check-store';
export type { OverviewQuery, OverviewRow } from '../store/overview-store';
export { OVERVIEW_DNS_STATES, OVERVIEW_SORTS, OVERVIEW_STATES } from '../store/overview-store';
export type { DnsRecordState } from '../store/dns-state-store';
export { VERDICTS } from '../store/last-check-store';

/** The TLS reports of a domain over the overview's window (the last 7 days). */
export interface ReportTotalsRow {
  reports: number;
  success: number;
  failure: number;
  lastDay: string;
}

export type OverviewEntry = OverviewRow & { reports: ReportTotalsRow | null };

/** One domain's outcome in a bulk change or its preview. */
export type BulkOutcome =
  | { domain: string; status: 'changed' | 'unchanged'; before: PolicySettings; after: PolicySettings; id?: string | null }
  | { domain: string; status: 'invalid'; errors: FieldError[] }
  | { domain: string; status: 'forbidden' | 'not-found' | 'conflict' };

export interface OverviewDeps {
  lastChecks: LastCheckStore;
  /** What the publisher last saw of each record it publishes. */
  dnsStates: DnsStateStore;
  store: OverviewStore;
  reports: ReportStore;
  /** Every change of every domain, for the export. */
  history: HistoryStore;
  /** Each domain of a bulk change is found, started from the defaults and saved there. */
  policies: PolicyService;
  now(): Date;
}

const REPORT_DAYS = 7;

/** A check as its domain's last one is recorded: the verdict (info counts as ok), the worst status, the codes, the whole result. */
export function recordOf(result: DnsCheckResult<Text>): RecordedCheck {
  const errors = result.checks.filter((c) => c.status === 'error').length;
  const warnings = result.checks.filter((c) => c.status === 'warning').length;
  const status = worst(...result.checks.map((c) => c.status));
  const codes = [...new Set(result.checks.map((c) => c.code))];
  return {
    checkedAt: result.checkedAt,
    policyId: result.id,
    verdict: status === 'info' ? 'ok' : status,
    errors,
    warnings,
    worst: status,
    codes,
    result: JSON.stringify(result),
  };
}

export class OverviewService {
  /** Every domain's history, served ids and last check, in batches of domains (`mta-sts export --history`). */
  historyExport(batchSize?: number): AsyncGenerator<ExportedDomain[]> {
    return historyExport({ store: this.deps.store, history: this.deps.history, reports: this.deps.reports }, batchSize);
  }

  constructor(private readonly deps: OverviewDeps) {}

  /** Stores a finished DNS Check as its domain's last one (the tab, API, CLI and scheduler all end here). */
  recordCheck(result: DnsCheckResult<Text>): Promise<void> {
    return this.deps.lastChecks.record(result.domain, recordOf(result));
  }

  /** Keeps the publishing states the publisher saw (after a publish or a repair). */
  recordDnsStates(states: ReadonlyArray<Omit<DnsRecordState, 'since'>>): Promise<void> {
    return this.deps.dnsStates.record(states);
  }

  /** The stored publishing states of these domains' records; domains never published are absent. */
  dnsStates(domains: readonly string[]): Promise<DnsRecordState[]> {
    return this.deps.dnsStates.get(domains);
  }

  /** The last DNS Checks of these domains (A-labels); never-checked ones are absent. */
  lastChecks(domains: readonly string[]): Promise<LastCheck[]> {
    return this.deps.lastChecks.get(domains);
  }

  /** One page of the overview, with each row's TLS report totals of the last 7 days: three statements. */
  async page(query: OverviewQuery): Promise<{ entries: OverviewEntry[]; total: number }> {
    const { rows, total } = await this.deps.store.page(query);
    const from = new Date(this.deps.now().getTime() - REPORT_DAYS * 86400_000).toISOString();
    const totals =
      rows.length === 0
        ? new Map<string, ReportTotalsRow>()
        : await this.deps.reports.recentTotals(
            rows.map((r) => r.record.domain),
            from,
          );
    return { entries: rows.map((row) => ({ ...row, reports: totals.get(row.record.domain) ?? null })), total };
  }

  /** Every host key matching the filters, in name order: for a viewer the host allows domain by domain. */
  keys(query: Omit<OverviewQuery, 'limit' | 'offset' | 'keys'>): Promise<string[]> {
    return this.deps.store.keys(query);
  }

  /**
   * Applies one change to many domains, each in its own save (its own transaction and new id);
   * with `preview`, says what would change and saves nothing. `allow` is the viewer's check: a
   * domain it refuses is answered forbidden and not looked at.
   */
  async bulk(
    names: readonly string[],
    changes: BulkChanges,
    options: { kind: InputKind; preview: boolean; audit?: Audit; allow?: (name: string) => Promise<boolean> },
  ): Promise<BulkOutcome[]> {
    const defaults = await this.deps.policies.defaults();
    const outcomes: BulkOutcome[] = [];
    for (const name of names) {
      if (options.allow && !(await options.allow(name))) {
        outcomes.push({ domain: name, status: 'forbidden' });
        continue;
      }
      const record = await this.deps.policies.find(name);
      if (!record) {
        outcomes.push({ domain: name, status: 'not-found' });
        continue;
      }
      // A domain's first policy starts from the panel's defaults.
      const start = (current: PolicySettings) => (record.policy.id === null ? { ...current, ...defaults } : current);
      if (options.preview) {
        const before = settingsOf(record);
        const next = applyBulk(start(before), changes, options.kind);
        if (!next.ok) outcomes.push({ domain: record.domain, status: 'invalid', errors: next.errors });
        else {
          const changed = !record.valid || record.policy.id === null || changesServedPolicy(before, next.value);
          outcomes.push({ domain: record.domain, status: changed ? 'changed' : 'unchanged', before, after: next.value });
        }
        continue;
      }
      let before: PolicySettings | null = null;
      const result = await this.deps.policies.save(
        record.domain,
        (current) => {
          before = current;
          return applyBulk(start(current), changes, options.kind);
        },
        { audit: options.audit },
      );
      if (result.status === 'saved') {
        const after = settingsOf(result.record);
        outcomes.push({ domain: record.domain, status: result.changed ? 'changed' : 'unchanged', before: before ?? after, after, id: result.record.policy.id });
      } else if (result.status === 'invalid') outcomes.push({ domain: record.domain, status: 'invalid', errors: result.errors });
      else outcomes.push({ domain: record.domain, status: result.status });
    }
    return outcomes;
  }
}

function settingsOf(record: DomainRecord): PolicySettings {
  const { active, version, mode, maxAge, mx } = record.policy;
  return { active, version, mode, maxAge, mx: [...mx] };
}

// The use cases behind the scheduled DNS Checks: which domains to check, the check itself (kept as
// the domain's last check, as every check is), the alert states (the plugin's own table), and the
// TLS report failures per day.
// The scheduler (src/scheduler/) decides and sends; it reaches the data only through this.
import { checkEach, failedDnsCheck, type DnsCheckResult } from '../check';
import type { Locale } from '../i18n';
import { sayDnsCheck } from '../render/check';
import type { Text } from '../text';
import { servedPolicy, type DomainRecord } from '../policy';
import type { AlertState, AlertStore } from '../store/alert-store';
import type { DnsRecordState, DnsStateStore } from '../store/dns-state-store';
import type { PolicyStore } from '../store/policy-store';
import type { ReportStore } from '../store/report-store';

export type { AlertState } from '../store/alert-store';

export interface MonitorDeps {
  store: PolicyStore;
  alerts: AlertStore;
  reports: ReportStore;
  /** What the DNS publisher last saw of each record it publishes. */
  dnsStates: DnsStateStore;
  /** The check's verdicts, not yet in a language: the alerts say them in theirs. */
  check(record: DomainRecord): Promise<DnsCheckResult<Text>>;
}

export class MonitorService {
  constructor(private readonly deps: MonitorDeps) {}

  /**
   * A page of the domains whose policy is served (MTA-STS and the host's domain active, values
   * valid), after `after` in key order; `next` is where the following page starts, null at the end.
   */
  async servedDomains(after: string | null, limit: number): Promise<{ records: DomainRecord[]; next: string | null }> {
    const { records, last } = await this.deps.store.activeRecords(after, limit);
    return { records: records.filter((record) => servedPolicy(record) !== null), next: last };
  }

  /** The DNS Check of one stored domain, its sentences in `locale`. Never rejects. */
  async check(record: DomainRecord, locale: Locale): Promise<DnsCheckResult> {
    return sayDnsCheck(locale, await this.deps.check(record));
  }

  alertStates(domains: readonly string[]): Promise<AlertState[]> {
    return this.deps.alerts.states(domains);
  }

  /** The stored publishing states of these domains' records (none when this product does not publish them). */
  dnsStates(domains: readonly string[]): Promise<DnsRecordState[]> {
    return this.deps.dnsStates.get(domains);
  }

  saveAlertStates(states: readonly AlertState[]): Promise<void> {
    return this.deps.alerts.saveStates(states);
  }

  /** Failed TLS sessions per domain and day (YYYY-MM-DD, UTC) reported in [from, to], in one query; absent when none. */
  failuresByDay(domains: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
    return this.deps.reports.failuresByDay(domains, from, to);
  }

  /** The DNS Checks of these domains, at most `concurrency` at once, in input order; never rejects for one. */
  checkAll(records: readonly DomainRecord[], locale: Locale, concurrency: number): Promise<DnsCheckResult[]> {
    return checkEach(records, (record) => this.check(record, locale), {
      concurrency,
      domainOf: (record) => record.domain,
      onError: (record, err) => sayDnsCheck(locale, failedDnsCheck(record.domain, err)),
    });
  }
}

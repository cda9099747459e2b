// Publishing a domain's DNS records from the running server: the `_mta-sts` TXT id of the policy
// the policy file serves now (never one it does not serve yet: RFC 8461 8.1 asks for the policy
// first, then its id), and the `_smtp._tls` record when reports are configured. A retired domain
// (mode none) publishes the id of its none policy until the safe-removal date (the retirement plus
// the Maximum Age of the policy it replaced: no sender can still hold that one), and from then on
// its `v=STSv1` record is removed. A domain the set does not serve (switched off, deleted) is left
// as it is.
import { translate } from '../i18n';
import type { Logger } from '../logger';
import { applyPlan, brake, managedRecords, readPlan, type DnsPublisher, type DomainWants, type Outcome, type PlannedRecord } from '../publish';
import type { DnsRecordState } from '../store/dns-state-store';
import type { PolicyService } from './policies';
import type { ReportService } from './reports';
import type { ServedService } from './served';

export interface PublisherDeps {
  publisher: DnsPublisher;
  served: ServedService;
  policies: PolicyService;
  reports: ReportService;
  logger: Logger;
  /** CNAME delegation per domain: the panel's zone, where a delegated domain's `_mta-sts` TXT is published; null: direct. */
  delegationZoneOf?: (domain: string) => Promise<{ zone: string | null; settled: boolean }>;
  /** The clock of the states' times (the scheduled checks compare them with theirs). */
  now?: () => Date;
  /** Keeps what the publisher saw of each record (the overview and the alerts read it); absent: kept nowhere. */
  recordStates?: (states: ReadonlyArray<Omit<DnsRecordState, 'since'>>) => Promise<void>;
}

/** What one publish or repair did: records written, records that failed, and whether the brake stopped it. */
export interface PublishSummary {
  applied: number;
  failed: number;
  stopped: boolean;
}

const PAGE = 1000;

/** The log's words (src/i18n/publish-en.ts): the log is English, as no setting chooses its language. */
const LOG = 'en';

const shown = (now: PlannedRecord['now']) =>
  now === 'unknown'
    ? translate(LOG, 'publish.log.held.unknown')
    : now.length === 0
      ? translate(LOG, 'publish.log.held.nothing')
      : now.map((t) => JSON.stringify(t)).join(' + ');

export class PublisherService {
  constructor(private readonly deps: PublisherDeps) {}

  /** Tells `listener` the domains whose served id changed, once the policy file serves the new policy. */
  onServedChange(listener: (domains: string[]) => void): void {
    this.deps.served.onChange(listener);
  }

  /** Reads other processes' saves now: their domains then reach `onServedChange`. */
  noticeChanges(): Promise<void> {
    return this.deps.served.renew();
  }

  /** Publishes what these domains should publish now (after a change). */
  async publish(domains: readonly string[]): Promise<PublishSummary> {
    const plan = await readPlan(this.deps.publisher, (await this.wants(domains)).flatMap(managedRecords));
    return this.apply(plan, 'published');
  }

  /**
   * Drift repair: plans every domain with a saved policy (reads only when nothing differs) and
   * applies the differences, unless more than 30% of the records already published would change
   * (as `mta-sts publish` without --force): then nothing is changed and that is logged.
   */
  async repair(): Promise<PublishSummary> {
    const domains: string[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const { records } = await this.deps.policies.list({ limit: PAGE, offset });
      domains.push(...records.filter((r) => r.policy.id !== null).map((r) => r.domain));
      if (records.length < PAGE) break;
    }
    const plan = await readPlan(this.deps.publisher, (await this.wants(domains)).flatMap(managedRecords));
    const stop = brake(plan);
    if (stop.stop) {
      this.deps.logger.error(translate(LOG, 'publish.log.stopped', { changing: stop.changing, existing: stop.existing }));
      await this.keep(plan.map((record) => ({ record, result: 'skipped' as const })));
      return { applied: 0, failed: 0, stopped: true };
    }
    return this.apply(plan, 'repaired');
  }

  /** Per domain, the id the policy file serves now; a domain not served (or not readable now) is left out. */
  private async wants(domains: readonly string[]): Promise<DomainWants[]> {
    const wants: DomainWants[] = [];
    for (const domain of domains) {
      const found = await this.deps.served.lookup(domain);
      if (found.status !== 'found') continue;
      const { zone: delegationZone, settled } = (await this.deps.delegationZoneOf?.(domain)) ?? { zone: null, settled: true };
      // Direct or delegated could not be told now: left for the next run, not written to a guess.
      if (!settled) {
        this.deps.logger.warn(`${domain}: whether its zone takes updates could not be told now; its records are published on the next run`);
        continue;
      }
      const removable = await this.deps.policies.removable(domain, found.policy);
      wants.push({
        domain,
        servedId: removable ? null : found.policy.id,
        tlsRpt: await this.deps.reports.publishedRecord(domain),
        delegationZone,
      });
    }
    return wants;
  }

  /** Applies a plan and logs each record written and one line per failing zone. Records hold no secret, and errors name no key. */
  private async apply(plan: PlannedRecord[], verb: 'published' | 'repaired'): Promise<PublishSummary> {
    const { logger } = this.deps;
    const outcomes: Outcome[] = await applyPlan(this.deps.publisher, plan);
    await this.keep(await this.readBack(outcomes));
    const failures = new Map<string, number>();
    let applied = 0;
    for (const { record, result, error } of outcomes) {
      if (result === 'applied') {
        applied += 1;
        const where = { name: record.name, type: record.type, held: shown(record.now) };
        logger.info(
          record.wanted === null
            ? translate(LOG, `publish.log.${verb}.removed`, where)
            : translate(LOG, `publish.log.${verb}.wrote`, { ...where, value: JSON.stringify(record.wanted) }),
        );
      } else if (result === 'failed') {
        const reason = error ?? 'failed';
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
    // One line per zone and reason: a wrong key fails every record of its zone the same way.
    for (const [reason, count] of failures)
      logger.error(translate(LOG, count === 1 ? 'publish.log.failed.one' : 'publish.log.failed.other', { count, reason }));
    const unread = plan.filter((r) => r.action === null);
    if (unread.length > 0)
      logger.warn(translate(LOG, unread.length === 1 ? 'publish.log.unread.one' : 'publish.log.unread.other', { count: unread.length, name: unread[0].name }));
    return { applied, failed: [...failures.values()].reduce((a, b) => a + b, 0), stopped: false };
  }

  /**
   * Keeps each record's state as the publisher saw it: published when the zone held it as wanted,
   * pending when it was just written (the other name servers follow), differs when the write failed
   * or was not made (the brake). A record that could not be read keeps its last state. A failure
   * here is logged: publishing itself went on.
   */
  private async keep(outcomes: readonly Outcome[]): Promise<void> {
    if (!this.deps.recordStates) return;
    const checkedAt = (this.deps.now?.() ?? new Date()).toISOString();
    const states = outcomes.flatMap(({ record, result }) => {
      if (record.action === null) return [];
      const state = record.action === 'none' ? 'published' : result === 'applied' ? 'pending' : 'differs';
      return [{ domain: record.domain, name: record.name, state, checkedAt } as const];
    });
    if (states.length === 0) return;
    await this.deps.recordStates(states).catch((err: unknown) => this.deps.logger.error(translate(LOG, 'publish.log.keepFailed'), err));
  }

  /** The records just written, read again: those the zone now holds as wanted are kept as published, the others as pending. */
  private async readBack(outcomes: Outcome[]): Promise<Outcome[]> {
    if (!this.deps.recordStates) return outcomes;
    const written = outcomes.filter((o) => o.result === 'applied');
    if (written.length === 0) return outcomes;
    const again = await readPlan(
      this.deps.publisher,
      written.map((o) => o.record),
    );
    const held = new Set(again.filter((r) => r.action === 'none').map((r) => r.name));
    return outcomes.map((o) => (o.result === 'applied' && held.has(o.record.name) ? { ...o, record: { ...o.record, action: 'none' } } : o));
  }
}

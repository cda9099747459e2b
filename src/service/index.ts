// The plugin's use cases, in one place for every caller: the routers (tab, API, policy file), the
// factory's members, and the coming CLI and scheduler. Routers never touch the store, the
// served-policy cache or the resolver themselves; they call this.
import { createResolver, type Resolver } from '../dns';
import { notify, type Logger, type Observer } from '../logger';
import type { ImapSettings, ResolvedOptions } from '../options';
import { SocketLimiter } from '../limiter';
import {
  POLICY_ID,
  applyChanges,
  parsePolicy,
  parseStsRecord,
  renderPolicy,
  retirePolicy,
  servedPolicy,
  type DomainRecord,
  type InputKind,
  type PolicySettings,
  type Problem,
  type StoredPolicy,
  type Validation,
} from '../policy';
import { AddressFilter } from '../probes';
import { migrateLatest, migrationStatus, repairColumns, rollbackAll, type MigrateOptions } from '../store/migrate';
import { isDatabaseBusy, isDatabaseUnavailable } from '../store/errors';
import { HistoryStore, type Audit, type HistoryEntry } from '../store/history-store';
import { readMailcowPolicies, type MailcowPolicy } from '../store/mailcow';
import { PolicyStore, type ListQuery, type SaveResult } from '../store/policy-store';
import { ServedCache, type Lookup } from '../store/served-cache';
import { ServedReader } from '../store/served-reader';
import { ReportFetcher, fetchReportsOnce, type FetchOutcome } from './report-fetch';
import { ReportService } from './reports';
import { MonitorService } from './monitor';
import { AlertStore } from '../store/alert-store';
import { ReportStore } from '../store/report-store';
import { CertificateStore, type CertificateRow } from '../store/certificate-store';
import { FleetService } from './fleet';
import { ChecksService } from './checks';
import { LastCheckStore } from '../store/last-check-store';
import { OverviewStore } from '../store/overview-store';
import { SettingsStore } from '../store/settings-store';

export type { FetchOutcome } from './report-fetch';
export { ReportFetcher } from './report-fetch';
export type { ListQuery, SaveFailure, SaveResult } from '../store/policy-store';
export type { Audit, HistoryEntry } from '../store/history-store';
export { isDatabaseBusy, isDatabaseUnavailable };
export type { CertificateRow } from '../store/certificate-store';

/** A name a certificate must cover, with what decides whether it is still worth renewing. */
export interface CertificateTarget {
  /** `mta-sts.<domain or alias>`, A-label. */
  name: string;
  mode: StoredPolicy['mode'];
  maxAge: number;
  /** For a policy in mode none: since when (ISO 8601) it has been none, from the history; else null. */
  noneSince: string | null;
}

/** Where a name points in DNS (A and AAAA through the plugin's resolver), or why that is unknown. */
export type NameAddresses = { ok: true; addresses: string[] } | { ok: false; reason: string };

/** What importing a hand-written policy file gives: the save's result, or why nothing was saved. */
export type ImportResult = SaveResult | { status: 'bad-policy'; errors: Problem[] } | { status: 'bad-id'; id: string };
export type { Lookup } from '../store/served-cache';

export type { MxDns } from './checks';

export interface ServiceDeps {
  store: PolicyStore;
  history: HistoryStore;
  cache: ServedCache;
  resolver: Resolver;
  logger: Logger;
  /** The host's hooks for metrics; empty when it gave none. */
  observer?: Observer;
  migrations: MigrateOptions;
  now: () => Date;
  /** TLS reporting (RFC 8460): settings, intake, summaries. */
  reports: ReportService;
  /** Report mails fetched by IMAP (`reports.imap`), or null. */
  imap: ImapSettings | null;
  /** The overview: last DNS Checks, defaults, bulk changes. */
  fleet: FleetService;
  /** The scheduled checks' data: domains to check, last results, alert states. */
  monitor: MonitorService;
  /** The DNS Checks: one domain, many, the tab's. */
  checks: ChecksService;
}

// Rendered bodies per stored policy object: the cache hands out the same object until the policy
// changes, so each policy is rendered once, and the DNS Check compares exactly these bytes.
const bodies = new WeakMap<StoredPolicy, Buffer>();
// And per content: the body names neither the domain nor the id, so the 100,000 domains of a
// fleet with a handful of MX sets share a handful of buffers. Bounded: cleared when it grows past
// what any real fleet has in distinct policies.
const shared = new Map<string, Buffer>();
const SHARED_BODIES = 10_000;

/** The policy file's bytes for a served policy. */
export function policyBody(policy: StoredPolicy): Buffer {
  let buffer = bodies.get(policy);
  if (!buffer) {
    const key = `${policy.version}|${policy.mode}|${policy.maxAge}|${policy.mx.join(',')}`;
    buffer = shared.get(key);
    if (!buffer) {
      buffer = Buffer.from(renderPolicy(policy), 'utf8');
      if (shared.size >= SHARED_BODIES) shared.clear();
      shared.set(key, buffer);
    }
    bodies.set(policy, buffer);
  }
  return buffer;
}

export class MtaStsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The service over validated options: the one way the factory, the CLI and the server build it. */
  static fromOptions(options: ResolvedOptions): MtaStsService {
    const history = new HistoryStore(options.knex, `${options.tablePrefix}history`);
    // Created now so that a bad `dns` option fails at start, like every other option.
    const resolver = options.resolver ?? createResolver(options.dns);
    const store = new PolicyStore(
      options.knex,
      { table: options.domainTable, keyColumn: options.domainColumn, activeColumn: options.domainActiveColumn },
      options.aliasDomains,
      { timeoutMs: options.database.timeoutMs, history },
    );
    // The cache reports failed reloads here, so that columns dropped under a running server are noticed.
    let service: MtaStsService | null = null;
    const served = new ServedReader(store);
    const cache = new ServedCache(
      () => served.load(),
      options.cache,
      (domain) => served.loadOne(domain),
      (err) => service?.noticeLoadFailure(err),
      ({ ok, durationMs, names }) =>
        ok ? notify(options.observer, 'servedSetLoaded', { durationMs, names }) : notify(options.observer, 'servedSetFailed', { durationMs }),
      (token, now) => served.changes(token, now, served.commitGapMs),
    );
    const reportStore = new ReportStore(options.knex, options.tablePrefix, { timeoutMs: options.database.timeoutMs });
    const lastChecks = new LastCheckStore(options.knex, `${options.tablePrefix}last_checks`);
    const fleet = new FleetService({
      lastChecks,
      settings: new SettingsStore(options.knex, `${options.tablePrefix}settings`),
      overview: new OverviewStore(store, lastChecks),
      reports: reportStore,
      find: (name) => store.find(name),
      save: (name, change, saveOptions) => (service as MtaStsService).save(name, change, saveOptions),
      now: options.now,
    });
    const reports = new ReportService({
      store: reportStore,
      find: (name) => store.find(name),
      resolver,
      logger: options.logger,
      now: options.now,
      intakeUrl: options.reports.intakeUrl,
      retentionDays: options.reports.retentionDays,
      limits: options.reports.limits,
    });
    const checks = new ChecksService({
      resolver,
      logger: options.logger,
      observer: options.observer,
      mailHostname: options.mailHostname,
      probes: { https: options.dnsCheck.https, smtp: options.dnsCheck.smtp },
      // One of each per plugin instance: the socket cap holds for every check together.
      network: { limiter: new SocketLimiter(options.dnsCheck.maxSockets), addresses: new AddressFilter(options.dnsCheck.allowAddresses) },
      now: options.now,
      knex: options.knex,
      tablePrefix: options.tablePrefix,
      find: (name) => store.find(name),
      servedText: (domain) => (service as MtaStsService).servedText(domain),
      reporting: (domain) => reports.reporting(domain),
      recordCheck: (result) => fleet.recordCheck(result),
    });
    service = new MtaStsService({
      checks,
      store,
      history,
      cache,
      resolver,
      fleet,
      monitor: new MonitorService({
        store,
        alerts: new AlertStore(options.knex, options.tablePrefix),
        reports: reportStore,
        check: (record) => checks.checkRecord(record),
      }),
      reports,
      logger: options.logger,
      migrations: { table: options.domainTable, keyColumn: options.domainColumn, tablePrefix: options.tablePrefix, migrationsTable: options.migrationsTable },
      now: options.now,
      observer: options.observer,
      imap: options.reports.imap,
    });
    return service;
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  /** A domain by any spelling (A-label, U-label, any case), or null. */
  find(name: string): Promise<DomainRecord | null> {
    return this.deps.store.find(name);
  }

  /**
   * Applies a change to a domain's policy (validated inside the save's transaction) and, once it
   * is committed, puts it into this instance's served set before the caller answers: the instance
   * that saved never serves the old policy afterwards.
   */
  async save(
    name: string,
    change: (current: PolicySettings) => Validation<PolicySettings>,
    options: { expectedRevision?: number; id?: string; audit?: Audit } = {},
  ): Promise<SaveResult> {
    const result = await this.deps.store.save(name, change, { ...options, now: this.deps.now });
    if (result.status === 'saved') this.deps.cache.applyLocal(result.record.domain, servedPolicy(result.record), result.record.policy.revision);
    if (result.status === 'saved' && result.changed) await this.rememberPolicy(result.record);
    return result;
  }

  /** Validates `changes` (form-style text or JSON-typed values) onto the stored policy and saves them. */
  async update(
    name: string,
    changes: Record<string, unknown>,
    kind: InputKind,
    options: { expectedRevision?: number; audit?: Audit } = {},
  ): Promise<SaveResult> {
    // A domain's first policy starts from the panel's defaults; what is sent overrides them.
    const record = await this.find(name);
    const defaults = record !== null && record.policy.id === null ? await this.deps.fleet.defaults() : null;
    return this.save(name, (current) => applyChanges(defaults ? { ...current, ...defaults } : current, changes, kind), options);
  }

  /**
   * Retires a policy the RFC 8461 section 8.3 way: served in mode none, with a small max_age and
   * a new id, so that senders drop their cached copy; the DNS records may go once that has expired.
   */
  retire(name: string, options: { expectedRevision?: number; audit?: Audit } = {}): Promise<SaveResult> {
    return this.save(name, retirePolicy, options);
  }

  /** mailcow's own MTA-STS settings (its `mta_sts` table, or `table`), for `mta-sts import-mailcow` to import. */
  mailcowPolicies(table: string): Promise<MailcowPolicy[]> {
    return readMailcowPolicies(this.deps.store.knex, table);
  }

  /**
   * Stores a hand-written policy file as the domain's policy, active, keeping its id when it is a
   * valid one (1 to 32 letters and digits), so senders that cached it see no change. Nothing is
   * saved when the file is not a valid policy.
   */
  async importPolicy(name: string, text: string, id: string | null, audit?: Audit): Promise<ImportResult> {
    const parsed = parsePolicy(text);
    if (!parsed.ok) return { status: 'bad-policy', errors: parsed.errors };
    if (id !== null && !POLICY_ID.test(id)) return { status: 'bad-id', id };
    const { mode, mx, maxAge } = parsed.policy;
    return this.save(name, (current) => applyChanges(current, { mode, mx, maxAge, active: true }, 'json'), { audit, ...(id === null ? {} : { id }) });
  }

  /**
   * The policy id a domain publishes today in `_mta-sts.<domain>`, when DNS holds exactly one
   * valid STS record; null otherwise. Imports keep it so senders see no change.
   */
  async publishedId(domain: string): Promise<string | null> {
    const answer = await this.deps.resolver.lookup(`_mta-sts.${domain}`, 'TXT').catch(() => null);
    if (!answer?.ok) return null;
    const records = answer.records.filter((record) => /^v=STSv1/i.test(record)).map(parseStsRecord);
    return records.length === 1 && records[0].ok ? records[0].id : null;
  }

  /** A domain's changes, newest first; null for an unknown domain. */
  async history(name: string, page: { limit: number; offset: number }): Promise<{ record: DomainRecord; entries: HistoryEntry[]; total: number } | null> {
    const record = await this.find(name);
    if (!record) return null;
    return { record, ...(await this.deps.history.list(record.key, page)) };
  }

  private repairing: Promise<number | null> | null = null;

  /**
   * A reload of the served set failed: if the host's table lost the plugin's columns (a panel's
   * schema upgrade drops columns it does not know), put them back and their values with them.
   * Meanwhile the last known good set keeps being served. One repair at a time.
   */
  /**
   * Resolves once background work on the database is done (a served-set reload, a column check):
   * the command waits for it before closing the database, so nothing is cut off mid-query.
   */
  async idle(): Promise<void> {
    await this.deps.cache.settle();
    await this.repairing;
  }

  noticeLoadFailure(err: unknown): void {
    // An unreachable database says nothing about the columns; the reload is retried anyway.
    if (this.repairing || isDatabaseUnavailable(err)) return;
    this.repairing = this.repairColumns()
      .catch((err: unknown) => {
        this.deps.logger.error('checking the MTA-STS columns after a failed reload failed', err);
        return null;
      })
      .finally(() => {
        this.repairing = null;
      });
  }

  /**
   * Adds back missing policy columns and restores every policy from the history, ids unchanged.
   * Returns how many policies were restored, or null when nothing was missing.
   */
  async repairColumns(): Promise<number | null> {
    const missing = await this.deps.store.missingColumns();
    if (missing.length === 0) return null;
    const { table } = this.deps.migrations;
    this.deps.logger.error(
      `the MTA-STS columns ${missing.join(', ')} are missing from the table "${table}" (dropped by the panel's schema upgrade?): adding them back and restoring every policy from ${this.deps.history.table}`,
    );
    await repairColumns(this.deps.store.knex, this.deps.migrations);
    const restored = await this.deps.store.restore(await this.deps.history.latest());
    this.deps.logger.error(`restored ${restored} MTA-STS policies into "${table}" with their ids; policies keep being served`);
    return restored;
  }

  /** Domains with their policies, in name order, filtered and paged. */
  list(query: ListQuery): Promise<{ records: DomainRecord[]; total: number }> {
    return this.deps.store.list(query);
  }

  /** Migrations applied and pending, the plugin's columns the table lacks, and how many names are served. */
  async status(): Promise<{ applied: string[]; pending: string[]; missingColumns: string[]; served: number | null }> {
    const { applied, pending } = await migrationStatus(this.deps.store.knex, this.deps.migrations);
    const missingColumns = await this.deps.store.missingColumns();
    const names = missingColumns.length === 0 ? await this.deps.cache.servedDomains() : null;
    return { applied, pending, missingColumns, served: names === null ? null : names.length };
  }

  /** The scheduled checks: domains to check, last results, alert states. */
  get monitor(): MonitorService {
    return this.deps.monitor;
  }

  /** The DNS Checks (./checks.ts): one stored domain, a domain by name, many, the tab's. */
  get checks(): ChecksService {
    return this.deps.checks;
  }

  /** TLS reporting: the rua setting, report intake (HTTPS and mail) and summaries. */
  get reports(): ReportService {
    return this.deps.reports;
  }

  /** The overview's use cases: last DNS Checks (`fleet.recordCheck`, `fleet.lastChecks`), defaults, bulk changes. */
  get fleet(): FleetService {
    return this.deps.fleet;
  }

  /**
   * A poller of an IMAP mailbox of report mails: the configured `reports.imap`, or the given
   * settings (the command's flags). Null when neither is there.
   */
  reportFetcher(settings: ImapSettings | null = this.deps.imap): ReportFetcher | null {
    return settings === null ? null : new ReportFetcher(settings, this.deps.reports, this.deps.logger);
  }

  /** One fetch from an IMAP mailbox now (the command's); rejects when the server cannot be used. */
  fetchReports(settings: ImapSettings): Promise<FetchOutcome> {
    return fetchReportsOnce(settings, this.deps.reports, this.deps.logger);
  }

  /**
   * Reports name the policy they applied by its text, not its id: each new id is remembered with
   * its text. The save is committed already, so a failure here is logged, never the save's.
   */
  private async rememberPolicy(record: DomainRecord): Promise<void> {
    await this.deps.reports.rememberPolicy(record).catch((err: unknown) => this.deps.logger.error('could not remember the policy id for TLS reports', err));
  }

  /** The policy served for a host name at once from memory, or null: then ask `lookupServed`. */
  peekServed(name: string): StoredPolicy | null {
    return this.deps.cache.peek(name);
  }

  /** The policy served for a host name, waiting for the database when memory cannot say. */
  lookupServed(name: string): Promise<Lookup> {
    return this.deps.cache.lookup(name);
  }

  /** The policy text exactly as the policy file serves it for a domain, or null when none is served. */
  async servedText(domain: string): Promise<string | null> {
    const found = await this.deps.cache.lookup(domain);
    if (found.status === 'unavailable') throw new Error('the database is unavailable, so what the policy file serves is unknown');
    return found.status === 'found' ? policyBody(found.policy).toString('utf8') : null;
  }

  /** `mta-sts.<name>` for every domain and alias with a served policy; null while the database is unavailable. */
  async certificateNames(): Promise<string[] | null> {
    const names = await this.deps.cache.servedDomains();
    return names === null ? null : names.map((domain) => `mta-sts.${domain}`);
  }

  /**
   * The certificate names with their policy's mode, Maximum Age and, for mode none, since when:
   * the built-in ACME client stops renewing once a retired policy's max_age has run out.
   * Null while the database is unavailable.
   */
  async certificateTargets(): Promise<CertificateTarget[] | null> {
    const domains = await this.deps.cache.servedDomains();
    if (domains === null) return null;
    const targets: CertificateTarget[] = [];
    for (const domain of domains) {
      const found = this.deps.cache.peek(domain) ?? (await this.deps.cache.lookup(domain).then((l) => (l.status === 'found' ? l.policy : null)));
      if (!found) continue;
      const noneSince = found.mode === 'none' ? await this.noneSince(found) : null;
      targets.push({ name: `mta-sts.${domain}`, mode: found.mode, maxAge: found.maxAge, noneSince });
    }
    return targets;
  }

  /** When a policy now in mode none got there: the oldest of the newest run of history entries in mode none. */
  private async noneSince(policy: StoredPolicy): Promise<string | null> {
    const record = await this.find(policy.domain).catch(() => null);
    if (!record) return policy.updatedAt;
    const { entries } = await this.deps.history.list(record.key, { limit: 50, offset: 0 });
    let since: string | null = null;
    for (const entry of entries) {
      if (entry.after.mode !== 'none') break;
      since = entry.changedAt;
    }
    return since ?? policy.updatedAt;
  }

  /** The IPv4 and IPv6 addresses a name has in DNS, through the plugin's own resolver. Never rejects. */
  async resolveAddresses(name: string): Promise<NameAddresses> {
    const [a, aaaa] = await Promise.all([
      this.deps.resolver.lookup(name, 'A').catch((err: unknown) => ({ ok: false as const, failure: 'error', message: String(err) })),
      this.deps.resolver.lookup(name, 'AAAA').catch((err: unknown) => ({ ok: false as const, failure: 'error', message: String(err) })),
    ]);
    const addresses = [...(a.ok ? a.records : []), ...(aaaa.ok ? aaaa.records : [])];
    if (addresses.length > 0) return { ok: true, addresses };
    // Both failed or both empty: say the A lookup's failure, the one an admin looks at first.
    const failure = !a.ok ? a : !aaaa.ok ? aaaa : null;
    return { ok: false, reason: failure ? `${failure.failure}: ${failure.message}` : 'no A or AAAA record' };
  }

  /** The built-in ACME client's state per certificate name (no key material), for status pages and the command. */
  async certificateStatus(): Promise<Array<Omit<CertificateRow, 'keyEnc'>>> {
    const store = new CertificateStore(this.deps.store.knex, this.deps.migrations.tablePrefix);
    // Before migration 20261201000300 (or never used): no state to show.
    if (!(await store.knex.schema.hasTable(store.tables.certificates))) return [];
    const rows = await store.all();
    return rows.map(({ keyEnc: _secret, ...row }) => row);
  }

  migrate(): Promise<string[]> {
    return migrateLatest(this.deps.store.knex, this.deps.migrations);
  }

  rollback(): Promise<string[]> {
    return rollbackAll(this.deps.store.knex, this.deps.migrations);
  }
}

// The plugin's use cases, in one place for every caller: the routers (tab, API, policy file), the
// factory's members, the CLI, the scheduler and the certificate manager. Routers never touch the
// store, the served-policy cache or the resolver themselves; they call these services. This file
// only builds them, each after the ones it uses, and hands each its collaborators.
import { createResolver } from '../dns';
import { SocketLimiter } from '../limiter';
import type { ResolvedOptions } from '../options';
import { AddressFilter } from '../probes';
import { AlertStore } from '../store/alert-store';
import { CertificateStore } from '../store/certificate-store';
import { isDatabaseBusy, isDatabaseUnavailable } from '../store/errors';
import { HistoryStore } from '../store/history-store';
import { DnsStateStore } from '../store/dns-state-store';
import { LastCheckStore } from '../store/last-check-store';
import { OverviewStore } from '../store/overview-store';
import { PolicyStore } from '../store/policy-store';
import { ReportStore } from '../store/report-store';
import { ReportFileStore } from '../store/report-files';
import { SettingsStore } from '../store/settings-store';
import { CertificateService } from './certificates';
import { ChecksService } from './checks';
import { OverviewService } from './overview';
import { MonitorService } from './monitor';
import { PolicyService } from './policies';
import { PublishModes } from './publish-modes';
import { ReportMailbox } from './report-fetch';
import { ReportService } from './reports';
import { ReportFileService } from './report-files';
import { SchemaService } from './schema';
import { ServedService } from './served';

export type { FetchOutcome } from './report-fetch';
export type { SaveResult } from '../store/policy-store';
export type { SaveFailure } from '../store/errors';
export type { Audit, HistoryEntry } from '../store/history-store';
export { isDatabaseBusy, isDatabaseUnavailable };
export type { CertificateTarget } from './certificates';
export { policyBody } from './served';
export { missingHostParts } from './schema';
export type { MxDns } from './checks';

/** The plugin's services, one per concern; callers reach each as a property (`service.policies.save(...)`). */
export interface MtaStsService {
  /** A domain's policy: find, save, update, retire, import, history, list, the defaults for a first policy. */
  readonly policies: PolicyService;
  /** What the policy file serves for a name, from memory. */
  readonly served: ServedService;
  /** The names a certificate must cover, and the built-in ACME client's state. */
  readonly certificates: CertificateService;
  /** Migrations and the plugin's columns. */
  readonly schema: SchemaService;
  /** TLS reporting: the rua setting, report intake (HTTPS and mail) and summaries. */
  readonly reports: ReportService;
  /** The stored reports as files: the list, each original JSON, the export of a period's failures. */
  readonly reportFiles: ReportFileService;
  /** Report mails fetched by IMAP. */
  readonly mailbox: ReportMailbox;
  /** The overview: last DNS Checks, the page of domains, bulk changes. */
  readonly overview: OverviewService;
  /** The DNS Check of one domain, of many, and the tab's MX lookup. */
  readonly checks: ChecksService;
  /** Per domain, direct or delegated publishing (with a delegation configured), the same for every part. */
  readonly modes: PublishModes;
  /** The scheduled checks' data: domains to check, last results, alert states. */
  readonly monitor: MonitorService;
}

export const MtaStsService = {
  /** The services over validated options: the one way the factory, the CLI and the server build them. */
  fromOptions(options: ResolvedOptions): MtaStsService {
    const { knex, tablePrefix, logger, now } = options;
    const timeoutMs = options.database.timeoutMs;
    // Created now so that a bad `dns` option fails at start, like every other option.
    const resolver = options.resolver ?? createResolver(options.dns);
    const history = new HistoryStore(knex, `${tablePrefix}history`);
    const store = new PolicyStore(
      knex,
      { table: options.domainTable, keyColumn: options.domainColumn, activeColumn: options.domainActiveColumn },
      options.aliasDomains,
      { timeoutMs, history, policyTable: options.policyTable },
    );
    const reportStore = new ReportStore(knex, tablePrefix, { timeoutMs });
    const lastChecks = new LastCheckStore(knex, `${tablePrefix}last_checks`);
    const dnsStates = new DnsStateStore(knex, `${tablePrefix}dns_states`);
    const migrations = {
      table: options.domainTable,
      keyColumn: options.domainColumn,
      tablePrefix,
      migrationsTable: options.migrationsTable,
      policyTable: options.policyTable,
    };

    const served = new ServedService({ store, history, migrations, cache: options.cache, logger, observer: options.observer });
    const schema = new SchemaService({ store, served, migrations });
    const reports = new ReportService({
      store: reportStore,
      find: (name) => store.find(name),
      resolver,
      logger,
      now,
      intakeUrl: options.reports.intakeUrl,
      mailAddress: options.reports.mailAddress,
      retentionDays: options.reports.retentionDays,
      limits: options.reports.limits,
    });
    const policies = new PolicyService({ store, history, served, reports, settings: new SettingsStore(knex, `${tablePrefix}settings`), resolver, logger, now });
    const certificates = new CertificateService({ served, policies, history, store: new CertificateStore(knex, tablePrefix), resolver });
    const overview = new OverviewService({
      lastChecks,
      dnsStates,
      store: new OverviewStore(store, lastChecks, dnsStates),
      reports: reportStore,
      history,
      policies,
      now,
    });
    const modes = new PublishModes(options.delegation, options.dnsPublisher);
    const checks = new ChecksService({
      policies,
      served,
      certificates,
      reports,
      overview,
      resolver,
      logger,
      observer: options.observer,
      mailHostname: options.mailHostname,
      delegationOf: async (domain) => (await modes.of(domain)).delegation,
      probes: { https: options.dnsCheck.https, smtp: options.dnsCheck.smtp },
      // One of each per plugin instance: the socket cap holds for every check together.
      network: { limiter: new SocketLimiter(options.dnsCheck.maxSockets), addresses: new AddressFilter(options.dnsCheck.allowAddresses) },
      now,
    });
    const monitor = new MonitorService({
      store,
      alerts: new AlertStore(knex, tablePrefix),
      reports: reportStore,
      dnsStates,
      check: (record) => checks.checkRecord(record),
    });
    const mailbox = new ReportMailbox(reports, logger, options.reports.imap);
    const reportFiles = new ReportFileService({ store: new ReportFileStore(knex, reportStore.tables.reports), find: (name) => store.find(name), logger });
    return { policies, served, certificates, schema, reports, reportFiles, mailbox, overview, checks, monitor, modes };
  },
};

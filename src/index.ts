import type { Request, RequestHandler, Response, Router } from 'express';
import { type DnsCheckResult, type DnsChecksOptions, type DnsChecksProgress } from './check';
import { sayDnsCheck } from './render/check';
import type { Text } from './text';
import { MtaStsOptions, resolveOptions, resolveSchedulerOptions } from './options';
import { Scheduler, runScheduledChecks, type RunSummary } from './scheduler';
import type { DnsPublisher } from './publish';
import { DnsPublishing } from './scheduler/dns-publish';
import { LeaseStore } from './store/lease-store';
import { POLICY_PATH } from './policy';
import { MtaStsService } from './service';
import { PublisherService } from './service/publisher';
import type { FetchOutcome } from './service/report-fetch';
import type { IngestResult } from './service/reports';
import { createAdminRouter } from './web/admin';
import { createApiRouter } from './web/api';
import { authorizeOrThrow, isAllowed, noStore, targetDomain } from './web/authorize';
import type { PluginContext } from './web/context';
import { createCsrf } from './web/csrf';
import { findOrThrow } from './web/domain';
import { busyError, rateLimitedError, unavailableError } from './web/errors';
import { createDnsCheckLimiter } from './web/rate-limit';
import { PageRenderer } from './web/pages';
import { renderTabFragment } from './web/tab';
import { createWellKnownHandler } from './web/well-known';
import { createTlsRptRouter } from './web/report-intake';
import { OPENAPI_PATH, openApiHandler } from './web/openapi';

export type { MtaStsOptions, AuthorizeResult, AuthorizeAction, AuthorizeTarget, AuthorizeHook, PrincipalHook, PageContext } from './options';
export type { Logger, Observer } from './logger';
export type { Resolver, RecordType, LookupResult } from './dns';
export type { DnsPublisher, PublishedType, Replacement } from './publish/contract';
export { PublishError } from './publish/contract';
export * as policy from './policy';
export type { Check, CheckCode, CheckName, CheckParams, CheckStatus, DnsCheckResult, DnsChecksOptions, DnsChecksProgress } from './check';
export { CHECK_CODES } from './check';
export type { IngestResult, ReportsSummary, ReportingView } from './service/reports';
export type { FetchOutcome } from './service/report-fetch';
export type { ImapOption } from './options';
export { HttpError } from './web/errors';
export type { RunSummary, AlertMessage, Condition } from './scheduler';
export { SIGNATURE_HEADER } from './scheduler';

/** Everything a host mounts or calls. */
export interface MtaSts {
  /** Mount first, before static files: `app.use(mtaSts.wellKnown)`. Serves /.well-known/mta-sts.txt. */
  wellKnown: RequestHandler;
  /** The MTA-STS tab as pages and form posts; mount at `options.adminPath` (default /mta-sts). */
  admin: Router;
  /** The JSON API; mount at /api/v1/mta-sts. */
  api: Router;
  /** The API's OpenAPI 3.1 document (docs/openapi.json), public; mount at /api/v1/openapi.json. */
  openapi: RequestHandler;
  /** The MTA-STS tab as an HTML fragment for the host's domain edit page (authorized, with CSRF token). */
  renderTab(req: Request, res: Response, domain: string): Promise<string>;
  /**
   * `mta-sts.<domain>` for every domain (and alias) with an active policy: what the ACME client
   * must request. A host call: not filtered by `authorize` (the API route is).
   */
  certificateNames(): Promise<string[]>;
  /**
   * The DNS Check for a domain (what the tab's "DNS Check" button shows). Null for an unknown domain.
   * Given `options.req` (a host's own button acting for a person), it is asked of `authorize`
   * (action `check`) and counted by the tab's and the API's limits (`rateLimit`): a refusal rejects
   * with an `HttpError` (401/403, or 429 with `retryAfter`).
   */
  dnsCheck(domain: string, options?: { req?: Request }): Promise<DnsCheckResult | null>;
  /**
   * The DNS Check of many domains in one call: at most `options.concurrency` (default 8) at once,
   * `options.onProgress` after each, results in input order (null for an unknown domain). A domain
   * that cannot be checked (e.g. the database fails) gets a result of errors; never rejects for one.
   * A host call checks every domain; given `options.req` (the request it acts for), only the
   * domains `authorize(req, { domain, action: 'check' })` allows, the others giving null.
   */
  checkMany(domains: Iterable<string>, options?: DnsChecksOptions<DnsCheckResult | null> & { req?: Request }): Promise<Array<DnsCheckResult | null>>;
  /** Adds the plugin's columns to the host's domain table (idempotent). Returns the migrations applied. */
  migrate(): Promise<string[]>;
  /** Removes exactly the plugin's columns. Returns the migrations reverted. */
  rollback(): Promise<string[]>;
  /** Public TLS report intake (RFC 8460 section 3): `POST /:token`; mount at /tlsrpt/v1 (see `reports.intakeUrl`). */
  tlsrpt: Router;
  /**
   * Takes a TLS report mail (RFC 8460 section 5.3) as received, raw: finds the report part,
   * verifies DKIM with the plugin's resolver, stores it once. For the host's mail pipeline.
   */
  ingestReportMessage(raw: Buffer | string): Promise<IngestResult>;
  /** Deletes TLS reports older than `reports.retentionDays`; returns how many. Run it daily. */
  pruneReports(): Promise<number>;
  /**
   * The poller of the `reports.imap` mailbox (null without that option): `start()` polls at once
   * and then every `intervalMs`, `stop()` ends it (waiting for a poll in progress), `runOnce()`
   * polls now. A server that is unreachable is logged and tried again next time.
   */
  readonly reportFetcher: { start(): void; stop(): Promise<void>; runOnce(): Promise<FetchOutcome | null> } | null;
  /**
   * One run of the scheduled DNS Checks, for hosts with a scheduler of their own: checks every
   * domain whose policy is served (`scheduler.concurrency` at once), stores each result, and sends
   * the alerts due (`alerts`). Rejects only when the database fails.
   */
  runScheduledChecks(): Promise<RunSummary>;
  /**
   * A scheduler that runs the checks by itself: the first run at `start()`, the next
   * `intervalMs` after each run ends (default `scheduler.intervalMs`); `stop()` waits for a run in
   * progress to finish its current page. The options are validated like `scheduler`'s.
   * Schedulers on several instances sharing the database run one at a time: the holder of the
   * lease `scheduled-checks` (renewed every quarter of `leaseMs`); `active` says whether this one does.
   */
  createScheduler(options?: { intervalMs?: number; concurrency?: number; leaseMs?: number; onRun?: (summary: RunSummary) => void }): {
    start(): void;
    stop(): Promise<void>;
    readonly lastRun: RunSummary | null;
    readonly active: boolean;
  };
  /**
   * Publishing the DNS records from this process through `publisher` (src/publish/contract.ts):
   * after each change of a domain's served policy id, its `_mta-sts` (and `_smtp._tls`) TXT
   * records, once the policy file serves the new policy; and every `repairMs` (0: never) the
   * drift repair of every domain. Several instances sharing the database publish one at a time:
   * the holder of the lease `dns-publish` (renewed every quarter of `leaseMs`).
   */
  createDnsPublishing(
    publisher: DnsPublisher,
    options: { repairMs: number; leaseMs: number },
  ): { start(): void; stop(): Promise<void>; readonly active: boolean };
  /** Where each router goes, as plugin.json declares it. */
  readonly mounts: ReadonlyArray<{ path: string; export: 'wellKnown' | 'admin' | 'api' | 'openapi' | 'tlsrpt'; serves?: string }>;
}

/** Where the TLS report intake router goes by default; `reports.intakeUrl` must point there. */
export const TLSRPT_PATH = '/tlsrpt/v1';

export const API_PATH = '/api/v1/mta-sts';

/**
 * The whole host contract. Reads, defaults and validates every option now, and throws a
 * TypeError naming the bad one, so that a misconfigured host fails at start, not at the first
 * request.
 */
export function createMtaSts(options: MtaStsOptions): MtaSts {
  const resolved = resolveOptions(options);
  const service = MtaStsService.fromOptions(resolved);
  const ctx: PluginContext = {
    options: resolved,
    service,
    logger: resolved.logger,
    pages: new PageRenderer(resolved),
    csrf: createCsrf(resolved.csrf),
    limiter: createDnsCheckLimiter(resolved),
  };

  return {
    wellKnown: createWellKnownHandler(service, resolved.logger, resolved.trustProxy),
    admin: createAdminRouter(ctx),
    api: createApiRouter(ctx),
    openapi: openApiHandler(),
    async renderTab(req, res, domain) {
      await authorizeOrThrow(resolved.authorize, req, { domain: targetDomain(domain), action: 'read' });
      // The host's page now carries a CSRF token and security settings: never cached, never sniffed.
      noStore(req, res, () => undefined);
      const record = await findOrThrow(ctx, domain).catch((err: unknown) => {
        throw unavailableError(err);
      });
      return renderTabFragment(ctx, req, res, record);
    },
    async certificateNames() {
      const names = await service.certificates.names();
      if (names === null) throw new Error(`certificateNames: ${service.served.whyUnavailable()}`);
      return names;
    },
    async dnsCheck(domain, checkOptions = {}) {
      const { req } = checkOptions;
      if (!req) return english(await service.checks.dnsCheck(domain));
      await authorizeOrThrow(resolved.authorize, req, { domain: targetDomain(domain), action: 'check' });
      // The same limiter as the tab's and the API's: a host's button is no way around their limits.
      const admission = await ctx.limiter.admit(req);
      if (!admission.ok) throw admission.reason === 'busy' ? busyError(admission) : rateLimitedError(admission);
      try {
        return english(await service.checks.dnsCheck(domain));
      } finally {
        admission.release();
      }
    },
    checkMany(domains, checkOptions = {}) {
      const { req, onProgress, ...rest } = checkOptions;
      // The host is told each result in English, as it gets them all at the end (a non-function is refused by checkEach).
      type Progress = DnsChecksOptions<DnsCheckResult<Text> | null>['onProgress'];
      const progress: Progress =
        typeof onProgress === 'function' ? (p: DnsChecksProgress<DnsCheckResult<Text> | null>) => onProgress({ ...p, result: english(p.result) }) : onProgress;
      // A host call checks every domain; with the request it acts for, only those the hook allows
      // (the others come back null, like an unknown domain, so their existence is not told).
      const allow = req ? (domain: string) => isAllowed(resolved.authorize, req, { domain: targetDomain(domain), action: 'check' }) : undefined;
      return service.checks.checkMany(domains, { ...rest, onProgress: progress }, allow).then((results) => results.map(english));
    },
    migrate: () => service.schema.migrate(),
    rollback: () => service.schema.rollback(),
    tlsrpt: createTlsRptRouter(ctx),
    ingestReportMessage: (raw) => service.reports.ingestMessage(raw),
    pruneReports: () => service.reports.prune(),
    reportFetcher: service.mailbox.poller(),
    runScheduledChecks: () =>
      runScheduledChecks({ service, alerts: resolved.alerts, concurrency: resolved.scheduler.concurrency, logger: resolved.logger, now: resolved.now }),
    createScheduler(options = {}) {
      const { intervalMs, concurrency, leaseMs } = resolveSchedulerOptions({ ...resolved.scheduler, ...options }, 'createScheduler');
      if (options.onRun !== undefined && typeof options.onRun !== 'function') throw new TypeError('createScheduler: onRun must be a function');
      const lease = { statements: new LeaseStore(resolved.knex, `${resolved.tablePrefix}leases`), periodMs: leaseMs };
      return new Scheduler(
        { service, alerts: resolved.alerts, concurrency, logger: resolved.logger, now: resolved.now },
        { intervalMs, lease, onRun: options.onRun },
      );
    },
    createDnsPublishing(publisher, { repairMs, leaseMs }) {
      if (publisher === null || typeof publisher !== 'object' || typeof publisher.read !== 'function' || typeof publisher.replace !== 'function')
        throw new TypeError('createDnsPublishing: publisher must be an object with read() and replace() (src/publish/contract.ts)');
      if (!Number.isInteger(repairMs) || repairMs < 0)
        throw new TypeError('createDnsPublishing: repairMs must be a whole number of milliseconds, 0 for no repair');
      if (!Number.isInteger(leaseMs) || leaseMs < 1000) throw new TypeError('createDnsPublishing: leaseMs must be whole milliseconds, at least 1000');
      // The publisher that runs decides, per domain, which ones are published directly.
      service.modes.use(publisher);
      const publishing = new PublisherService({
        publisher,
        served: service.served,
        policies: service.policies,
        reports: service.reports,
        logger: resolved.logger,
        delegationZoneOf: async (domain) => {
          const { delegation, settled } = await service.modes.of(domain);
          return { zone: delegation?.zone ?? null, settled };
        },
        now: resolved.now,
        recordStates: (states) => service.overview.recordDnsStates(states),
      });
      return new DnsPublishing(publishing, {
        repairMs,
        lease: { statements: new LeaseStore(resolved.knex, `${resolved.tablePrefix}leases`), periodMs: leaseMs },
        logger: resolved.logger,
      });
    },
    mounts: [
      { path: '/', export: 'wellKnown', serves: POLICY_PATH },
      { path: resolved.adminPath, export: 'admin' },
      { path: API_PATH, export: 'api' },
      { path: OPENAPI_PATH, export: 'openapi' },
      { path: new URL(resolved.reports.intakeUrl).pathname, export: 'tlsrpt' },
    ],
  };
}

/** The factory's checks answer in English, as the JSON API does; the tab says them in the reader's language. */
function english(result: DnsCheckResult<Text> | null): DnsCheckResult | null {
  return result === null ? null : sayDnsCheck('en', result);
}

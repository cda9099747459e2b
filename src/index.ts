import type { Request, RequestHandler, Response, Router } from 'express';
import { type DnsCheckResult, type DnsChecksOptions } from './check';
import { createResolver } from './dns';
import { MtaStsOptions, resolveOptions } from './options';
import { POLICY_PATH } from './policy';
import { MtaStsService } from './service';
import { PolicyStore } from './store/policy-store';
import { ServedCache } from './store/served-cache';
import { createAdminRouter } from './web/admin';
import { createApiRouter } from './web/api';
import { noStore, requireAdmin } from './web/authorize';
import type { PluginContext } from './web/context';
import { createCsrf } from './web/csrf';
import { findOrThrow } from './web/domain';
import { unavailableError } from './web/errors';
import { createDnsCheckLimiter } from './web/rate-limit';
import { PageRenderer } from './web/pages';
import { renderTabFragment } from './web/tab';
import { createWellKnownHandler } from './web/well-known';

export type { MtaStsOptions, AuthorizeResult, PageContext } from './options';
export type { Logger } from './logger';
export type { Resolver, RecordType, LookupResult } from './dns';
export * as policy from './policy';
export type { Check, CheckName, CheckStatus, DnsCheckResult, DnsChecksOptions, DnsChecksProgress } from './check';
export { HttpError } from './web/errors';

/** Everything a host mounts or calls. */
export interface MtaSts {
  /** Mount first, before static files: `app.use(mtaSts.wellKnown)`. Serves /.well-known/mta-sts.txt. */
  wellKnown: RequestHandler;
  /** The MTA-STS tab as pages and form posts; mount at `options.adminPath` (default /mta-sts). */
  admin: Router;
  /** The JSON API; mount at /api/v1/mta-sts. */
  api: Router;
  /** The MTA-STS tab as an HTML fragment for the host's domain edit page (authorized, with CSRF token). */
  renderTab(req: Request, res: Response, domain: string): Promise<string>;
  /** `mta-sts.<domain>` for every domain (and alias) with an active policy: what the ACME client must request. */
  certificateNames(): Promise<string[]>;
  /** The DNS Check for a domain (what the tab's "DNS Check" button shows). Null for an unknown domain. */
  dnsCheck(domain: string): Promise<DnsCheckResult | null>;
  /**
   * The DNS Check of many domains in one call: at most `options.concurrency` (default 8) at once,
   * `options.onProgress` after each, results in input order (null for an unknown domain). A domain
   * that cannot be checked (e.g. the database fails) gets a result of errors; never rejects for one.
   */
  checkMany(domains: Iterable<string>, options?: DnsChecksOptions<DnsCheckResult | null>): Promise<Array<DnsCheckResult | null>>;
  /** Adds the plugin's columns to the host's domain table (idempotent). Returns the migrations applied. */
  migrate(): Promise<string[]>;
  /** Removes exactly the plugin's columns. Returns the migrations reverted. */
  rollback(): Promise<string[]>;
  /** Where each router goes, as plugin.json declares it. */
  readonly mounts: ReadonlyArray<{ path: string; export: 'wellKnown' | 'admin' | 'api'; serves?: string }>;
}

export const API_PATH = '/api/v1/mta-sts';

/**
 * The whole host contract. Reads, defaults and validates every option now, and throws a
 * TypeError naming the bad one, so that a misconfigured host fails at start, not at the first
 * request.
 */
export function createMtaSts(options: MtaStsOptions): MtaSts {
  const resolved = resolveOptions(options);
  const store = new PolicyStore(
    resolved.knex,
    { table: resolved.domainTable, keyColumn: resolved.domainColumn, activeColumn: resolved.domainActiveColumn },
    resolved.aliasDomains,
  );
  const cache = new ServedCache(() => store.loadServed(), resolved.cache, (domain) => store.loadOneServed(domain));
  const service = new MtaStsService({
    store,
    cache,
    // Created now so that a bad `dns` option fails at start, like every other option.
    resolver: resolved.resolver ?? createResolver(resolved.dns),
    logger: resolved.logger,
    mailHostname: resolved.mailHostname,
    probes: resolved.dnsCheck,
    migrations: { table: resolved.domainTable, migrationsTable: resolved.migrationsTable },
    now: resolved.now,
  });
  const ctx: PluginContext = {
    options: resolved,
    service,
    logger: resolved.logger,
    pages: new PageRenderer(resolved),
    csrf: createCsrf(resolved.csrf),
    limiter: createDnsCheckLimiter(resolved),
  };
  const gate = requireAdmin(resolved.authorize);

  return {
    wellKnown: createWellKnownHandler(service, resolved.logger),
    admin: createAdminRouter(ctx),
    api: createApiRouter(ctx),
    async renderTab(req, res, domain) {
      await new Promise<void>((resolve, reject) =>
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- relays the middleware's next(error) as it is
        gate(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
      );
      // The host's page now carries a CSRF token and security settings: never cached, never sniffed.
      noStore(req, res, () => undefined);
      const record = await findOrThrow(ctx, domain).catch((err: unknown) => {
        throw unavailableError(err);
      });
      return renderTabFragment(ctx, req, res, record);
    },
    async certificateNames() {
      const names = await service.certificateNames();
      if (names === null) throw new Error('certificateNames: the database is unavailable');
      return names;
    },
    dnsCheck: (domain) => service.dnsCheck(domain),
    checkMany: (domains, checkOptions) => service.checkMany(domains, checkOptions),
    migrate: () => service.migrate(),
    rollback: () => service.rollback(),
    mounts: [
      { path: '/', export: 'wellKnown', serves: POLICY_PATH },
      { path: resolved.adminPath, export: 'admin' },
      { path: API_PATH, export: 'api' },
    ],
  };
}

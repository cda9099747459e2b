import type { Request, RequestHandler, Response, Router } from 'express';
import { DnsCheckResult, DnsChecksOptions, checkEach, createResolver, failedDnsCheck, runDnsCheck } from './dns';
import { MtaStsOptions, resolveOptions } from './options';
import { migrateLatest, rollbackAll } from './store/migrate';
import { PolicyStore } from './store/policy-store';
import { ServedCache } from './store/served-cache';
import { createAdminRouter, findOrThrow } from './web/admin';
import { createApiRouter } from './web/api';
import { noStore, requireAdmin } from './web/authorize';
import type { PluginContext } from './web/context';
import { createCsrf } from './web/csrf';
import { unavailableError } from './web/errors';
import { createDnsCheckLimiter } from './web/rate-limit';
import { PageRenderer } from './web/pages';
import { renderTabFragment } from './web/tab';
import { POLICY_PATH, createWellKnownHandler, servedPolicyText } from './web/well-known';

export type { MtaStsOptions, AuthorizeResult, PageContext } from './options';
export * as policy from './policy';
export type { Check, CheckName, CheckStatus, DnsCheckResult, DnsChecksOptions, DnsChecksProgress } from './dns';
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
  const log = (err: unknown) => console.error('[mta-sts]', err);
  const store = new PolicyStore(
    resolved.knex,
    { table: resolved.domainTable, keyColumn: resolved.domainColumn, activeColumn: resolved.domainActiveColumn },
    resolved.aliasDomains,
  );
  // Created now so that a bad `dns` option fails at start, like every other option.
  const resolver = createResolver(resolved.dns);
  const cache = new ServedCache(() => store.loadServed(), resolved.cache, (domain) => store.loadOneServed(domain));
  const ctx: PluginContext = {
    options: resolved,
    store,
    cache,
    pages: new PageRenderer(resolved),
    csrf: createCsrf(resolved.csrf),
    resolver,
    dnsCheck: (record, locale) =>
      runDnsCheck({
        domain: record.domain,
        policy: record.policy,
        mailHostname: resolved.mailHostname,
        servedPolicy: () => servedPolicyText(cache, record.domain),
        resolver,
        https: resolved.dnsCheck.https,
        smtp: resolved.dnsCheck.smtp,
        now: resolved.now,
        locale,
      }),
  };
  const migrateOptions = { table: resolved.domainTable, migrationsTable: resolved.migrationsTable };
  const gate = requireAdmin(resolved.authorize);
  // One limiter for the tab and the API: the same user's checks count together.
  const limiter = createDnsCheckLimiter(resolved);
  const checkDomain = async (domain: string): Promise<DnsCheckResult | null> => {
    const record = await store.find(domain);
    return record ? ctx.dnsCheck(record) : null;
  };

  return {
    wellKnown: createWellKnownHandler(ctx.cache, log),
    admin: createAdminRouter(ctx, log, limiter),
    api: createApiRouter(ctx, log, limiter),
    async renderTab(req, res, domain) {
      await new Promise<void>((resolve, reject) => gate(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      // The host's page now carries a CSRF token and security settings: never cached, never sniffed.
      noStore(req, res, () => undefined);
      const record = await findOrThrow(ctx, domain).catch((err: unknown) => {
        throw unavailableError(err);
      });
      return renderTabFragment(ctx, req, res, record);
    },
    async certificateNames() {
      const names = await ctx.cache.servedDomains();
      if (names === null) throw new Error('certificateNames: the database is unavailable');
      return names.map((domain) => `mta-sts.${domain}`);
    },
    dnsCheck: checkDomain,
    checkMany(domains, options = {}) {
      return checkEach(domains, checkDomain, { ...options, domainOf: String, onError: (domain, err) => failedDnsCheck(String(domain), err) });
    },
    migrate: () => migrateLatest(resolved.knex, migrateOptions),
    rollback: () => rollbackAll(resolved.knex, migrateOptions),
    mounts: [
      { path: '/', export: 'wellKnown', serves: POLICY_PATH },
      { path: resolved.adminPath, export: 'admin' },
      { path: API_PATH, export: 'api' },
    ],
  };
}

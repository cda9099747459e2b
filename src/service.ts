// The plugin's use cases, in one place for every caller: the routers (tab, API, policy file), the
// factory's members, and the coming CLI and scheduler. Routers never touch the store, the
// served-policy cache or the resolver themselves; they call this.
import { checkEach, failedDnsCheck, lookupFailureText, mxHosts, runDnsCheck, type DnsCheckResult, type DnsChecksOptions } from './check';
import { within } from './deadline';
import type { Resolver } from './dns';
import { translator, type Locale } from './i18n';
import type { Logger } from './logger';
import { renderPolicy, servedPolicy, type DomainRecord, type PolicySettings, type StoredPolicy, type Validation } from './policy';
import type { ProbeSettings, SmtpProbeSettings } from './probes';
import { migrateLatest, rollbackAll, type MigrateOptions } from './store/migrate';
import type { PolicyStore, SaveResult } from './store/policy-store';
import type { Lookup, ServedCache } from './store/served-cache';
import type { ReportService } from './service/reports';

export type { SaveFailure, SaveResult } from './store/policy-store';
export type { Lookup } from './store/served-cache';

/** The domain's MX hosts as the tab shows them, or why there are none to show. */
export type MxDns =
  | { state: 'hosts'; hosts: string[] }
  | { state: 'none' }
  | { state: 'null-mx' }
  | { state: 'failed'; reason: string }
  | { state: 'slow' };

/**
 * How long the tab waits for the MX lookup before it is shown without it. A healthy resolver
 * answers in milliseconds; a dead one must not hold up the page for its full timeout and retries.
 */
export const TAB_MX_WAIT_MS = 1500;

export interface ServiceDeps {
  store: PolicyStore;
  cache: ServedCache;
  resolver: Resolver;
  logger: Logger;
  mailHostname: string;
  probes: { https: ProbeSettings; smtp: SmtpProbeSettings };
  migrations: MigrateOptions;
  now: () => Date;
  /** TLS reporting (RFC 8460): settings, intake, summaries. */
  reports: ReportService;
}

// Rendered bodies per stored policy object: the cache hands out the same object until the policy
// changes, so each policy is rendered once, and the DNS Check compares exactly these bytes.
const bodies = new WeakMap<StoredPolicy, Buffer>();

/** The policy file's bytes for a served policy. */
export function policyBody(policy: StoredPolicy): Buffer {
  let buffer = bodies.get(policy);
  if (!buffer) {
    buffer = Buffer.from(renderPolicy(policy), 'utf8');
    bodies.set(policy, buffer);
  }
  return buffer;
}

export class MtaStsService {
  constructor(private readonly deps: ServiceDeps) {}

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
    options: { expectedRevision?: number } = {},
  ): Promise<SaveResult> {
    const result = await this.deps.store.save(name, change, { expectedRevision: options.expectedRevision, now: this.deps.now });
    if (result.status === 'saved') this.deps.cache.applyLocal(result.record.domain, servedPolicy(result.record), result.record.policy.revision);
    if (result.status === 'saved' && result.changed) await this.rememberPolicy(result.record);
    return result;
  }

  /** TLS reporting: the rua setting, report intake (HTTPS and mail) and summaries. */
  get reports(): ReportService {
    return this.deps.reports;
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

  /** The DNS Check of a stored domain, in English unless told. Never rejects. */
  checkRecord(record: DomainRecord, locale?: Locale): Promise<DnsCheckResult> {
    return runDnsCheck({
      domain: record.domain,
      policy: record.policy,
      mailHostname: this.deps.mailHostname,
      servedPolicy: () => this.servedText(record.domain),
      resolver: this.deps.resolver,
      https: this.deps.probes.https,
      smtp: this.deps.probes.smtp,
      now: this.deps.now,
      locale,
    });
  }

  /** The DNS Check of a domain by name; null for an unknown domain. */
  async dnsCheck(name: string): Promise<DnsCheckResult | null> {
    const record = await this.find(name);
    return record ? this.checkRecord(record) : null;
  }

  /** Many DNS Checks, bounded concurrency, input order; a domain that fails gets a result of errors. */
  checkMany(domains: Iterable<string>, options: DnsChecksOptions<DnsCheckResult | null> = {}): Promise<Array<DnsCheckResult | null>> {
    return checkEach(domains, (domain) => this.dnsCheck(domain), {
      ...options,
      domainOf: String,
      onError: (domain, err) => failedDnsCheck(String(domain), err),
    });
  }

  /** The domain's MX hosts from the plugin's resolver, waiting at most `waitMs`. Never rejects. */
  async mxHosts(domain: string, locale: Locale, waitMs = TAB_MX_WAIT_MS): Promise<MxDns> {
    const { resolver } = this.deps;
    const lookup = Promise.resolve()
      .then(() => resolver.lookup(domain, 'MX'))
      .then((mx): MxDns => {
        const hosts = mxHosts(mx);
        if (hosts.length > 0) return { state: 'hosts', hosts };
        if (mx.ok) return { state: 'null-mx' };
        if (mx.failure === 'nxdomain' || mx.failure === 'nodata') return { state: 'none' };
        return { state: 'failed', reason: lookupFailureText(mx, translator(locale)) };
      })
      .catch((err: unknown): MxDns => ({ state: 'failed', reason: err instanceof Error ? err.message : String(err) }));
    return within(lookup, Math.min(waitMs, Math.max(resolver.timeoutMs, 1)), (): MxDns => ({ state: 'slow' }));
  }

  migrate(): Promise<string[]> {
    return migrateLatest(this.deps.store.knex, this.deps.migrations);
  }

  rollback(): Promise<string[]> {
    return rollbackAll(this.deps.store.knex, this.deps.migrations);
  }
}

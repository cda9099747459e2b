// The DNS Check as a use case: gather what the check needs from the plugin's own data first (the
// policy text as served, the configured report addresses, the ACME client's last order), run the
// check on those values, keep the result as the domain's last check. The check itself
// (src/check) reads nothing of the plugin's; its verdicts come back as Text, said by the edge.
import { checkEach, failedDnsCheck, lookupFailureText, mxHosts, runDnsCheck, type AcmeOrderState, type DnsCheckResult, type DnsChecksOptions } from '../check';
import type { ServedPolicy } from '../check';
import { within } from '../deadline';
import type { LookupResult, Resolver } from '../dns';
import type { SocketLimiter } from '../limiter';
import { notify, type Logger, type Observer } from '../logger';
import type { Delegation, DomainRecord } from '../policy';
import type { AddressFilter, ProbeSettings, SmtpProbeSettings } from '../probes';
import type { Text } from '../text';
import type { CertificateService } from './certificates';
import type { OverviewService } from './overview';
import type { PolicyService } from './policies';
import type { ReportService, ReportingView } from './reports';
import type { ServedService } from './served';
import { policyHostName } from '../policy/records';

/** The domain's MX hosts as the tab shows them, or why there are none to show (the reason as Text, said by the tab). */
export type MxDns = { state: 'hosts'; hosts: string[] } | { state: 'none' } | { state: 'null-mx' } | { state: 'failed'; reason: Text } | { state: 'slow' };

/**
 * How long the tab waits for the MX lookup before it is shown without it. A healthy resolver
 * answers in milliseconds; a dead one must not hold up the page for its full timeout and retries.
 */
export const TAB_MX_WAIT_MS = 1500;

/** Reads of the plugin's own store for a check are bounded, so a stuck database cannot hang the check. */
const READ_TIMEOUT_MS = 10_000;

export interface ChecksDeps {
  /** The domain's stored policy. */
  policies: PolicyService;
  /** The policy text exactly as the policy file serves it. */
  served: ServedService;
  /** The built-in ACME client's last order for the mta-sts name. */
  certificates: CertificateService;
  /** The domain's TLS reporting settings. */
  reports: ReportService;
  /** Keeps a result as the domain's last check (the overview's verdict). */
  overview: OverviewService;
  resolver: Resolver;
  logger: Logger;
  /** The host's hooks for metrics; empty when it gave none. */
  observer?: Observer;
  mailHostname: string;
  /** CNAME delegation of a domain (null: published directly): the check then expects the customer's two CNAMEs and the id in the panel's zone. */
  delegationOf?: (domain: string) => Promise<Delegation | null>;
  probes: { https: ProbeSettings; smtp: SmtpProbeSettings };
  /** Shared by every check of the plugin instance: the socket cap and the address filter. */
  network: { limiter: SocketLimiter; addresses: AddressFilter };
  now: () => Date;
}

/** What the tab shows after a DNS Check: the check, and what the check read that the tab shows too. */
export interface TabCheck {
  check: DnsCheckResult<Text>;
  mxDns: MxDns;
  /** Null when the report settings cannot be read. */
  reporting: ReportingView | null;
}

export class ChecksService {
  constructor(private readonly deps: ChecksDeps) {}

  /** The DNS Check of a stored domain, kept as the domain's last check. Never rejects. */
  async checkRecord(record: DomainRecord): Promise<DnsCheckResult<Text>> {
    return (await this.run(record)).check;
  }

  /**
   * The DNS Check for the tab: the MX answer and the report settings it read come back with it,
   * so that the page shows them without asking DNS or the database again.
   */
  async checkForTab(record: DomainRecord): Promise<TabCheck> {
    const { limiter } = this.deps.network;
    const mx = Promise.resolve().then(() => limiter.run(() => this.deps.resolver.lookup(record.domain, 'MX')));
    mx.catch(() => {});
    const { check, reporting } = await this.run(record, mx);
    const mxDns = await mx.then(mxDnsOf, (err: unknown): MxDns => ({ state: 'failed', reason: err instanceof Error ? err.message : String(err) }));
    return { check, mxDns, reporting };
  }

  /** The DNS Check of a domain by name; null for an unknown domain. */
  async dnsCheck(name: string): Promise<DnsCheckResult<Text> | null> {
    const record = await this.deps.policies.find(name);
    return record ? this.checkRecord(record) : null;
  }

  /**
   * Many DNS Checks, bounded concurrency, input order; a domain that fails gets a result of errors.
   * With `allow`, a domain it refuses is not looked at and gives null, as an unknown domain does.
   */
  checkMany(
    domains: Iterable<string>,
    options: DnsChecksOptions<DnsCheckResult<Text> | null> = {},
    allow?: (domain: string) => Promise<boolean>,
  ): Promise<Array<DnsCheckResult<Text> | null>> {
    const check = async (domain: string) => (allow && !(await allow(String(domain))) ? null : this.dnsCheck(domain));
    return checkEach(domains, check, {
      ...options,
      domainOf: String,
      onError: (domain, err) => failedDnsCheck(String(domain), err),
    });
  }

  /** The domain's MX hosts from the plugin's resolver, waiting at most `waitMs`. Never rejects. */
  async mxHosts(domain: string, waitMs = TAB_MX_WAIT_MS): Promise<MxDns> {
    const { resolver } = this.deps;
    const lookup = Promise.resolve()
      .then(() => resolver.lookup(domain, 'MX'))
      .then(mxDnsOf)
      .catch((err: unknown): MxDns => ({ state: 'failed', reason: err instanceof Error ? err.message : String(err) }));
    return within(lookup, Math.min(waitMs, Math.max(resolver.timeoutMs, 1)), (): MxDns => ({ state: 'slow' }));
  }

  /** Gathers the check's data (each read bounded, each failure said, never thrown), runs it and keeps the result. */
  private async run(record: DomainRecord, mx?: Promise<LookupResult<'MX'>>): Promise<{ check: DnsCheckResult<Text>; reporting: ReportingView | null }> {
    const started = Date.now();
    const { domain } = record;
    const [reporting, served, acme] = await Promise.all([this.reporting(record), this.served(domain), this.acmeOrderState(policyHostName(domain))]);
    const check = await runDnsCheck({
      // The configured report addresses, to compare with the published record; unknown (not
      // compared) when the report tables cannot be read, rather than failing the whole check.
      rua: reporting?.rua ?? null,
      domain,
      policy: record.policy,
      mailHostname: this.deps.mailHostname,
      delegation: (await this.deps.delegationOf?.(domain)) ?? null,
      served,
      acme,
      mx,
      resolver: this.deps.resolver,
      https: this.deps.probes.https,
      smtp: this.deps.probes.smtp,
      limiter: this.deps.network.limiter,
      allowAddresses: this.deps.network.addresses,
      now: this.deps.now,
    });
    notify(this.deps.observer ?? {}, 'dnsCheck', { domain, durationMs: Date.now() - started, ok: !check.checks.some((c) => c.status === 'error') });
    // The overview shows the last verdict; a failure to keep it never fails the check.
    await this.deps.overview.recordCheck(check).catch((err: unknown) => this.deps.logger.error('could not store the last DNS Check', err));
    return { check, reporting };
  }

  private reporting(record: DomainRecord): Promise<ReportingView | null> {
    return bounded(this.deps.reports.reporting(record)).catch((err: unknown) => {
      this.deps.logger.warn('could not read the TLS report addresses for the DNS Check', err);
      return null;
    });
  }

  private async served(domain: string): Promise<ServedPolicy> {
    try {
      return { ok: true, text: await bounded(this.deps.served.text(domain)) };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The built-in ACME client's row for a name, when it has one. A side note: a failing read leaves it out. */
  private acmeOrderState(name: string): Promise<AcmeOrderState | null> {
    return bounded(this.deps.certificates.orderState(name)).catch(() => null);
  }
}

/** A read of the plugin's own store, bounded: it rejects when the store gives no answer in time. */
function bounded<T>(read: Promise<T>): Promise<T> {
  return within(read, READ_TIMEOUT_MS, () => {
    throw new Error(`the policy store gave no answer within ${READ_TIMEOUT_MS / 1000} s`);
  });
}

/** An MX answer as the tab shows it. */
function mxDnsOf(mx: LookupResult<'MX'>): MxDns {
  const hosts = mxHosts(mx);
  if (hosts.length > 0) return { state: 'hosts', hosts };
  if (mx.ok) return { state: 'null-mx' };
  if (mx.failure === 'nxdomain' || mx.failure === 'nodata') return { state: 'none' };
  return { state: 'failed', reason: lookupFailureText(mx) };
}

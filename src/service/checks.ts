// The DNS Check of a stored domain (one, many, and the tab's MX lookup), over the other services:
// the served text from `served`, the ACME order state from `certificates`, the report addresses
// from `reports`, and each result kept as the domain's last by `fleet`.
import { checkEach, failedDnsCheck, lookupFailureText, mxHosts, runDnsCheck, sayText, type DnsCheckResult, type DnsChecksOptions } from '../check';
import { within } from '../deadline';
import type { Resolver } from '../dns';
import type { Locale } from '../i18n';
import { notify, type Logger, type Observer } from '../logger';
import type { SocketLimiter } from '../limiter';
import type { DomainRecord } from '../policy';
import type { AddressFilter, ProbeSettings, SmtpProbeSettings } from '../probes';
import type { CertificateService } from './certificates';
import type { FleetService } from './fleet';
import type { PolicyService } from './policies';
import type { ReportService } from './reports';
import type { ServedService } from './served';

/** The domain's MX hosts as the tab shows them, or why there are none to show. */
export type MxDns = { state: 'hosts'; hosts: string[] } | { state: 'none' } | { state: 'null-mx' } | { state: 'failed'; reason: string } | { state: 'slow' };

/**
 * How long the tab waits for the MX lookup before it is shown without it. A healthy resolver
 * answers in milliseconds; a dead one must not hold up the page for its full timeout and retries.
 */
export const TAB_MX_WAIT_MS = 1500;

export interface CheckDeps {
  policies: PolicyService;
  served: ServedService;
  certificates: CertificateService;
  reports: ReportService;
  fleet: FleetService;
  resolver: Resolver;
  logger: Logger;
  /** The host's hooks for metrics; empty when it gave none. */
  observer?: Observer;
  mailHostname: string;
  probes: { https: ProbeSettings; smtp: SmtpProbeSettings };
  /** Shared by every check of the plugin instance: the socket cap and the address filter. */
  network: { limiter: SocketLimiter; addresses: AddressFilter };
  now: () => Date;
}

export class CheckService {
  constructor(private readonly deps: CheckDeps) {}

  /** The DNS Check of a stored domain, in English unless told; kept as the domain's last check. Never rejects. */
  async checkRecord(record: DomainRecord, locale?: Locale): Promise<DnsCheckResult> {
    const started = Date.now();
    // The configured report addresses, to compare with the published record; unknown (not
    // compared) when the report tables cannot be read, rather than failing the whole check.
    const rua = await this.deps.reports.reporting(record.domain).then(
      (view) => view.rua,
      (err: unknown) => {
        this.deps.logger.warn('could not read the TLS report addresses for the DNS Check', err);
        return null;
      },
    );
    const result = await runDnsCheck({
      rua,
      domain: record.domain,
      policy: record.policy,
      mailHostname: this.deps.mailHostname,
      servedPolicy: () => this.deps.served.text(record.domain),
      resolver: this.deps.resolver,
      https: this.deps.probes.https,
      smtp: this.deps.probes.smtp,
      limiter: this.deps.network.limiter,
      allowAddresses: this.deps.network.addresses,
      now: this.deps.now,
      locale,
      acme: () => this.deps.certificates.orderState(`mta-sts.${record.domain}`),
    });
    notify(this.deps.observer ?? {}, 'dnsCheck', {
      domain: record.domain,
      durationMs: Date.now() - started,
      ok: !result.checks.some((c) => c.status === 'error'),
    });
    // The overview shows the last verdict; a failure to keep it never fails the check.
    await this.deps.fleet.recordCheck(result).catch((err: unknown) => this.deps.logger.error('could not store the last DNS Check', err));
    return result;
  }

  /** The DNS Check of a domain by name; null for an unknown domain. */
  async dnsCheck(name: string): Promise<DnsCheckResult | null> {
    const record = await this.deps.policies.find(name);
    return record ? this.checkRecord(record) : null;
  }

  /**
   * Many DNS Checks, bounded concurrency, input order; a domain that fails gets a result of errors.
   * With `allow`, a domain it refuses is not looked at and gives null, as an unknown domain does.
   */
  checkMany(
    domains: Iterable<string>,
    options: DnsChecksOptions<DnsCheckResult | null> = {},
    allow?: (domain: string) => Promise<boolean>,
  ): Promise<Array<DnsCheckResult | null>> {
    const check = async (domain: string) => (allow && !(await allow(String(domain))) ? null : this.dnsCheck(domain));
    return checkEach(domains, check, {
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
        return { state: 'failed', reason: sayText(locale, lookupFailureText(mx)) };
      })
      .catch((err: unknown): MxDns => ({ state: 'failed', reason: err instanceof Error ? err.message : String(err) }));
    return within(lookup, Math.min(waitMs, Math.max(resolver.timeoutMs, 1)), (): MxDns => ({ state: 'slow' }));
  }
}

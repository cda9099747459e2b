// The DNS Check's options: its resolver (`dns`, or the host's own `resolver`), its two network
// probes and the addresses they may reach (`dnsCheck`), and how often a user may run it (`rateLimit`).
import type { Request } from 'express';
import type { Resolver } from '../dns';
import { DEFAULT_MAX_SOCKETS } from '../limiter';
import { parseCidrs, type Cidr, type ProbeSettings, type SmtpProbeSettings } from '../probes';
import { object, optional, wholeNumber } from './validate';
import type { PrincipalHook } from './host';

export interface DnsCheckOptions {
  /** DNS resolver used by the DNS Check. */
  dns?: { servers?: string[]; timeoutMs?: number; retries?: number };
  /**
   * A resolver object of the host's own (`lookup(name, type)`, `servers`, `timeoutMs`), used
   * instead of the plugin's; exclusive with `dns`.
   */
  resolver?: Resolver;
  /**
   * The DNS Check's two network probes: the policy file over HTTPS as a sender fetches it, and
   * STARTTLS on each MX host. Both on by default; `port` and `ca` exist so tests can aim them at
   * local servers with a throwaway CA.
   */
  dnsCheck?: {
    https?: ProbeSettings;
    smtp?: SmtpProbeSettings;
    /**
     * Special-purpose address ranges (CIDRs such as '10.0.0.0/8', 'fd00::/8') the probes may
     * connect to. Default none: loopback, private, link-local and other special addresses are
     * refused, so that a tenant's DNS cannot aim the check into the panel's own network.
     */
    allowAddresses?: string[];
    /** Sockets (DNS queries and probe connections) in flight at most, for all checks together. Default 32. */
    maxSockets?: number;
  };
  /**
   * Limits the DNS Check per user (tab and API together), so that it cannot be used to hammer a
   * resolver: at most `dnsChecks` per `windowMs` (default 10 per minute) for each `key(req)`
   * (default: the `principal` of the request, else its IP address, IPv6 by /64), and at most
   * `concurrentChecks` (default 4) running at once in this instance, for everyone together.
   */
  rateLimit?: { dnsChecks?: number; windowMs?: number; concurrentChecks?: number; key?: (req: Request) => string };
}

export interface ResolvedDnsCheck {
  dns: { servers?: string[]; timeoutMs?: number; retries?: number };
  resolver: Resolver | null;
  dnsCheck: { https: ProbeSettings; smtp: SmtpProbeSettings; allowAddresses: Cidr[]; maxSockets: number };
  rateLimit: {
    dnsChecks: number;
    windowMs: number;
    concurrentChecks: number;
    key: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  };
}

/** `principal` is the resolved hook: the rate limit counts by it unless `rateLimit.key` is given. */
export function resolveDnsCheck(options: DnsCheckOptions, principal: PrincipalHook): ResolvedDnsCheck {
  const dnsCheck = object(options.dnsCheck, 'dnsCheck');
  const rateLimit = object(options.rateLimit, 'rateLimit');
  return {
    // Checked in detail by createResolver, which the factory calls at once.
    dns: object(options.dns, 'dns'),
    resolver: resolverOption(options.resolver, options.dns),
    dnsCheck: {
      https: probe(dnsCheck.https, 'dnsCheck.https'),
      smtp: probe(dnsCheck.smtp, 'dnsCheck.smtp'),
      allowAddresses: parseCidrs(dnsCheck.allowAddresses, 'options.dnsCheck.allowAddresses'),
      maxSockets: wholeNumber(dnsCheck.maxSockets ?? DEFAULT_MAX_SOCKETS, 'dnsCheck.maxSockets', 1, 10_000),
    },
    rateLimit: {
      dnsChecks: wholeNumber(rateLimit.dnsChecks ?? 10, 'rateLimit.dnsChecks', 1, 100_000),
      windowMs: wholeNumber(rateLimit.windowMs ?? 60_000, 'rateLimit.windowMs', 1000, 86_400_000),
      concurrentChecks: wholeNumber(rateLimit.concurrentChecks ?? 4, 'rateLimit.concurrentChecks', 1, 1000),
      // Not the session id: a client inventing a new cookie per request would get a new count each time.
      key: optional(rateLimit.key, 'rateLimit.key', 'function') ?? principal,
    },
  };
}

function resolverOption(value: unknown, dns: unknown): Resolver | null {
  if (value === undefined || value === null) return null;
  const candidate = value as Partial<Resolver>;
  if (typeof value !== 'object' || typeof candidate.lookup !== 'function' || !Array.isArray(candidate.servers) || typeof candidate.timeoutMs !== 'number') {
    throw new TypeError('options.resolver must be an object with lookup(name, type), servers (an array) and timeoutMs (a number)');
  }
  if (dns !== undefined && dns !== null) throw new TypeError('options.resolver and options.dns exclude each other: give one of them');
  return value as Resolver;
}

function probe<T extends ProbeSettings>(value: T | undefined, name: string): T {
  const settings = object(value, name) as T;
  optional(settings.enabled, `${name}.enabled`, 'boolean');
  if (settings.port !== undefined) wholeNumber(settings.port, `${name}.port`, 1, 65535);
  if (settings.timeoutMs !== undefined) wholeNumber(settings.timeoutMs, `${name}.timeoutMs`, 100, 120_000);
  return settings;
}

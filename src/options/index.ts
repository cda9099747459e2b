// The plugin's options: one factory, `resolveOptions`, reads, defaults and validates every option
// when `createMtaSts` is called, and throws a TypeError naming the bad one; nothing is checked
// later. Each group of options has its own file (its types, defaults and checks); this one joins
// them and holds the few that belong to no group.
import { consoleLogger, type Logger, type Observer } from '../logger';
import { toALabel } from '../policy';
import { parseCidrs, type Cidr } from '../probes';
import { resolveAlerting, type AlertingOptions, type ResolvedAlerting } from './alerts';
import { resolveDnsCheck, type DnsCheckOptions, type ResolvedDnsCheck } from './dns-check';
import { resolveHost, type HostOptions, type ResolvedHost } from './host';
import type { Delegation } from '../policy';
import { resolveDelegation, resolvePublisher, type DnsPublisherOptions, type ResolvedPublisher } from './publisher';
import { resolveReports, type ReportsOptions, type ResolvedReports } from './reports';
import { resolveStorage, type ResolvedStorage, type StorageOptions } from './storage';
import { object, optional } from './validate';

export { resolveSchedulerOptions, type AlertOptions } from './alerts';
export { isSafeLink, type AuthorizeAction, type AuthorizeHook, type AuthorizeResult, type AuthorizeTarget, type PageContext, type PrincipalHook } from './host';
export { imapSettings, type ImapOption, type ImapSettings } from './reports';

export interface MtaStsOptions extends StorageOptions, HostOptions, DnsCheckOptions, ReportsOptions, AlertingOptions, DnsPublisherOptions {
  /** FQDN that `mta-sts.<domain>` must point to (CNAME), e.g. mail.example.org. */
  mailHostname: string;
  /** Where the plugin logs (`error`, `warn`, `info`). Default: the console, prefixed `[mta-sts]`. */
  logger?: Logger;
  /** Hooks called after the plugin's work, for a host's metrics: served set reloads, DNS Checks. */
  observer?: Observer;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-Host` or `Forwarded: host=`
   * names the host a policy is served for. Any other client is read by its `Host` header alone,
   * so a forged `X-Forwarded-Host` never selects a policy. Default: none.
   */
  trustProxy?: string[];
}

export interface ResolvedOptions extends ResolvedStorage, ResolvedHost, ResolvedDnsCheck, ResolvedReports, ResolvedAlerting {
  mailHostname: string;
  logger: Logger;
  observer: Observer;
  now: () => Date;
  trustProxy: Cidr[];
  dnsPublisher: ResolvedPublisher | null;
  /** CNAME delegation for every domain; null: each domain publishes its own records. */
  delegation: Delegation | null;
}

/** Reads, defaults and validates every option; throws a TypeError naming the bad one. */
export function resolveOptions(options: MtaStsOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('createMtaSts(options): options must be an object');
  const storage = resolveStorage(options);
  const mailHostname = typeof options.mailHostname === 'string' ? toALabel(options.mailHostname) : null;
  if (mailHostname === null) throw new TypeError('options.mailHostname must be a fully qualified host name such as mail.example.org');
  const host = resolveHost(options);
  return {
    ...storage,
    mailHostname,
    ...host,
    ...resolveDnsCheck(options, host.principal),
    ...resolveReports(object(options.reports, 'reports'), mailHostname),
    ...resolveAlerting(options, mailHostname),
    logger: loggerOption(options.logger),
    observer: observerOption(options.observer),
    now: optional(options.now, 'now', 'function') ?? (() => new Date()),
    trustProxy: parseCidrs(options.trustProxy, 'options.trustProxy'),
    dnsPublisher: resolvePublisher(options),
    delegation: resolveDelegation(options),
  };
}

function observerOption(value: unknown): Observer {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new TypeError('options.observer must be an object of hook functions');
  for (const [name, hook] of Object.entries(value)) {
    if (!['servedSetLoaded', 'servedSetFailed', 'dnsCheck'].includes(name))
      throw new TypeError(`options.observer.${name} is not a known hook (servedSetLoaded, servedSetFailed, dnsCheck)`);
    if (typeof hook !== 'function') throw new TypeError(`options.observer.${name} must be a function`);
  }
  return value;
}

function loggerOption(value: unknown): Logger {
  if (value === undefined || value === null) return consoleLogger;
  const candidate = value as Partial<Logger>;
  if (typeof value !== 'object' || (['error', 'warn', 'info'] as const).some((level) => typeof candidate[level] !== 'function')) {
    throw new TypeError('options.logger must be an object with error, warn and info functions');
  }
  return value as Logger;
}

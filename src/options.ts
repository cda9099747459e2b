import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Resolver } from './dns';
import { LOCALES, type Locale } from './i18n';
import { consoleLogger, type Logger, type Observer } from './logger';
import { allowPlaintextOption } from './plaintext';
import { toALabel } from './policy';
import { DEFAULT_MAX_SOCKETS } from './limiter';
import { parseCidrs, type Cidr, type ProbeSettings, type SmtpProbeSettings } from './probes';
import { DEFAULT_DB_TIMEOUT_MS } from './store/bounded';
import { reportLimitsOption, type ReportLimitOptions, type ReportLimits } from './report-limits';

/** What the host's authorization hook answers: allowed, forbidden (403) or not logged in (401). */
export type AuthorizeResult = boolean | 'unauthenticated';

/** What a request wants to do: see a policy, change it, run its DNS Check, or list domains. */
export type AuthorizeAction = 'read' | 'write' | 'check' | 'list';

/**
 * The second argument of `authorize`: the domain the request is about (normalised A-label, also
 * for a domain that does not exist; null for routes over all domains) and what it wants to do.
 */
export interface AuthorizeTarget {
  domain: string | null;
  action: AuthorizeAction;
}

/** The host's authorization hook. A one-argument hook (ignoring the target) decides for every domain alike. */
export type AuthorizeHook = (req: Request, target: AuthorizeTarget) => AuthorizeResult | Promise<AuthorizeResult>;

/** Who is making the request (the host's user id, an API key's identity), or null/'' for nobody known. */
export type PrincipalHook = (req: Request) => string | null | undefined | Promise<string | null | undefined>;

/** A page the plugin wants shown; the host wraps `content` (an HTML fragment) in its own layout. */
export interface PageContext {
  req: Request;
  res: Response;
  title: string;
  /** The domain the page is about, A-label, or null (error pages without one). */
  domain: string | null;
  content: string;
  status: number;
}

export interface MtaStsOptions {
  /** The host's Knex instance (mysql2, pg or better-sqlite3). */
  knex: Knex;
  /** FQDN that `mta-sts.<domain>` must point to (CNAME), e.g. mail.example.org. */
  mailHostname: string;
  /**
   * The host's admin check, called once for every admin and API request after its route is
   * matched, with the domain (A-label; null for routes over all domains) and the action; lists are
   * filtered by it too. Only `true` allows. Missing = deny all.
   */
  authorize?: AuthorizeHook;
  /**
   * Who makes the request: the host's user id, or an API key's identity. Keys the DNS Check rate
   * limit (unless `rateLimit.key` is given). Default: nobody, so the client's address is used.
   */
  principal?: PrincipalHook;
  /** The host's domain table. Default `domain` (as in mailcow). */
  domainTable?: string;
  /** Its key column holding the domain name. Default `domain`. */
  domainColumn?: string;
  /** Its "domain is active" column, or null when it has none. Default `active`. */
  domainActiveColumn?: string | null;
  /** The host's alias-domain table; `mta-sts.<alias>` then serves the target's policy. */
  aliasDomains?: { table: string; aliasColumn: string; targetColumn: string; activeColumn?: string | null } | null;
  /** Where the host mounts `admin`; form actions point here. Default `/mta-sts`. */
  adminPath?: string;
  /**
   * The page that shows a domain's tab, where a successful save redirects to (303, POST/redirect/GET)
   * with a short-lived signed notice in the query. For a host that embeds the tab with `renderTab`:
   * its domain edit page. Gets the domain as an A-label; must return a path on this site
   * (beginning with one "/"). Default `<adminPath>/<domain>`.
   */
  tabUrl?: (domain: string) => string;
  /**
   * For a large panel: the domains the request's viewer may see on the overview (A-labels), or
   * null for all; may return a promise. Lets the overview page filter in SQL instead of asking
   * `authorize` about every domain. Must agree with `authorize`.
   */
  domainFilter?: (req: Request) => readonly string[] | null | Promise<readonly string[] | null>;
  /**
   * The host's login page, linked when a save arrives after the login expired (or the panel
   * restarted): a path or URL, or a function of the request giving one. Default: none (the page
   * then only says to log in).
   */
  loginUrl?: string | ((req: Request) => string);
  /** Wraps the plugin's pages in the host's layout. Default: a minimal standalone page. */
  layout?: (page: PageContext) => string | Promise<string>;
  /** CSRF protection of the admin forms (double-submit cookie, HMAC-signed). */
  csrf?: {
    /** Shared by every instance of the host; default: random per process. */
    secret?: string;
    /** The host's session id, binding tokens to a login; '' for a cookie naming no live session. Default: none (token bound to the cookie only). */
    sessionId?: (req: Request) => string;
    /** `Secure` and `__Host-` prefixed: true (default); false for plain-HTTP development; 'auto' by `req.secure`, one name per scheme. */
    secureCookie?: boolean | 'auto';
  };
  /** The plugin's own migrations table. Default `mta_sts_migrations`. */
  migrationsTable?: string;
  /** The prefix of the plugin's own tables (the change history...). Default `mta_sts_`. */
  tablePrefix?: string;
  /** Policy file cache: snapshot lifetime and how long a request waits for a reload. */
  cache?: { ttlMs?: number; waitMs?: number };
  /**
   * The deadline of every plugin query (and of a save's whole transaction) in ms, default 5000;
   * a save waits for another transaction's row lock half of it (at least 1 s).
   */
  database?: { timeoutMs?: number };
  /** DNS resolver used by the DNS Check. */
  dns?: { servers?: string[]; timeoutMs?: number; retries?: number };
  /**
   * A resolver object of the host's own (`lookup(name, type)`, `servers`, `timeoutMs`), used
   * instead of the plugin's; exclusive with `dns`.
   */
  resolver?: Resolver;
  /** Where the plugin logs (`error`, `warn`, `info`). Default: the console, prefixed `[mta-sts]`. */
  logger?: Logger;
  /** Hooks called after the plugin's work, for a host's metrics: served set reloads, DNS Checks. */
  observer?: Observer;
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
  /**
   * The language of the tab and the DNS Check ('en' or 'de'): fixed, or chosen per request (e.g.
   * from the admin's profile). When absent, or when the function returns nothing or an
   * unsupported language, the browser's Accept-Language decides; English is the last resort.
   */
  locale?: Locale | ((req: Request) => string | null | undefined | Promise<string | null | undefined>);
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * TLS reports (RFC 8460): `intakeUrl` is the public address where the `tlsrpt` router is
   * mounted (default `https://<mailHostname>/tlsrpt/v1`); reports older than `retentionDays`
   * (default 400) are pruned; each intake token takes at most `perTokenPerHour` reports (default 60);
   * what reports may store is bounded by the options of ReportLimitOptions (src/report-limits.ts).
   */
  reports?: { intakeUrl?: string; retentionDays?: number; perTokenPerHour?: number; imap?: ImapOption } & ReportLimitOptions;
  /**
   * Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-Host` or `Forwarded: host=`
   * names the host a policy is served for. Any other client is read by its `Host` header alone,
   * so a forged `X-Forwarded-Host` never selects a policy. Default: none.
   */
  trustProxy?: string[];
  /**
   * The scheduled DNS Check of every active domain (`runScheduledChecks()`, `createScheduler()`):
   * every `intervalMs` (default 6 hours), `concurrency` domains at once (default 8); on one
   * instance at a time, the holder of a lease renewed every quarter of `leaseMs` (default 60 s).
   */
  scheduler?: { intervalMs?: number; concurrency?: number; leaseMs?: number };
  /**
   * Where the scheduled checks send alerts when a condition appears or recovers: by `email`
   * (SMTP through nodemailer) and/or by `webhook` (a JSON POST, signed with HMAC-SHA256 over the
   * raw body in `X-MTA-STS-Signature: sha256=<hex>` when a `secret` is given), in `locale` ('en' or 'de').
   * The SMTP password goes only over TLS (`secure`, or STARTTLS required) unless `allowPlaintext` names `host`.
   */
  alerts?: {
    locale?: Locale;
    email?: {
      to: string;
      from?: string;
      smtp: { host: string; port?: number; secure?: boolean; user?: string; password?: string; allowPlaintext?: string };
    };
    webhook?: { url: string; secret?: string; timeoutMs?: number };
  };
}

/**
 * Report mails fetched from an IMAP mailbox: `url` is `imaps://[user@]host[:port][/mailbox]` (or
 * `imap://`, which must upgrade by STARTTLS: the password is never sent in clear text unless
 * `allowPlaintext` names the URL's host); `user` and `mailbox` may be given here instead;
 * `doneMailbox` takes stored reports (created when missing; without it they are marked \Seen and
 * stay); polled every `intervalMs` (default 300000).
 */
export interface ImapOption {
  url: string;
  user?: string;
  password: string;
  mailbox?: string;
  doneMailbox?: string | null;
  intervalMs?: number;
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  allowPlaintext?: string;
}

/** `reports.imap` validated: everything the fetcher needs. */
export interface ImapSettings {
  host: string;
  port: number;
  /** True for imaps (TLS from the start); false for imap, which upgrades by STARTTLS (required unless allowPlaintext). */
  secure: boolean;
  /** The server may get the password without TLS when it offers no STARTTLS (its host was named). */
  allowPlaintext: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** Where stored reports go (created when missing); null to leave them in place, marked \Seen. */
  doneMailbox: string | null;
  intervalMs: number;
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean };
}

/** The alert settings after validation. */
export interface AlertOptions {
  locale: Locale;
  email: {
    to: string;
    from: string;
    smtp: { host: string; port: number; secure: boolean; user: string | null; password: string | null; allowPlaintext: boolean };
  } | null;
  webhook: { url: string; secret: string | null; timeoutMs: number } | null;
}

export interface ResolvedOptions {
  knex: Knex;
  mailHostname: string;
  authorize: AuthorizeHook;
  principal: PrincipalHook;
  domainTable: string;
  domainColumn: string;
  domainActiveColumn: string | null;
  aliasDomains: { table: string; aliasColumn: string; targetColumn: string; activeColumn: string | null } | null;
  adminPath: string;
  tabUrl: (domain: string) => string;
  domainFilter: ((req: Request) => readonly string[] | null | Promise<readonly string[] | null>) | null;
  loginUrl: ((req: Request) => string) | null;
  layout: ((page: PageContext) => string | Promise<string>) | null;
  csrf: { secret: string; sessionId: (req: Request) => string; secureCookie: boolean | 'auto' };
  migrationsTable: string;
  tablePrefix: string;
  cache: { ttlMs: number; waitMs: number };
  database: { timeoutMs: number };
  dns: { servers?: string[]; timeoutMs?: number; retries?: number };
  resolver: Resolver | null;
  logger: Logger;
  observer: Observer;
  dnsCheck: { https: ProbeSettings; smtp: SmtpProbeSettings; allowAddresses: Cidr[]; maxSockets: number };
  rateLimit: {
    dnsChecks: number;
    windowMs: number;
    concurrentChecks: number;
    key: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  };
  locale: Locale | ((req: Request) => string | null | undefined | Promise<string | null | undefined>) | null;
  now: () => Date;
  reports: { intakeUrl: string; retentionDays: number; perTokenPerHour: number; imap: ImapSettings | null; limits: ReportLimits };
  trustProxy: Cidr[];
  scheduler: { intervalMs: number; concurrency: number; leaseMs: number };
  alerts: AlertOptions;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Reads, defaults and validates every option; throws a TypeError naming the bad one. */
export function resolveOptions(options: MtaStsOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('createMtaSts(options): options must be an object');
  const { knex } = options;
  if (typeof knex !== 'function' || typeof (knex as Partial<Knex>).transaction !== 'function') {
    throw new TypeError('options.knex must be a Knex instance');
  }
  if (typeof options.mailHostname !== 'string' || toALabel(options.mailHostname) === null) {
    throw new TypeError('options.mailHostname must be a fully qualified host name such as mail.example.org');
  }
  const deny = () => false as const;
  const authorize = optional(options.authorize, 'authorize', 'function') ?? deny;
  const aliasDomains =
    options.aliasDomains == null
      ? null
      : {
          table: identifier(options.aliasDomains.table, 'aliasDomains.table'),
          aliasColumn: identifier(options.aliasDomains.aliasColumn, 'aliasDomains.aliasColumn'),
          targetColumn: identifier(options.aliasDomains.targetColumn, 'aliasDomains.targetColumn'),
          activeColumn: options.aliasDomains.activeColumn == null ? null : identifier(options.aliasDomains.activeColumn, 'aliasDomains.activeColumn'),
        };
  const adminPath = options.adminPath ?? '/mta-sts';
  // No "." or ".." segments: browsers resolve them in the form action, which would then miss the router.
  if (typeof adminPath !== 'string' || !/^(?:\/[A-Za-z0-9._~-]+)+$/.test(adminPath) || /\/\.{1,2}(?=\/|$)/.test(adminPath)) {
    throw new TypeError('options.adminPath must be a path such as /mta-sts (no trailing slash)');
  }
  const csrf = object(options.csrf, 'csrf');
  const cache = object(options.cache, 'cache');
  const secret = csrf.secret ?? randomBytes(32).toString('hex');
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('options.csrf.secret must be a string of at least 32 characters');
  const sessionId = optional(csrf.sessionId, 'csrf.sessionId', 'function') ?? (() => '');
  const secureCookie: boolean | 'auto' = csrf.secureCookie ?? true;
  if (secureCookie !== true && secureCookie !== false && secureCookie !== 'auto')
    throw new TypeError("options.csrf.secureCookie must be true, false or 'auto'");
  const ttlMs = wholeNumber(cache.ttlMs ?? 5000, 'cache.ttlMs', 0, 3_600_000);
  const waitMs = wholeNumber(cache.waitMs ?? 1000, 'cache.waitMs', 0, 60_000);
  const database = object(options.database, 'database');
  const timeoutMs = wholeNumber(database.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS, 'database.timeoutMs', 1000, 600_000);
  const now = optional(options.now, 'now', 'function') ?? (() => new Date());
  const locale = options.locale ?? null;
  if (locale !== null && typeof locale !== 'function' && !(LOCALES as readonly unknown[]).includes(locale)) {
    throw new TypeError(`options.locale must be ${LOCALES.map((l) => `'${l}'`).join(' or ')}, or a function of the request returning a language`);
  }
  const rateLimit = object(options.rateLimit, 'rateLimit');
  const principal = optional(options.principal, 'principal', 'function') ?? (() => null);
  // Not the session id: a client inventing a new cookie per request would get a new count each time.
  const rateKey = optional(rateLimit.key, 'rateLimit.key', 'function') ?? principal;
  return {
    knex,
    mailHostname: toALabel(options.mailHostname) as string,
    authorize,
    principal,
    domainTable: identifier(options.domainTable ?? 'domain', 'domainTable'),
    domainColumn: identifier(options.domainColumn ?? 'domain', 'domainColumn'),
    domainActiveColumn: options.domainActiveColumn === null ? null : identifier(options.domainActiveColumn ?? 'active', 'domainActiveColumn'),
    aliasDomains,
    adminPath,
    domainFilter: optional(options.domainFilter, 'domainFilter', 'function') ?? null,
    tabUrl: optional(options.tabUrl, 'tabUrl', 'function') ?? ((domain: string) => `${adminPath}/${encodeURIComponent(domain)}`),
    loginUrl: loginUrlOption(options.loginUrl),
    layout: optional(options.layout, 'layout', 'function') ?? null,
    csrf: { secret, sessionId, secureCookie },
    migrationsTable: identifier(options.migrationsTable ?? 'mta_sts_migrations', 'migrationsTable'),
    tablePrefix: tablePrefixOption(options.tablePrefix),
    cache: { ttlMs, waitMs },
    database: { timeoutMs },
    // Checked in detail by createResolver, which the factory calls at once.
    dns: object(options.dns, 'dns'),
    resolver: resolverOption(options.resolver, options.dns),
    logger: loggerOption(options.logger),
    observer: observerOption(options.observer),
    dnsCheck: {
      https: probe(object(options.dnsCheck, 'dnsCheck').https, 'dnsCheck.https'),
      smtp: probe(object(options.dnsCheck, 'dnsCheck').smtp, 'dnsCheck.smtp'),
      allowAddresses: parseCidrs(object(options.dnsCheck, 'dnsCheck').allowAddresses, 'options.dnsCheck.allowAddresses'),
      maxSockets: wholeNumber(object(options.dnsCheck, 'dnsCheck').maxSockets ?? DEFAULT_MAX_SOCKETS, 'dnsCheck.maxSockets', 1, 10_000),
    },
    rateLimit: {
      dnsChecks: wholeNumber(rateLimit.dnsChecks ?? 10, 'rateLimit.dnsChecks', 1, 100_000),
      windowMs: wholeNumber(rateLimit.windowMs ?? 60_000, 'rateLimit.windowMs', 1000, 86_400_000),
      concurrentChecks: wholeNumber(rateLimit.concurrentChecks ?? 4, 'rateLimit.concurrentChecks', 1, 1000),
      key: rateKey,
    },
    locale,
    now,
    reports: reportsOption(object(options.reports, 'reports'), toALabel(options.mailHostname) as string),
    trustProxy: parseCidrs(options.trustProxy, 'options.trustProxy'),
    scheduler: resolveSchedulerOptions(object(options.scheduler, 'scheduler'), 'options.scheduler'),
    alerts: alertsOption(object(options.alerts, 'alerts'), toALabel(options.mailHostname) as string),
  };
}

/** The scheduler's interval and concurrency, defaulted and validated; `name` prefixes the error. */
export function resolveSchedulerOptions(
  value: { intervalMs?: unknown; concurrency?: unknown; leaseMs?: unknown },
  name: string,
): { intervalMs: number; concurrency: number; leaseMs: number } {
  const bounded = (v: unknown, field: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new TypeError(`${name}.${field} must be a whole number from ${min} to ${max}`);
    return v;
  };
  // At least a second between runs; at most a week, so a typo in minutes cannot switch checks off for years.
  return {
    intervalMs: bounded(value.intervalMs ?? 21_600_000, 'intervalMs', 1000, 604_800_000),
    concurrency: bounded(value.concurrency ?? 8, 'concurrency', 1, 1000),
    // How long another instance waits to take over when the holder dies: a second to an hour.
    leaseMs: bounded(value.leaseMs ?? 60_000, 'leaseMs', 1000, 3_600_000),
  };
}

// A mail address as far as a sender needs to know: one @, no blanks, no header-breaking characters.
const MAIL_ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

function alertsOption(alerts: Partial<NonNullable<MtaStsOptions['alerts']>>, mailHostname: string): AlertOptions {
  const locale = alerts.locale ?? 'en';
  if (!(LOCALES as readonly unknown[]).includes(locale)) throw new TypeError(`options.alerts.locale must be ${LOCALES.map((l) => `'${l}'`).join(' or ')}`);
  let email: AlertOptions['email'] = null;
  if (alerts.email != null) {
    const e = object(alerts.email, 'alerts.email');
    if (typeof e.to !== 'string' || !MAIL_ADDRESS.test(e.to)) throw new TypeError('options.alerts.email.to must be a mail address such as admin@example.org');
    const from = e.from ?? `mta-sts@${mailHostname}`;
    if (typeof from !== 'string' || !MAIL_ADDRESS.test(from))
      throw new TypeError('options.alerts.email.from must be a mail address such as mta-sts@example.org');
    const smtp = object(e.smtp, 'alerts.email.smtp');
    if (typeof smtp.host !== 'string' || smtp.host.trim() === '' || /\s/.test(smtp.host)) {
      throw new TypeError('options.alerts.email.smtp.host must be a host name or address such as localhost');
    }
    const secure = optional(smtp.secure, 'alerts.email.smtp.secure', 'boolean') ?? false;
    const user = smtp.user ?? null;
    const password = smtp.password ?? null;
    if (user !== null && (typeof user !== 'string' || user === '')) throw new TypeError('options.alerts.email.smtp.user must be a non-empty string');
    if (password !== null && typeof password !== 'string') throw new TypeError('options.alerts.email.smtp.password must be a string');
    if ((user === null) !== (password === null)) throw new TypeError('options.alerts.email.smtp.user and password go together: give both or neither');
    const port = wholeNumber(smtp.port ?? (secure ? 465 : 587), 'alerts.email.smtp.port', 1, 65535);
    const allowPlaintext = allowPlaintextOption(smtp.allowPlaintext, smtp.host, 'options.alerts.email.smtp.allowPlaintext');
    email = { to: e.to, from, smtp: { host: smtp.host, port, secure, user, password, allowPlaintext } };
  }
  let webhook: AlertOptions['webhook'] = null;
  if (alerts.webhook != null) {
    const w = object(alerts.webhook, 'alerts.webhook');
    const url = typeof w.url === 'string' && URL.canParse(w.url) ? new URL(w.url) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
      throw new TypeError('options.alerts.webhook.url must be an http(s) URL without credentials, such as https://hooks.example.org/mta-sts');
    }
    const secret = w.secret ?? null;
    if (secret !== null && (typeof secret !== 'string' || secret.length < 16))
      throw new TypeError('options.alerts.webhook.secret must be a string of at least 16 characters');
    webhook = { url: url.href, secret, timeoutMs: wholeNumber(w.timeoutMs ?? 10_000, 'alerts.webhook.timeoutMs', 100, 120_000) };
  }
  return { locale, email, webhook };
}

function reportsOption(reports: Partial<NonNullable<MtaStsOptions['reports']>>, mailHostname: string): ResolvedOptions['reports'] {
  const intakeUrl = reports.intakeUrl ?? `https://${mailHostname}/tlsrpt/v1`;
  const url = typeof intakeUrl === 'string' && URL.canParse(intakeUrl) ? new URL(intakeUrl) : null;
  // https only: RFC 8460 senders post to https: URIs, and a query or fragment would end up before the token.
  if (!url || url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || intakeUrl.endsWith('/')) {
    throw new TypeError('options.reports.intakeUrl must be an https URL without query or trailing slash, such as https://mail.example.org/tlsrpt/v1');
  }
  return {
    intakeUrl,
    retentionDays: wholeNumber(reports.retentionDays ?? 400, 'reports.retentionDays', 1, 3650),
    perTokenPerHour: wholeNumber(reports.perTokenPerHour ?? 60, 'reports.perTokenPerHour', 1, 100_000),
    imap: reports.imap === undefined || reports.imap === null ? null : imapSettings(reports.imap, 'options.reports.imap'),
    limits: reportLimitsOption(reports),
  };
}

/** Validates an IMAP fetch setting (`reports.imap`, or the command's flags under another `prefix`); a TypeError names the field. */
export function imapSettings(value: unknown, prefix: string): ImapSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${prefix} must be an object`);
  const input = value as Partial<Record<keyof ImapOption, unknown>>;
  let url: URL | null;
  try {
    url = typeof input.url === 'string' ? new URL(input.url) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'imaps:' && url.protocol !== 'imap:') || url.hostname === '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`${prefix}.url must be an imaps:// or imap:// URL such as imaps://reports@mail.example.org:993/INBOX`);
  }
  // A password in the URL would end up in process lists and logs.
  if (url.password !== '') throw new TypeError(`${prefix}.url must not contain a password: give it as ${prefix}.password`);
  const secure = url.protocol === 'imaps:';
  const text = (field: 'user' | 'password' | 'mailbox' | 'doneMailbox', given: unknown, fallback: string): string => {
    const v = given ?? fallback;
    if (typeof v !== 'string' || v === '' || v.length > 1000 || /[\r\n\0]/.test(v))
      throw new TypeError(`${prefix}.${field} must be a non-empty string of one line`);
    return v;
  };
  const user = text('user', input.user, decodeURIComponent(url.username));
  const password = text('password', input.password, '');
  const mailbox = text('mailbox', input.mailbox, decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX');
  const doneMailbox = input.doneMailbox === undefined || input.doneMailbox === null ? null : text('doneMailbox', input.doneMailbox, '');
  if (doneMailbox !== null && doneMailbox === mailbox) throw new TypeError(`${prefix}.doneMailbox must differ from the mailbox it fetches from`);
  const tls = input.tls === undefined ? {} : input.tls;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw new TypeError(`${prefix}.tls must be an object`);
  const { ca, rejectUnauthorized } = tls as { ca?: unknown; rejectUnauthorized?: unknown };
  if (ca !== undefined && typeof ca !== 'string' && !Buffer.isBuffer(ca)) throw new TypeError(`${prefix}.tls.ca must be PEM text or a Buffer`);
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') throw new TypeError(`${prefix}.tls.rejectUnauthorized must be a boolean`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port === '' ? (secure ? 993 : 143) : Number(url.port),
    secure,
    allowPlaintext: allowPlaintextOption(input.allowPlaintext, host, `${prefix}.allowPlaintext`),
    user,
    password,
    mailbox,
    doneMailbox,
    intervalMs: wholeNumber(input.intervalMs ?? 300_000, `${prefix.replace(/^options\./, '')}.intervalMs`, 10_000, 86_400_000),
    tls: { rejectUnauthorized: rejectUnauthorized ?? true, ...(ca === undefined ? {} : { ca }) },
  };
}

function object<T extends object>(value: T | undefined | null, name: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`options.${name} must be an object`);
  return value;
}

function tablePrefixOption(value: unknown): string {
  if (value === undefined) return 'mta_sts_';
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(value)) {
    throw new TypeError('options.tablePrefix must start a table name: letters, digits, underscores, 1-40 characters (default mta_sts_)');
  }
  return value;
}

function loginUrlOption(value: unknown): ((req: Request) => string) | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'function') return value as (req: Request) => string;
  if (typeof value === 'string' && isSafeLink(value)) return () => value;
  throw new TypeError('options.loginUrl must be a path on this site such as /login, an http(s) URL, or a function of the request returning one');
}

/**
 * A link the plugin may put in a page or a Location header: a path on this site ("/x", never
 * "//host" or "/\\host", which browsers read as another site) or, when `external`, an http(s) URL.
 * No control characters or blanks.
 */
export function isSafeLink(value: string, external = true): boolean {
  if (value.length === 0 || value.length > 2048 || /[\x00-\x20\x7f]/.test(value)) return false;
  if (value.startsWith('/')) return !value.startsWith('//') && !value.startsWith('/\\');
  return external && /^https?:\/\/[^/\\]/i.test(value);
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

function probe<T extends ProbeSettings>(value: T | undefined, name: string): T {
  const settings = object(value, name) as T;
  optional(settings.enabled, `${name}.enabled`, 'boolean');
  if (settings.port !== undefined) wholeNumber(settings.port, `${name}.port`, 1, 65535);
  if (settings.timeoutMs !== undefined) wholeNumber(settings.timeoutMs, `${name}.timeoutMs`, 100, 120_000);
  return settings;
}

function identifier(value: unknown, name: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new TypeError(`options.${name} must be a table or column name (letters, digits, underscores; 1-64 characters)`);
  }
  return value;
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`options.${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function optional<T>(value: T | undefined, name: string, type: 'function' | 'boolean'): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new TypeError(`options.${name} must be a ${type}`);
  return value;
}

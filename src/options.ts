import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Resolver } from './dns';
import { LOCALES, type Locale } from './i18n';
import { consoleLogger, type Logger } from './logger';
import { toALabel } from './policy';
import type { ProbeSettings, SmtpProbeSettings } from './probes';

/** What the host's authorization hook answers: allowed, forbidden (403) or not logged in (401). */
export type AuthorizeResult = boolean | 'unauthenticated';

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
  /** The host's Knex instance (mysql2 or better-sqlite3). */
  knex: Knex;
  /** FQDN that `mta-sts.<domain>` must point to (CNAME), e.g. mail.example.org. */
  mailHostname: string;
  /** The host's admin check, called for every admin and API request. Missing = deny all. */
  authorize?: (req: Request) => AuthorizeResult | Promise<AuthorizeResult>;
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
    /** The host's session id, binding tokens to a login. Default: none (token bound to the cookie only). */
    sessionId?: (req: Request) => string;
    /** Send the cookie with `Secure` and the `__Host-` prefix. Default true; false only for plain-HTTP development. */
    secureCookie?: boolean;
  };
  /** The plugin's own migrations table. Default `mta_sts_migrations`. */
  migrationsTable?: string;
  /** Policy file cache: snapshot lifetime and how long a request waits for a reload. */
  cache?: { ttlMs?: number; waitMs?: number };
  /** DNS resolver used by the DNS Check. */
  dns?: { servers?: string[]; timeoutMs?: number; retries?: number };
  /**
   * A resolver object of the host's own (`lookup(name, type)`, `servers`, `timeoutMs`), used
   * instead of the plugin's; exclusive with `dns`.
   */
  resolver?: Resolver;
  /** Where the plugin logs (`error`, `warn`, `info`). Default: the console, prefixed `[mta-sts]`. */
  logger?: Logger;
  /**
   * The DNS Check's two network probes: the policy file over HTTPS as a sender fetches it, and
   * STARTTLS on each MX host. Both on by default; `port` and `ca` exist so tests can aim them at
   * local servers with a throwaway CA.
   */
  dnsCheck?: { https?: ProbeSettings; smtp?: SmtpProbeSettings };
  /**
   * Limits the DNS Check per user (tab and API together), so that it cannot be used to hammer a
   * resolver: at most `dnsChecks` per `windowMs` (default 10 per minute) for each `key(req)`
   * (default: the `csrf.sessionId` of the request, else its IP address).
   */
  rateLimit?: { dnsChecks?: number; windowMs?: number; key?: (req: Request) => string };
  /**
   * The language of the tab and the DNS Check ('en' or 'de'): fixed, or chosen per request (e.g.
   * from the admin's profile). When absent, or when the function returns nothing or an
   * unsupported language, the browser's Accept-Language decides; English is the last resort.
   */
  locale?: Locale | ((req: Request) => string | null | undefined | Promise<string | null | undefined>);
  /** Clock, for tests. */
  now?: () => Date;
}

export interface ResolvedOptions {
  knex: Knex;
  mailHostname: string;
  authorize: (req: Request) => AuthorizeResult | Promise<AuthorizeResult>;
  domainTable: string;
  domainColumn: string;
  domainActiveColumn: string | null;
  aliasDomains: { table: string; aliasColumn: string; targetColumn: string; activeColumn: string | null } | null;
  adminPath: string;
  tabUrl: (domain: string) => string;
  loginUrl: ((req: Request) => string) | null;
  layout: ((page: PageContext) => string | Promise<string>) | null;
  csrf: { secret: string; sessionId: (req: Request) => string; secureCookie: boolean };
  migrationsTable: string;
  cache: { ttlMs: number; waitMs: number };
  dns: { servers?: string[]; timeoutMs?: number; retries?: number };
  resolver: Resolver | null;
  logger: Logger;
  dnsCheck: { https: ProbeSettings; smtp: SmtpProbeSettings };
  rateLimit: { dnsChecks: number; windowMs: number; key: (req: Request) => string };
  locale: Locale | ((req: Request) => string | null | undefined | Promise<string | null | undefined>) | null;
  now: () => Date;
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
  const aliasDomains = options.aliasDomains == null ? null : {
    table: identifier(options.aliasDomains.table, 'aliasDomains.table'),
    aliasColumn: identifier(options.aliasDomains.aliasColumn, 'aliasDomains.aliasColumn'),
    targetColumn: identifier(options.aliasDomains.targetColumn, 'aliasDomains.targetColumn'),
    activeColumn: options.aliasDomains.activeColumn == null ? null : identifier(options.aliasDomains.activeColumn, 'aliasDomains.activeColumn'),
  };
  const adminPath = options.adminPath ?? '/mta-sts';
  // No "." or ".." segments: browsers resolve them in the form action, which would then miss the router.
  if (typeof adminPath !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(adminPath) || /\/\.{1,2}(?=\/|$)/.test(adminPath)) {
    throw new TypeError('options.adminPath must be a path such as /mta-sts (no trailing slash)');
  }
  const csrf = object(options.csrf, 'csrf');
  const cache = object(options.cache, 'cache');
  const secret = csrf.secret ?? randomBytes(32).toString('hex');
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('options.csrf.secret must be a string of at least 32 characters');
  const sessionId = optional(csrf.sessionId, 'csrf.sessionId', 'function') ?? (() => '');
  const secureCookie = optional(csrf.secureCookie, 'csrf.secureCookie', 'boolean') ?? true;
  const ttlMs = wholeNumber(cache.ttlMs ?? 5000, 'cache.ttlMs', 0, 3_600_000);
  const waitMs = wholeNumber(cache.waitMs ?? 1000, 'cache.waitMs', 0, 60_000);
  const now = optional(options.now, 'now', 'function') ?? (() => new Date());
  const locale = options.locale ?? null;
  if (locale !== null && typeof locale !== 'function' && !(LOCALES as readonly unknown[]).includes(locale)) {
    throw new TypeError(`options.locale must be ${LOCALES.map((l) => `'${l}'`).join(' or ')}, or a function of the request returning a language`);
  }
  const rateLimit = object(options.rateLimit, 'rateLimit');
  const rateKey = optional(rateLimit.key, 'rateLimit.key', 'function') ?? ((req: Request) => sessionId(req));
  return {
    knex,
    mailHostname: toALabel(options.mailHostname) as string,
    authorize,
    domainTable: identifier(options.domainTable ?? 'domain', 'domainTable'),
    domainColumn: identifier(options.domainColumn ?? 'domain', 'domainColumn'),
    domainActiveColumn: options.domainActiveColumn === null ? null : identifier(options.domainActiveColumn ?? 'active', 'domainActiveColumn'),
    aliasDomains,
    adminPath,
    tabUrl: optional(options.tabUrl, 'tabUrl', 'function') ?? ((domain: string) => `${adminPath}/${encodeURIComponent(domain)}`),
    loginUrl: loginUrlOption(options.loginUrl),
    layout: optional(options.layout, 'layout', 'function') ?? null,
    csrf: { secret, sessionId, secureCookie },
    migrationsTable: identifier(options.migrationsTable ?? 'mta_sts_migrations', 'migrationsTable'),
    cache: { ttlMs, waitMs },
    // Checked in detail by createResolver, which the factory calls at once.
    dns: object(options.dns, 'dns'),
    resolver: resolverOption(options.resolver, options.dns),
    logger: loggerOption(options.logger),
    dnsCheck: {
      https: probe(object(options.dnsCheck, 'dnsCheck').https, 'dnsCheck.https'),
      smtp: probe(object(options.dnsCheck, 'dnsCheck').smtp, 'dnsCheck.smtp'),
    },
    rateLimit: {
      dnsChecks: wholeNumber(rateLimit.dnsChecks ?? 10, 'rateLimit.dnsChecks', 1, 100_000),
      windowMs: wholeNumber(rateLimit.windowMs ?? 60_000, 'rateLimit.windowMs', 1000, 86_400_000),
      key: rateKey,
    },
    locale,
    now,
  };
}

function object<T extends object>(value: T | undefined | null, name: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`options.${name} must be an object`);
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

// The host's hooks and pages: who may do what (`authorize`, `principal`), where the tab lives and
// where a save goes back to (`adminPath`, `tabUrl`, `loginUrl`), how pages are wrapped
// (`layout`), the overview's filter (`domainFilter`), CSRF, and the language of the pages.
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Locale } from '../i18n';
import { localeOption, object, optional } from './validate';

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

type LocaleHook = (req: Request) => string | null | undefined | Promise<string | null | undefined>;
type DomainFilter = (req: Request) => readonly string[] | null | Promise<readonly string[] | null>;

export interface HostOptions {
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
  domainFilter?: DomainFilter;
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
  /**
   * The language of the tab and the DNS Check ('en' or 'de'): fixed, or chosen per request (e.g.
   * from the admin's profile). When absent, or when the function returns nothing or an
   * unsupported language, the browser's Accept-Language decides; English is the last resort.
   */
  locale?: Locale | LocaleHook;
}

export interface ResolvedHost {
  authorize: AuthorizeHook;
  principal: PrincipalHook;
  adminPath: string;
  tabUrl: (domain: string) => string;
  domainFilter: DomainFilter | null;
  loginUrl: ((req: Request) => string) | null;
  layout: ((page: PageContext) => string | Promise<string>) | null;
  csrf: { secret: string; sessionId: (req: Request) => string; secureCookie: boolean | 'auto' };
  locale: Locale | LocaleHook | null;
}

export function resolveHost(options: HostOptions): ResolvedHost {
  const adminPath = options.adminPath ?? '/mta-sts';
  // No "." or ".." segments: browsers resolve them in the form action, which would then miss the router.
  if (typeof adminPath !== 'string' || !/^(?:\/[A-Za-z0-9._~-]+)+$/.test(adminPath) || /\/\.{1,2}(?=\/|$)/.test(adminPath)) {
    throw new TypeError('options.adminPath must be a path such as /mta-sts (no trailing slash)');
  }
  const csrf = object(options.csrf, 'csrf');
  const secret = csrf.secret ?? randomBytes(32).toString('hex');
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('options.csrf.secret must be a string of at least 32 characters');
  const secureCookie: boolean | 'auto' = csrf.secureCookie ?? true;
  if (secureCookie !== true && secureCookie !== false && secureCookie !== 'auto')
    throw new TypeError("options.csrf.secureCookie must be true, false or 'auto'");
  const locale = options.locale ?? null;
  return {
    authorize: optional(options.authorize, 'authorize', 'function') ?? (() => false),
    principal: optional(options.principal, 'principal', 'function') ?? (() => null),
    adminPath,
    tabUrl: optional(options.tabUrl, 'tabUrl', 'function') ?? ((domain: string) => `${adminPath}/${encodeURIComponent(domain)}`),
    domainFilter: optional(options.domainFilter, 'domainFilter', 'function') ?? null,
    loginUrl: loginUrlOption(options.loginUrl),
    layout: optional(options.layout, 'layout', 'function') ?? null,
    csrf: { secret, sessionId: optional(csrf.sessionId, 'csrf.sessionId', 'function') ?? (() => ''), secureCookie },
    locale: locale === null || typeof locale === 'function' ? locale : localeOption(locale, 'locale', ', or a function of the request returning a language'),
  };
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

// The plugin inside the server, mounted as any host mounts it: createMtaSts with the server's hooks
// (who may do what, who a request is, the page layout, the language) and its JSON API behind a key.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { createMtaSts, type MtaSts, type MtaStsOptions } from '../index';
import type { CookieSecurity } from './cookies';
import type { DomainPageRenderer } from './domain-routes';
import { chosenLanguage } from './i18n';
import type { PageRenderer } from './pages';
import type { Sessions } from './sessions';

function sameSecret(given: string, expected: string): boolean {
  // Compare digests so that the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The JSON API's key (X-API-Key); without one, the API is closed. */
export class ApiKey {
  /** The key's identity for the rate limit: a digest, so the key itself is kept nowhere. */
  readonly identity: string | null;

  constructor(private readonly key: string | undefined) {
    this.identity = key ? `api-key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : null;
  }

  /** True when the request carries the key. */
  valid(req: Request): boolean {
    const given = req.get('x-api-key');
    return given !== undefined && this.key !== undefined && this.key !== '' && sameSecret(given, this.key);
  }
}

/** The plugin's options the server passes on as they are (tests aim them at loopback). */
export interface PassedOn {
  /** The resolvers of the DNS Check and the tab's lookups. */
  dnsServers?: string[];
  /** The DNS Check's HTTPS and SMTP probe settings. */
  dnsCheck?: MtaStsOptions['dnsCheck'];
  /** The plugin's language option; without it the language switch, else the browser's Accept-Language, decides. */
  locale?: MtaStsOptions['locale'];
  /** The plugin's TLS report options (the IMAP mailbox to fetch from, ...). */
  reports?: MtaStsOptions['reports'];
  /** The scheduled DNS Checks and their alerts; the caller starts the scheduler. */
  scheduler?: MtaStsOptions['scheduler'];
  alerts?: MtaStsOptions['alerts'];
  /** CNAME delegation (--delegation-zone, --delegation-policy-host). */
  delegation?: MtaStsOptions['delegation'];
}

interface PanelPlugin {
  /** The storage, cache and observer options, as the migration had them. */
  base: MtaStsOptions;
  passedOn: PassedOn;
  /** The tab's CSRF secret, kept in the database: a tab opened before a restart can still be saved after it. */
  tabSecret: string;
  secure: CookieSecurity;
  sessions: Sessions;
  apiKey: ApiKey;
  page: PageRenderer;
  domainPage: DomainPageRenderer;
}

/** The plugin, and the middleware that marks a request as the API's (mount it before `mtaSts.api`). */
export function createPanelPlugin(plugin: PanelPlugin): { mtaSts: MtaSts; markApi: RequestHandler } {
  const { passedOn, sessions, apiKey, page, domainPage } = plugin;
  const apiRequests = new WeakSet<Request>();
  const mtaSts = createMtaSts({
    ...plugin.base,
    adminPath: '/mta-sts',
    dns: passedOn.dnsServers ? { servers: passedOn.dnsServers } : {},
    ...(passedOn.dnsCheck ? { dnsCheck: passedOn.dnsCheck } : {}),
    ...(passedOn.reports ? { reports: passedOn.reports } : {}),
    ...(passedOn.scheduler ? { scheduler: passedOn.scheduler } : {}),
    ...(passedOn.alerts ? { alerts: passedOn.alerts } : {}),
    ...(passedOn.delegation ? { delegation: passedOn.delegation } : {}),
    // The language switch's choice, else (null) the browser's Accept-Language, as for the server's own pages.
    locale: passedOn.locale ?? ((req) => chosenLanguage(req)),
    // After a save, back to the server's own domain page (the plugin redirects there, 303).
    tabUrl: (domain) => `/domains/${encodeURIComponent(domain)}?tab=mta-sts`,
    loginUrl: '/login',
    csrf: { secret: plugin.tabSecret, sessionId: (req) => sessions.id(req), secureCookie: plugin.secure },
    authorize(req) {
      // The API takes its key and nothing else, so a browser's login cookie cannot drive it (no CSRF).
      // Marked by the mount itself: routing ignores case, so `/API/v1/...` must not fall through to the cookie.
      if (apiRequests.has(req)) {
        if (req.get('x-api-key') === undefined) return 'unauthenticated';
        return apiKey.valid(req);
      }
      // Every account of the server is an administrator of every domain.
      return sessions.user(req) !== null ? true : 'unauthenticated';
    },
    // Who the DNS Check limit counts: the API key for API requests, else the logged-in user. Never
    // a cookie value as such: a client sending a new cookie each time must stay one client.
    principal(req) {
      if (apiRequests.has(req)) return apiKey.valid(req) ? apiKey.identity : null;
      return sessions.user(req);
    },
    layout: ({ req, res, domain, title, content }) => (domain ? domainPage(req, res, domain, 'mta-sts', content) : page(req, res, title, content)),
  });
  const markApi: RequestHandler = (req, _res, next) => {
    apiRequests.add(req);
    next();
  };
  return { mtaSts, markApi };
}

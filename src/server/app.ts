// The standalone server's web app: the policy file, a login, a domain list and a domain edit page
// with the MTA-STS tab, health and metrics. It grew out of the demo host panel and is still one:
// it uses the plugin exactly as any host does, through createMtaSts and its hooks.
import { timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import express, { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { API_PATH, MtaSts, MtaStsOptions, createMtaSts, policy } from '../index';
import type { DnsCheckResult } from '../index';
import { presetSchema, type SchemaMapping } from '../config/presets';
import { consoleLogger, type Logger } from '../logger';
import { resolveOptions } from '../options';
import { MtaStsService } from '../service';
import { BoundedDb } from '../service/database';
import { Accounts } from './accounts';
import { healthHandler } from './health';
import { chosenLanguage, demoLanguage, sayer, setLanguage } from './i18n';
import { cell, flag, migrateHost, seedDomains } from './host-schema';
import { LoginLimit } from './login-limit';
import { createPanelCsrf, overTls, type CookieSecurity } from './cookies';
import { listCheck } from './domain-check';
import { hsts, pageHeaders } from './headers';
import { Metrics } from './metrics';
import { outageHandler } from './outage';
import { serverSecret } from './secrets';
import { Sessions } from './sessions';

export interface PanelOptions {
  knex: Knex;
  mailHostname: string;
  /** Creates the account `admin` with this password when there is no account yet (the embedded default's first start). */
  adminPassword?: string;
  /**
   * The embedded default: create the demo's own domain tables and seed them. False when attached
   * to a panel's database: its domain table is the panel's, never created or seeded here.
   */
  embedded?: boolean;
  /** Where the panel keeps its domains (default: the embedded tables, mailcow-shaped). */
  schema?: SchemaMapping;
  /** Prefix of the plugin's own tables (accounts, sessions, secrets, history...). Default `mta_sts_`. */
  tablePrefix?: string;
  /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-* and login header are believed. */
  trustedProxies?: string[];
  /** The header a trusted proxy names the logged-in user in, e.g. `X-Remote-User`. */
  authHeader?: string | null;
  logger?: Logger;
  metrics?: Metrics;
  /** Serve /metrics behind the API key (when no separate metrics port is used). */
  metricsOnApi?: boolean;
  /** The request log (./request-log.ts) or another, mounted first. */
  requestLogger?: RequestHandler;
  /** Without one, the JSON API is closed. */
  apiKey?: string;
  dnsServers?: string[];
  /** Domains seeded into an empty domain table. */
  demoDomains?: string[];
  /**
   * Cookies `Secure` and `__Host-` prefixed, and HSTS. Default 'auto': when the request came over
   * TLS (directly, or as a trusted proxy's X-Forwarded-Proto says); true always; false never.
   */
  secureCookies?: CookieSecurity;
  /** The DNS Check's HTTPS and SMTP probe settings, passed to the plugin as they are (tests aim them at loopback). */
  dnsCheck?: MtaStsOptions['dnsCheck'];
  /** The plugin's language option; without it the browser's Accept-Language decides. */
  locale?: MtaStsOptions['locale'];
  /** The plugin's TLS report options (the IMAP mailbox to fetch from, ...), passed as they are. */
  reports?: MtaStsOptions['reports'];
  /** The scheduled DNS Checks and their alerts, passed to the plugin as they are; the caller starts the scheduler. */
  scheduler?: MtaStsOptions['scheduler'];
  alerts?: MtaStsOptions['alerts'];
}

const ROOT = [join(__dirname, '../../views/server'), join(__dirname, '../../../views/server')].find((dir) => existsSync(join(dir, 'layout.ejs'))) as string;
const BOOTSTRAP = join(require.resolve('bootstrap/package.json'), '..', 'dist');

const templates = new Map<string, ejs.TemplateFunction>();
function view(name: string, data: Record<string, unknown>): string {
  let template = templates.get(name);
  if (!template) {
    const filename = join(ROOT, `${name}.ejs`);
    template = ejs.compile(readFileSync(filename, 'utf8'), { filename, localsName: 'it', strict: true });
    templates.set(name, template);
  }
  return template(data);
}

function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  // Compare digests so that the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface Panel {
  app: express.Express;
  mtaSts: MtaSts;
  accounts: Accounts;
  metrics: Metrics;
  /** True when this start created the account `admin` (print its password). */
  createdAdmin: boolean;
  /** Stops the session store's clean-up timer (the Knex instance is the caller's). */
  close(): void;
}

/** The server's app: a login, a domain list and a domain edit page with the MTA-STS tab. */
/** How long a policy request waits for the database before the last known good answers. */
const POLICY_WAIT_MS = 200;

export async function createPanel(options: PanelOptions): Promise<Panel> {
  const { knex } = options;
  const schema = options.schema ?? presetSchema('default');
  const prefix = options.tablePrefix ?? 'mta_sts_';
  const logger = options.logger ?? consoleLogger;
  const metrics = options.metrics ?? new Metrics();
  const secure = options.secureCookies ?? 'auto';

  // Only the embedded default has tables of its own to create; a panel's are the panel's.
  if (options.embedded !== false) {
    await migrateHost(knex);
    await seedDomains(knex, options.demoDomains ?? ['example.org', 'example.net']);
  }
  const table = schema.domainTable;
  const key = schema.domainColumn;
  const activeColumn = schema.domainActiveColumn;
  const hasDescription = await knex.schema.hasColumn(table, 'description');
  // The plugin's migrations, the server's tables among them (accounts, sessions, secrets).
  // Where the plugin finds the domains and keeps its own tables: the same for the migration and the plugin.
  const storage = {
    knex,
    mailHostname: options.mailHostname,
    domainTable: table,
    domainColumn: key,
    domainActiveColumn: activeColumn,
    ...(schema.aliasDomains ? { aliasDomains: schema.aliasDomains } : {}),
    tablePrefix: prefix,
    logger,
  };
  const resolved = resolveOptions(storage);
  await MtaStsService.fromOptions(resolved).migrate();
  const secrets = `${prefix}server_secrets`;
  const [sessionSecret, loginSecret, tabSecret] = await Promise.all(['session', 'login-csrf', 'tab-csrf'].map((name) => serverSecret(knex, secrets, name)));
  // The public login's queries under the plugin's deadline, the same as its own (503 past it).
  const bounded = new BoundedDb(knex, resolved.database.timeoutMs);
  const accounts = new Accounts(knex, `${prefix}users`, bounded);
  let createdAdmin = false;
  if (options.adminPassword !== undefined && (await accounts.count()) === 0) {
    await accounts.add('admin', options.adminPassword);
    createdAdmin = true;
  }
  const sessions = new Sessions({
    knex,
    table: `${prefix}sessions`,
    secret: sessionSecret,
    secure,
    logger,
    authHeader: options.authHeader ?? null,
  });
  const panelCsrf = createPanelCsrf({ secure, secret: loginSecret, sessionId: (req) => sessions.id(req) });
  const logins = new LoginLimit(knex, `${prefix}login_failures`, Date.now, bounded);

  /** The demo's page chrome in the request's language, with the language switch. */
  const page = (req: Request, res: Response, title: string, content: string) => {
    const lang = demoLanguage(req);
    const user = sessions.user(req);
    // The logout form carries a token too: logging someone out is an action another site must not take.
    return view('layout', { title, content, user, csrfToken: user ? panelCsrf.token(req, res) : null, say: sayer(lang), lang, here: req.originalUrl });
  };

  /** The host row of a domain, whichever form (A-label or U-label) the table and the URL hold. */
  const findDomain = async (name: string): Promise<{ domain: string; description: string; active: boolean } | null> => {
    const forms = [...new Set([name, policy.toALabel(name) ?? name, policy.toULabel(name)])];
    const row = (await knex(table).whereIn(key, forms).first()) as Record<string, unknown> | undefined;
    return row ? hostRow(row) : null;
  };
  /** A row of the panel's domain table, whatever its column names and flag types. */
  const hostRow = (row: Record<string, unknown>) => ({
    domain: cell(row, key),
    description: hasDescription ? cell(row, 'description') : '',
    active: activeColumn === null ? true : flag(row[activeColumn]),
  });

  /** The host's domain edit page, with the plugin's fragment in the "MTA-STS" tab when given. */
  const domainPage = async (req: Request, res: Response, domain: string, tab: 'general' | 'mta-sts', mtaStsContent: string | null) => {
    const row = await findDomain(domain);
    const shown = row?.domain ?? domain;
    const say = sayer(demoLanguage(req));
    const content = view('domain', { domain: shown, row: row ?? null, tab, mtaSts: mtaStsContent, say });
    return page(req, res, say('domain.title', { domain: shown }), content);
  };

  const apiRequests = new WeakSet<Request>();
  /** The API key's identity for the rate limit: a digest, so the key itself is kept nowhere. */
  const apiIdentity = options.apiKey ? `api-key:${createHash('sha256').update(options.apiKey).digest('hex').slice(0, 16)}` : null;
  const validApiKey = (req: Request) => {
    const key = req.get('x-api-key');
    return key !== undefined && options.apiKey !== undefined && options.apiKey !== '' && sameSecret(key, options.apiKey);
  };
  const mtaSts = createMtaSts({
    ...storage,
    observer: metrics.observer(),
    // The policy file answers within 250 ms while the database is cut: an expired snapshot waits
    // this long for its renewal, then the last known good answers (the plugin's default is 1 s).
    cache: { waitMs: POLICY_WAIT_MS },
    adminPath: '/mta-sts',
    dns: options.dnsServers ? { servers: options.dnsServers } : {},
    ...(options.dnsCheck ? { dnsCheck: options.dnsCheck } : {}),
    ...(options.reports ? { reports: options.reports } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.alerts ? { alerts: options.alerts } : {}),
    // The language switch's choice, else (null) the browser's Accept-Language, as for the demo's own pages.
    locale: options.locale ?? ((req) => chosenLanguage(req)),
    // After a save, back to the demo's own domain page (the plugin redirects there, 303).
    tabUrl: (domain) => `/domains/${encodeURIComponent(domain)}?tab=mta-sts`,
    loginUrl: '/login',
    // The secret is kept in the database: a tab opened before a restart can still be saved after it.
    csrf: { secret: tabSecret, sessionId: (req) => sessions.id(req), secureCookie: secure },
    authorize(req) {
      // The API takes its key and nothing else, so a browser's login cookie cannot drive it (no CSRF).
      // Marked by the mount itself: routing ignores case, so `/API/v1/...` must not fall through to the cookie.
      if (apiRequests.has(req)) {
        if (req.get('x-api-key') === undefined) return 'unauthenticated';
        return validApiKey(req);
      }
      // Every account of the server is an administrator of every domain.
      return sessions.user(req) !== null ? true : 'unauthenticated';
    },
    // Who the DNS Check limit counts: the API key for API requests, else the logged-in user. Never
    // a cookie value as such: a client sending a new cookie each time must stay one client.
    principal(req) {
      if (apiRequests.has(req)) return validApiKey(req) ? apiIdentity : null;
      return sessions.user(req);
    },
    layout: ({ req, res, domain, title, content }) => (domain ? domainPage(req, res, domain, 'mta-sts', content) : page(req, res, title, content)),
  });

  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For/-Proto believed only from the configured proxies (req.ip, req.secure).
  app.set('trust proxy', options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false);
  if (options.requestLogger) app.use(options.requestLogger);
  app.use(hsts(secure));
  app.use(metrics.countPolicyResponses);
  // The policy file first: the stale static file in public/ must never be served again.
  app.use(mtaSts.wellKnown);
  app.get('/healthz', healthHandler(knex, `${prefix}sessions`, metrics));
  if (options.metricsOnApi) {
    app.get('/metrics', (req, res, next) => {
      if (!validApiKey(req)) return res.status(req.get('x-api-key') === undefined ? 401 : 403).json({ error: 'an X-API-Key is required for /metrics' });
      metrics.registry
        .metrics()
        .then((text) => res.type(metrics.registry.contentType).send(text))
        .catch(next);
    });
  }
  app.use(express.static(join(ROOT, 'public'), { dotfiles: 'allow' }));
  app.use('/assets/bootstrap', express.static(BOOTSTRAP));
  app.use(pageHeaders);
  app.use(sessions.middleware);
  // A removed account's sessions end at their next request.
  app.use((req, _res, next) => {
    const user = req.session?.user;
    if (!user) return next();
    accounts.exists(user).then(
      (exists) => (exists ? next() : req.session.destroy(() => next())),
      (err: unknown) => next(err),
    );
  });
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));

  const loginPage = (req: Request, res: Response, status: number, error: string | null) =>
    res.status(status).send(page(req, res, 'Log in', view('login', { error, csrfToken: panelCsrf.token(req, res) })));

  app.get('/login', (req, res) => {
    loginPage(req, res, 200, null);
  });
  app.post('/login', ...panelCsrf.protect, async (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof username === 'string' ? username.slice(0, 200) : '';
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    // Checked before the password: once blocked, not even the right password gets in, so guessing stops.
    const refusal = await logins.refusal(address, name);
    if (refusal) {
      metrics.login('blocked');
      res.setHeader('Retry-After', String(refusal.retryAfter));
      return loginPage(req, res, 429, refusal.message);
    }
    const user = await accounts.verify(name, password);
    if (user !== null) {
      await logins.succeeded(address, name);
      metrics.login('ok');
      await sessions.start(req, user);
      const next = typeof req.query.next === 'string' && /^\/[a-z]/.test(req.query.next) ? req.query.next : '/domains';
      return res.redirect(303, next);
    }
    await logins.failed(address, name);
    metrics.login('failed');
    loginPage(req, res, 401, 'Wrong username or password.');
  });
  app.post('/logout', ...panelCsrf.protect, async (req, res) => {
    await sessions.end(req, res);
    res.redirect(303, '/login');
  });

  const requireLogin = (req: Request, res: Response, next: () => void) => {
    if (sessions.user(req)) return next();
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
  };
  app.get('/', (_req, res) => res.redirect(303, '/domains'));
  /** The domain list, as mailcow's: each domain's MTA-STS state, and a DNS Check button per row. */
  const domainList = async (req: Request, res: Response, checked: { domain: string; result: DnsCheckResult | null; refused: string | null } | null) => {
    const say = sayer(demoLanguage(req));
    const rows = (await knex(table).select('*').orderBy(key)) as Array<Record<string, unknown>>;
    const domains = rows.map((stored) => {
      const row = hostRow(stored);
      const state = !flag(stored.mta_sts_active) ? 'off' : !row.active ? 'hostInactive' : cell(stored, 'mta_sts_mode');
      const aLabel = policy.toALabel(row.domain) ?? row.domain;
      const check = checked && checked.domain === aLabel ? checked.result : undefined;
      const counts = { ok: 0, warning: 0, error: 0, info: 0 };
      for (const c of check?.checks ?? []) counts[c.status] += 1;
      return {
        ...row,
        state: say(`state.${state}` as Parameters<typeof say>[0]),
        stateKind: state,
        check: check === undefined ? null : check === null ? (checked?.refused ?? say('check.failed')) : say('check.summary', counts),
        checkProblems: counts.error + counts.warning,
      };
    });
    return page(req, res, say('domains.title'), view('domains', { domains, say, csrfToken: panelCsrf.token(req, res) }));
  };
  app.get('/domains', requireLogin, async (req, res) => {
    res.send(await domainList(req, res, null));
  });
  // The list's "DNS Check" button: a POST with the form token, limited as the tab's (./domain-check.ts),
  // answered with the list and that domain's result summary.
  app.post('/domains/:domain/dns-check', requireLogin, ...panelCsrf.protect, async (req, res, next) => {
    const row = await findDomain(String(req.params.domain));
    if (!row) return next();
    const domain = policy.toALabel(row.domain) ?? row.domain;
    const { status, ...checked } = await listCheck(mtaSts, req, res, domain, demoLanguage(req));
    res.status(status).send(await domainList(req, res, { domain, ...checked }));
  });
  app.post('/language', (req, res) => {
    const { lang, next } = (req.body ?? {}) as Record<string, unknown>;
    const locale = typeof lang === 'string' ? (lang === 'de' ? 'de' : lang === 'en' ? 'en' : null) : null;
    if (locale) setLanguage(res, locale, overTls(req, secure));
    // Back where the switch was pressed: a path on this site only.
    const back = typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/domains';
    res.redirect(303, back);
  });
  app.get('/domains/:domain', requireLogin, async (req, res, next) => {
    const record = await findDomain(String(req.params.domain));
    if (!record) return next();
    const tab = req.query.tab === 'mta-sts' ? 'mta-sts' : 'general';
    const fragment = tab === 'mta-sts' ? await mtaSts.renderTab(req, res, record.domain) : null;
    res.send(await domainPage(req, res, record.domain, tab, fragment));
  });

  app.use('/mta-sts', mtaSts.admin);
  app.use(
    API_PATH,
    (req, _res, next) => {
      apiRequests.add(req);
      next();
    },
    mtaSts.api,
  );
  // The public TLS report intake (before the 404), at the path of reports.intakeUrl.
  app.use(mtaSts.mounts.find((m) => m.export === 'tlsrpt')?.path ?? '/tlsrpt/v1', mtaSts.tlsrpt);
  app.use((req, res) => {
    res.status(404).send(page(req, res, 'Not found', '<p>There is no such page.</p>'));
  });
  app.use(outageHandler({ logger, page, jsonPaths: mtaSts.mounts.filter((m) => m.export === 'api' || m.export === 'tlsrpt').map((m) => m.path) }));
  app.use((err: unknown, req: Request, res: Response, _next: () => void) => {
    if ((err as { code?: string } | null)?.code === 'EBADCSRFTOKEN') {
      // The login or logout form without a valid token: another site's form, or an old page.
      return res
        .status(403)
        .send(
          page(
            req,
            res,
            'Form expired',
            '<p>The form has expired or did not come from this panel. <a href="/login">Reload the login page</a> and try again.</p>',
          ),
        );
    }
    logger.error(`${req.method} ${req.path} failed`, err);
    const status = (err as { status?: number }).status ?? 500;
    res.status(status).send(page(req, res, 'Error', `<p>${status === 500 ? 'Something went wrong.' : 'The request was refused.'}</p>`));
  });
  return { app, mtaSts, accounts, metrics, createdAdmin, close: () => sessions.close() };
}

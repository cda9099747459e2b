import { timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import express, { Request, Response } from 'express';
import type { Knex } from 'knex';
import { API_PATH, MtaSts, MtaStsOptions, createMtaSts } from '../src';
import { migrateHost, seedDomains } from './host-schema';
import { Sessions } from './sessions';

export interface PanelOptions {
  knex: Knex;
  mailHostname: string;
  adminPassword: string;
  /** Without one, the JSON API is closed. */
  apiKey?: string;
  dnsServers?: string[];
  /** Domains seeded into an empty domain table. */
  demoDomains?: string[];
  /** Cookies with `Secure` (behind HTTPS). Default false: the demo runs on plain HTTP. */
  secureCookies?: boolean;
  /** The DNS Check's HTTPS and SMTP probe settings, passed to the plugin as they are (tests aim them at loopback). */
  dnsCheck?: MtaStsOptions['dnsCheck'];
  /** The plugin's language option; without it the browser's Accept-Language decides. */
  locale?: MtaStsOptions['locale'];
}

const ROOT = [join(__dirname), join(__dirname, '../../demo')].find((dir) => existsSync(join(dir, 'views', 'layout.ejs'))) as string;
const BOOTSTRAP = join(require.resolve('bootstrap/package.json'), '..', 'dist');

const templates = new Map<string, ejs.TemplateFunction>();
function view(name: string, data: Record<string, unknown>): string {
  let template = templates.get(name);
  if (!template) {
    const filename = join(ROOT, 'views', `${name}.ejs`);
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

/** The demo host panel: a login, a domain list and a domain edit page with the MTA-STS tab. */
export async function createPanel(options: PanelOptions): Promise<{ app: express.Express; mtaSts: MtaSts }> {
  const { knex } = options;
  const sessions = new Sessions(options.secureCookies ?? false);

  await migrateHost(knex);
  await seedDomains(knex, options.demoDomains ?? ['example.org', 'example.net']);

  const page = (req: Request, title: string, content: string) =>
    view('layout', { title, content, user: sessions.user(req) });

  /** The host's domain edit page, with the plugin's fragment in the "MTA-STS" tab when given. */
  const domainPage = async (req: Request, domain: string, tab: 'general' | 'mta-sts', mtaStsContent: string | null) => {
    const row = (await knex('domain').where('domain', domain).first()) as Record<string, unknown> | undefined;
    const content = view('domain', { domain, row: row ?? null, tab, mtaSts: mtaStsContent });
    return page(req, `Edit domain ${domain}`, content);
  };

  const apiRequests = new WeakSet<Request>();
  const mtaSts = createMtaSts({
    knex,
    mailHostname: options.mailHostname,
    aliasDomains: { table: 'alias_domain', aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
    adminPath: '/mta-sts',
    dns: options.dnsServers ? { servers: options.dnsServers } : {},
    ...(options.dnsCheck ? { dnsCheck: options.dnsCheck } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
    csrf: { sessionId: (req) => sessions.id(req), secureCookie: options.secureCookies ?? false },
    authorize(req) {
      // The API takes its key and nothing else, so a browser's login cookie cannot drive it (no CSRF).
      // Marked by the mount itself: routing ignores case, so `/API/v1/...` must not fall through to the cookie.
      if (apiRequests.has(req)) {
        const key = req.get('x-api-key');
        if (key === undefined) return 'unauthenticated';
        return options.apiKey !== undefined && options.apiKey !== '' && sameSecret(key, options.apiKey);
      }
      return sessions.user(req) === 'admin' ? true : 'unauthenticated';
    },
    layout: ({ req, domain, title, content }) =>
      domain ? domainPage(req, domain, 'mta-sts', content) : page(req, title, content),
  });
  await mtaSts.migrate();

  const app = express();
  app.disable('x-powered-by');
  // The policy file first: the stale static file in public/ must never be served again.
  app.use(mtaSts.wellKnown);
  app.use(express.static(join(ROOT, 'public'), { dotfiles: 'allow' }));
  app.use('/assets/bootstrap', express.static(BOOTSTRAP));
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));

  app.get('/login', (req, res) => {
    res.send(page(req, 'Log in', view('login', { error: null })));
  });
  app.post('/login', (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (username === 'admin' && sameSecret(password, options.adminPassword)) {
      sessions.start(res, 'admin');
      const next = typeof req.query.next === 'string' && /^\/[a-z]/.test(req.query.next) ? req.query.next : '/domains';
      return res.redirect(303, next);
    }
    res.status(401).send(page(req, 'Log in', view('login', { error: 'Wrong username or password.' })));
  });
  app.post('/logout', (req, res) => {
    sessions.end(req, res);
    res.redirect(303, '/login');
  });

  const requireLogin = (req: Request, res: Response, next: () => void) => {
    if (sessions.user(req)) return next();
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
  };
  app.get('/', (_req, res) => res.redirect(303, '/domains'));
  app.get('/domains', requireLogin, async (req, res) => {
    const domains = await knex('domain').select('domain', 'description', 'active').orderBy('domain');
    res.send(page(req, 'Domains', view('domains', { domains })));
  });
  app.get('/domains/:domain', requireLogin, async (req, res, next) => {
    const record = (await knex('domain').where('domain', req.params.domain).first()) as { domain: string } | undefined;
    if (!record) return next();
    const tab = req.query.tab === 'mta-sts' ? 'mta-sts' : 'general';
    const fragment = tab === 'mta-sts' ? await mtaSts.renderTab(req, res, record.domain) : null;
    res.send(await domainPage(req, record.domain, tab, fragment));
  });

  app.use('/mta-sts', mtaSts.admin);
  app.use(API_PATH, (req, _res, next) => {
    apiRequests.add(req);
    next();
  }, mtaSts.api);
  app.use((req, res) => {
    res.status(404).send(page(req, 'Not found', '<p>There is no such page.</p>'));
  });
  app.use((err: unknown, req: Request, res: Response, _next: () => void) => {
    console.error('[panel]', err);
    const status = (err as { status?: number }).status ?? 500;
    res.status(status).send(page(req, 'Error', `<p>${status === 500 ? 'Something went wrong.' : 'The request was refused.'}</p>`));
  });
  return { app, mtaSts };
}

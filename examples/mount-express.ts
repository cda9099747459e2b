// A complete host panel mounting mta-sts-plugin: Express, Knex on a SQLite file with the panel's
// own domain table, its login (HTTP Basic, to stay short), the plugin's hooks, and the tab inside
// the panel's domain page. Settings come from the environment:
//   PORT (3000), DATABASE_FILE (panel.sqlite), MAIL_HOSTNAME (mail.example.org),
//   ADMIN_PASSWORD (user `admin`, every domain), OWNER_PASSWORD (user `owner`, example.net only),
//   MTA_STS_API_KEY (the JSON API's key), CSRF_SECRET (32+ characters; random per start without).
// Compile with `tsc` (strict) and run with node; examples/mount-express.mjs is the same in JavaScript.
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import createKnex from 'knex';
import { API_PATH, HttpError, TLSRPT_PATH, createMtaSts } from 'mta-sts-plugin';

interface PanelUser {
  name: string;
  isAdmin: boolean;
  domains: string[];
}

const PORT = Number(process.env.PORT ?? 3000);
const API_KEY = Buffer.from(process.env.MTA_STS_API_KEY ?? '');
// A user without a password in the environment cannot log in.
const PASSWORDS: Record<string, string | undefined> = { admin: process.env.ADMIN_PASSWORD, owner: process.env.OWNER_PASSWORD };
const USERS: Record<string, PanelUser> = {
  admin: { name: 'admin', isAdmin: true, domains: [] },
  owner: { name: 'owner', isAdmin: false, domains: ['example.net'] },
};

/** Compares in constant time, so that a wrong guess takes as long as a nearly right one. */
function same(given: string | Buffer, expected: string | Buffer): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return b.length > 0 && a.length === b.length && timingSafeEqual(a, b);
}

/** The panel's login check: the user named by the request's Basic credentials, or null. */
function userOf(req: Request): PanelUser | null {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = decoded.slice(0, colon);
  const password = PASSWORDS[name];
  return colon > 0 && password !== undefined && Object.hasOwn(USERS, name) && same(decoded.slice(colon + 1), password) ? USERS[name] : null;
}

/** The panel's pages ask the browser for a login when there is none. */
function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (userOf(req)) return next();
  res.status(401).set('WWW-Authenticate', 'Basic realm="panel"').send('Log in to the panel.');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The panel's layout; `content` is HTML already. */
function page(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body class="container py-3"><nav><a href="/">Domains</a></nav><main>${content}</main></body></html>`;
}

async function main(): Promise<void> {
  const knex = createKnex({ client: 'better-sqlite3', connection: { filename: process.env.DATABASE_FILE ?? 'panel.sqlite' }, useNullAsDefault: true });

  // The panel's own domain table; a real panel has it already.
  if (!(await knex.schema.hasTable('domain'))) {
    await knex.schema.createTable('domain', (t) => {
      t.string('domain').primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex('domain').insert([{ domain: 'example.org' }, { domain: 'example.net' }]);
  }

  /** The JSON API is authorized by its key only, never by the login (no CSRF on the API). */
  const isApiRequest = (req: Request): boolean => req.baseUrl === API_PATH;

  const mtaSts = createMtaSts({
    knex, // the panel's Knex instance (mysql2, pg or better-sqlite3)
    mailHostname: process.env.MAIL_HOSTNAME ?? 'mail.example.org', // what mta-sts.<domain> must CNAME to
    authorize: (req, { domain }) => {
      if (isApiRequest(req)) return same(req.get('x-api-key') ?? '', API_KEY) ? true : 'unauthenticated';
      const user = userOf(req);
      if (!user) return 'unauthenticated';
      // A domain's owner manages that domain only; lists are filtered the same way.
      return user.isAdmin || (domain !== null && user.domains.includes(domain));
    },
    principal: (req) => (isApiRequest(req) ? 'api-key' : (userOf(req)?.name ?? null)),
    tabUrl: (d) => `/domains/${encodeURIComponent(d)}?tab=mta-sts`, // where a save returns to
    csrf: { secret: process.env.CSRF_SECRET, secureCookie: 'auto' }, // 'auto': a Secure cookie over HTTPS
    layout: ({ title, content }) => page(title, content),
  });
  await mtaSts.migrate(); // adds the policy columns and the plugin's tables

  const app = express();
  app.use(mtaSts.wellKnown); // FIRST: before static files and sessions
  app.use(express.static('htdocs')); // also answers certbot's /.well-known/acme-challenge/ (webroot)
  app.use('/mta-sts', requireLogin, mtaSts.admin); // the tab's form posts (options.adminPath)
  app.use(API_PATH, mtaSts.api); // /api/v1/mta-sts, authorized by the key above
  app.use('/api/v1/openapi.json', mtaSts.openapi); // the API's OpenAPI 3.1 document, public
  app.use(TLSRPT_PATH, mtaSts.tlsrpt); // /tlsrpt/v1: public TLS report intake

  app.get('/', requireLogin, async (req, res) => {
    const user = userOf(req);
    const names = await knex<{ domain: string }>('domain').orderBy('domain').pluck('domain');
    const mine = names.filter((d) => user?.isAdmin || user?.domains.includes(d));
    const items = mine.map((d) => `<li><a href="/domains/${encodeURIComponent(d)}">${escapeHtml(d)}</a></li>`);
    res.send(page('Domains', `<h1>Domains</h1><ul>${items.join('')}</ul>`));
  });

  // The panel's domain edit page, with the MTA-STS tab as a fragment in it.
  app.get('/domains/:domain', requireLogin, async (req, res) => {
    const domain = String(req.params.domain);
    const tabHtml = await mtaSts.renderTab(req, res, domain);
    res.send(page(domain, `<h1>${escapeHtml(domain)}</h1>${tabHtml}`));
  });

  // renderTab throws an HttpError: 401/403/404, 503 while the database is away.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpError) {
      res.status(err.status).send(page('Error', `<p>${escapeHtml(err.message)}</p>`));
    } else {
      console.error(err);
      res.status(500).send(page('Error', '<p>Something went wrong.</p>'));
    }
  });

  const server = app.listen(PORT, () => console.log(`Panel: http://localhost:${PORT}/`));
  process.once('SIGTERM', () => server.close(() => void knex.destroy()));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

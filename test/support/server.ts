// A small host app with the plugin mounted exactly as plugin.json says, for the web tests.
// In the style of expressjs/session's tests: every test builds the server it needs with
// `createServer(options)`, and faults are injected by overriding one thing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { LOOPBACK_ONLY } from './loopback';
import { Server, createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { API_PATH, AuthorizeResult, AuthorizeTarget, MtaSts, MtaStsOptions, createMtaSts } from '../../src';
import { COLUMNS } from '../../src/store/columns';
import { DbKind, TestDb, createHostTables, createTestDb } from './db';

/** What `authorize` answers: allow (true), deny (false), 'unauthenticated', a function of its own, or 'missing' (no hook passed). */
export type AuthMode =
  'allow' | 'deny' | 'unauthenticated' | 'missing' | ((req: Request, target: AuthorizeTarget) => AuthorizeResult | Promise<AuthorizeResult>);

export const MAIL_HOSTNAME = 'mail.example.net';

/** The old hand-written policy file a host left in its web root before installing the plugin. */
export const STALE_POLICY = 'version: STSv1\nmode: enforce\nmx: stale-mx.example.invalid\nmax_age: 31557600\n';
export const STALE_MARKER = 'stale-mx.example.invalid';

export interface HostDomain {
  domain: string;
  active?: boolean;
  description?: string;
}

export interface HostAlias {
  alias: string;
  target: string;
  active?: boolean;
}

/** The standard host rows: two active domains, an inactive one and a U-label one, plus aliases. */
export const DEFAULT_DOMAINS: HostDomain[] = [
  { domain: 'example.org' },
  { domain: 'example.com' },
  { domain: 'inactive.example', active: false },
  { domain: 'bücher.example' },
];
export const DEFAULT_ALIASES: HostAlias[] = [
  { alias: 'alias.example', target: 'example.org' },
  { alias: 'off-alias.example', target: 'example.org', active: false },
];

export interface ServerOptions {
  /** Default 'sqlite'. */
  db?: DbKind;
  domains?: HostDomain[];
  aliases?: HostAlias[];
  /** The initial answer of the hook; switch later with `server.authorize = ...`. 'missing' is fixed at creation. */
  authorize?: AuthMode;
  /** The host parses form bodies itself, before the plugin's routers (with a far higher field limit). */
  hostBodyParser?: boolean;
  /** Any other plugin option, passed as is (layout, adminPath, cache, now, csrf...). */
  plugin?: Partial<MtaStsOptions>;
}

export interface PolicyColumns {
  active?: boolean;
  version?: string;
  mode?: string;
  maxAge?: number;
  mx?: string[] | string;
  id?: string | null;
  updatedAt?: string | null;
  revision?: number;
}

export interface Csrf {
  token: string;
  /** `name=value` of the CSRF cookie, ready for a Cookie header. */
  cookie: string;
}

export interface TestServer {
  readonly http: Server;
  /** The options the plugin was created with (e.g. for a second instance over the same tables). */
  readonly options: MtaStsOptions;
  readonly app: express.Express;
  readonly mtaSts: MtaSts;
  readonly db: TestDb;
  readonly adminPath: string;
  /** The host's web root, holding a stale `.well-known/mta-sts.txt`. */
  readonly webRoot: string;
  authorize: AuthMode;
  /** How often the hook was called. */
  authorizeCalls: number;
  /** Errors that reached the host's own error handler (e.g. renderTab rejecting). */
  readonly hostErrors: unknown[];
  /** supertest bound to this server. */
  request(): ReturnType<typeof request>;
  /** GET (or another method) of the policy path with a Host header. */
  policy(host: string, method?: 'get' | 'head' | 'post' | 'put' | 'delete'): request.Test;
  /** GETs the tab page (authorization must allow it) and returns its CSRF token, cookie and HTML. */
  csrf(domain: string): Promise<Csrf & { html: string }>;
  /**
   * POSTs the tab form like a browser: every field as shown on the page, overridden by `fields`;
   * like a browser, it follows the 303 after a successful save (POST/redirect/GET) to the page shown.
   */
  submitTab(domain: string, fields?: Record<string, string | undefined>): Promise<request.Response>;
  /** POSTs a form with exactly these fields, a CSRF token/cookie when given. */
  postForm(domain: string, fields: Record<string, string>, csrf?: Csrf | null): request.Test;
  /**
   * Presses the tab's "DNS Check" button: a POST with the CSRF token of `csrf` (default: of the
   * domain's own tab, fetched with the same headers). `headers` go on both requests.
   */
  dnsCheckTab(domain: string, headers?: Record<string, string>, csrf?: Csrf | null): Promise<request.Response>;
  /** PUT to the API as JSON. */
  put(domain: string, body: unknown): request.Test;
  /** The host row of a domain, as stored. */
  row(domain: string): Promise<Record<string, any>>;
  /** Writes the plugin's columns directly, as another instance or an earlier save would have. */
  setPolicy(domain: string, policy: PolicyColumns): Promise<void>;
  close(): Promise<void>;
}

export async function createServer(options: ServerOptions = {}): Promise<TestServer> {
  const db = await createTestDb(options.db ?? 'sqlite');
  const webRoot = mkdtempSync(join(tmpdir(), 'mta-sts-webroot-'));
  let http: Server | null = null;
  try {
    await createHostTables(db, options.domains ?? DEFAULT_DOMAINS);
    const aliases = options.aliases ?? DEFAULT_ALIASES;
    if (aliases.length > 0) {
      await db.knex(db.aliasTable).insert(aliases.map((a) => ({ alias_domain: a.alias, target_domain: a.target, active: a.active ?? true })));
    }
    mkdirSync(join(webRoot, '.well-known'));
    writeFileSync(join(webRoot, '.well-known', 'mta-sts.txt'), STALE_POLICY);
    writeFileSync(join(webRoot, 'index.html'), '<p>host home page</p>');

    const state = { authorize: options.authorize ?? 'allow', calls: 0 };
    const hook = (req: Request, target: AuthorizeTarget): AuthorizeResult | Promise<AuthorizeResult> => {
      state.calls += 1;
      const mode = state.authorize;
      if (typeof mode === 'function') return mode(req, target);
      if (mode === 'allow') return true;
      if (mode === 'unauthenticated') return 'unauthenticated';
      return false;
    };
    const pluginOptions: MtaStsOptions = {
      knex: db.knex,
      mailHostname: MAIL_HOSTNAME,
      domainTable: db.domainTable,
      aliasDomains: { table: db.aliasTable, aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
      migrationsTable: db.migrationsTable,
      tablePrefix: db.tablePrefix,
      csrf: { secret: 'test-secret-0123456789-0123456789-0123456789' },
      // Never the machine's resolver: the tab looks MX hosts up, and tests stay on loopback. A
      // test that brings its own resolver object gets no `dns` (the two exclude each other).
      ...(options.plugin?.resolver ? { dnsCheck: LOOPBACK_ONLY.dnsCheck } : LOOPBACK_ONLY),
      ...(state.authorize === 'missing' ? {} : { authorize: hook }),
      ...options.plugin,
    };
    const mtaSts = createMtaSts(pluginOptions);
    await mtaSts.migrate();
    const adminPath = mtaSts.mounts.find((m) => m.export === 'admin')?.path ?? '/mta-sts';

    // The host, mounted as plugin.json says: the policy file first, then the host's static files,
    // then the admin pages and the API.
    const hostErrors: unknown[] = [];
    const app = express();
    app.disable('x-powered-by');
    app.use(mtaSts.wellKnown);
    app.use(express.static(webRoot, { dotfiles: 'allow' }));
    // The host's domain edit page, embedding the tab through the hook.
    app.get('/host/domains/:domain', async (req: Request, res: Response) => {
      const fragment = await mtaSts.renderTab(req, res, String(req.params.domain));
      res.type('html').send(`<!doctype html><title>Host</title><main id="host-domain-page">${fragment}</main>`);
    });
    if (options.hostBodyParser) app.use(express.urlencoded({ extended: true, limit: '1mb', parameterLimit: 100_000 }));
    app.use(adminPath, mtaSts.admin);
    app.use(API_PATH, mtaSts.api);
    app.use(mtaSts.mounts.find((m) => m.export === 'openapi')?.path ?? '/api/v1/openapi.json', mtaSts.openapi);
    app.use(mtaSts.mounts.find((m) => m.export === 'tlsrpt')?.path ?? '/tlsrpt/v1', mtaSts.tlsrpt);
    app.use((_req: Request, res: Response) => {
      res.status(404).type('text').send('host 404');
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      hostErrors.push(err);
      const status = (err as { status?: number } | null)?.status;
      res
        .status(typeof status === 'number' ? status : 500)
        .type('text')
        .send('host error');
    });

    http = createHttpServer(app);
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(0, '127.0.0.1', () => resolve());
    });
    const server = http;

    const self: TestServer = {
      http: server,
      options: pluginOptions,
      app,
      mtaSts,
      db,
      adminPath,
      webRoot,
      hostErrors,
      get authorize() {
        return state.authorize;
      },
      set authorize(mode: AuthMode) {
        if (mode === 'missing' || state.authorize === 'missing') throw new Error('authorize "missing" is fixed when the server is created');
        state.authorize = mode;
      },
      get authorizeCalls() {
        return state.calls;
      },
      set authorizeCalls(n: number) {
        state.calls = n;
      },
      request: () => request(server),
      policy: (host, method = 'get') => request(server)[method]('/.well-known/mta-sts.txt').set('Host', host),
      async csrf(domain) {
        const res = await request(server).get(`${adminPath}/${encodeURIComponent(domain)}`);
        if (res.status !== 200) throw new Error(`GET tab of ${domain}: ${res.status}`);
        return { ...csrfFrom(res), html: res.text };
      },
      async submitTab(domain, fields = {}) {
        const page = await self.csrf(domain);
        const form = { ...formValues(page.html), ...fields };
        const body: Record<string, string> = {};
        for (const [name, value] of Object.entries(form)) if (value !== undefined) body[name] = value;
        return self.postForm(domain, body, page).redirects(1);
      },
      postForm(domain, fields, csrf) {
        const test = request(server)
          .post(`${adminPath}/${encodeURIComponent(domain)}`)
          .type('form');
        if (csrf) test.set('Cookie', csrf.cookie);
        const body = csrf && fields._csrf === undefined ? { ...fields, _csrf: csrf.token } : fields;
        return test.send(body);
      },
      async dnsCheckTab(domain, headers = {}, csrf) {
        let token = csrf;
        if (token === undefined) {
          const page = await request(server)
            .get(`${adminPath}/${encodeURIComponent(domain)}`)
            .set(headers);
          if (page.status !== 200) throw new Error(`GET tab of ${domain}: ${page.status}`);
          token = csrfFrom(page);
        }
        const test = request(server)
          .post(`${adminPath}/${encodeURIComponent(domain)}/dns-check`)
          .type('form')
          .set(headers);
        if (token) test.set('Cookie', token.cookie);
        return test.send(token ? { _csrf: token.token } : {});
      },
      put: (domain, body) => {
        const test = request(server).put(`${API_PATH}/${encodeURIComponent(domain)}`);
        return typeof body === 'string' ? test.type('json').send(body) : test.send(body as object);
      },
      async row(domain) {
        const row = await db.knex(db.domainTable).where('domain', domain).first();
        if (!row) throw new Error(`no host row ${domain}`);
        return row;
      },
      async setPolicy(domain, policy) {
        const update: Record<string, unknown> = {};
        if (policy.active !== undefined) update[COLUMNS.active] = policy.active;
        if (policy.version !== undefined) update[COLUMNS.version] = policy.version;
        if (policy.mode !== undefined) update[COLUMNS.mode] = policy.mode;
        if (policy.maxAge !== undefined) update[COLUMNS.maxAge] = policy.maxAge;
        if (policy.mx !== undefined) update[COLUMNS.mx] = Array.isArray(policy.mx) ? policy.mx.join(',') : policy.mx;
        if (policy.id !== undefined) update[COLUMNS.id] = policy.id;
        if (policy.updatedAt !== undefined) update[COLUMNS.updatedAt] = policy.updatedAt;
        if (policy.revision !== undefined) update[COLUMNS.revision] = policy.revision;
        const count = await db.knex(db.domainTable).where('domain', domain).update(update);
        if (count !== 1) throw new Error(`setPolicy: no host row ${domain}`);
      },
      async close() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await db.destroy();
        rmSync(webRoot, { recursive: true, force: true });
      },
    };
    return self;
  } catch (err) {
    if (http) http.close();
    await db.destroy().catch(() => undefined);
    rmSync(webRoot, { recursive: true, force: true });
    throw err;
  }
}

/** The CSRF token of a page's form and the cookie set with it. */
export function csrfFrom(res: { text: string; headers: Record<string, any> }): Csrf {
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
  if (!token) throw new Error('the page has no _csrf field');
  const cookies: string[] = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = cookies.map((c) => c.split(';')[0]).find((c) => /^(__Host-)?mta-sts\.csrf=/.test(c));
  if (!cookie) throw new Error('the response set no CSRF cookie');
  return { token: decodeEntities(token), cookie };
}

// ---- Reading HTML the way a person (or a screen reader) meets it, without a DOM library ----

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'", nbsp: '\u00a0' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+[0-9]*);/gi, (whole, name: string) => {
    if (ENTITIES[name] !== undefined) return ENTITIES[name];
    if (/^#x/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (/^#/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    return whole;
  });
}

/** Visible text: tags removed, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  // The labels of a record name (inline blocks joined by <wbr>) read as one word, as on screen.
  const joined = html.replace(/<span class="d-inline-block" data-label>([^<]*)<\/span>(?:<wbr>)?/g, '$1');
  return decodeEntities(joined.replace(/<script[\s\S]*?<\/script>/gi, ' ').replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** The opening tag of the element with this id, or null. */
export function openingTag(html: string, id: string): { name: string; tag: string; index: number } | null {
  const re = /<([a-z][a-z0-9]*)\b[^>]*>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (attr(m[0], 'id') === id) return { name: m[1].toLowerCase(), tag: m[0], index: m.index };
  }
  return null;
}

/** An attribute of an opening tag, decoded; null when absent; '' for a bare boolean attribute. */
export function attr(tag: string, name: string): string | null {
  const re = new RegExp(`\\s${name}(?:\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+)))?(?=[\\s/>])`, 'i');
  const m = re.exec(tag);
  if (!m) return null;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
}

/** The inner HTML of the element with this id (up to its first matching close tag). */
export function innerHtml(html: string, id: string): string | null {
  const open = openingTag(html, id);
  if (!open) return null;
  const start = open.index + open.tag.length;
  const end = html.indexOf(`</${open.name}>`, start);
  return end === -1 ? null : html.slice(start, end);
}

/** The id of the control a `<label>` with exactly this text points to, or null. */
export function controlIdForLabel(html: string, label: string): string | null {
  const re = /<label\b([^>]*)>([\s\S]*?)<\/label>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (textOf(m[2]) === label) return attr(`<label${m[1]}>`, 'for');
  }
  return null;
}

/** The control a label names: its tag name and opening tag. Fails the lookup loudly. */
export function controlByLabel(html: string, label: string): { id: string; name: string; tag: string } {
  const id = controlIdForLabel(html, label);
  if (!id) throw new Error(`no <label> "${label}" with a for attribute`);
  const open = openingTag(html, id);
  if (!open) throw new Error(`label "${label}" points to #${id}, which does not exist`);
  return { id, name: open.name, tag: open.tag };
}

/** The current value of a text input or select (its selected option), as a browser would submit it. */
export function controlValue(html: string, id: string): string | null {
  const open = openingTag(html, id);
  if (!open) return null;
  if (open.name === 'select') {
    const inner = innerHtml(html, id) ?? '';
    const options = [...inner.matchAll(/<option\b[^>]*>/gi)].map((m) => m[0]);
    const selected = options.find((o) => attr(o, 'selected') !== null) ?? options[0];
    return selected ? attr(selected, 'value') : null;
  }
  if (open.name === 'textarea') return decodeEntities(innerHtml(html, id) ?? '');
  return attr(open.tag, 'value') ?? '';
}

/** The texts of the elements an element's aria-describedby points to. */
export function descriptions(html: string, id: string): string[] {
  const open = openingTag(html, id);
  if (!open) throw new Error(`no element #${id}`);
  const ids = (attr(open.tag, 'aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  return ids.map((ref) => {
    const inner = innerHtml(html, ref);
    if (inner === null) throw new Error(`#${id} is described by #${ref}, which does not exist`);
    return textOf(inner);
  });
}

/** Every named field of the MTA-STS form (the one with a CSRF field), as a browser would submit it (unchecked boxes left out). */
export function formValues(html: string): Record<string, string> {
  const forms = [...html.matchAll(/<form\b[\s\S]*?<\/form>/gi)].map((m) => m[0]);
  const form = forms.find((f) => /name="_csrf"/.test(f)) ?? forms[0];
  if (!form) throw new Error('no <form> on the page');
  const values: Record<string, string> = {};
  for (const m of form.matchAll(/<(input|select|textarea)\b[^>]*>/gi)) {
    const tag = m[0];
    const name = attr(tag, 'name');
    if (!name) continue;
    const type = (attr(tag, 'type') ?? 'text').toLowerCase();
    if (m[1].toLowerCase() === 'input' && (type === 'checkbox' || type === 'radio')) {
      if (attr(tag, 'checked') !== null) values[name] = attr(tag, 'value') ?? 'on';
      continue;
    }
    const id = attr(tag, 'id');
    values[name] = id ? (controlValue(form, id) ?? '') : (attr(tag, 'value') ?? '');
  }
  return values;
}

/** Rows of every table on the page, as lists of cell texts. */
export function tableRows(html: string): string[][] {
  return [...html.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)].map((row) =>
    [...row[1].matchAll(/<t[dh]\b[^>]*>([\s\S]*?)<\/t[dh]>/gi)].map((cell) => textOf(cell[1])),
  );
}

/**
 * The DNS records the tab asks to publish, by type: the first of each, so `TXT` is the `_mta-sts`
 * record (the `_smtp._tls` one follows it; `tlsRptRecord` reads that).
 */
export function dnsRecords(html: string): Record<string, { name: string; value: string }> {
  const records: Record<string, { name: string; value: string }> = {};
  for (const cells of tableRows(html)) {
    if (cells.length >= 3 && /^(TXT|CNAME)$/.test(cells[0])) records[cells[0]] ??= { name: cells[1], value: cells[2] };
  }
  return records;
}

/** The `_smtp._tls` TXT value the tab asks to publish, if any. */
export function tlsRptRecord(html: string): string | undefined {
  return tableRows(html).find((cells) => cells.length >= 3 && cells[0] === 'TXT' && cells[1].startsWith('_smtp._tls.'))?.[2];
}

/** The texts of the alert/status messages on the page. */
export function notices(html: string): string[] {
  return [...html.matchAll(/<div\b[^>]*\brole="(?:alert|status)"[^>]*>([\s\S]*?)<\/div>/gi)].map((m) => textOf(m[1]));
}

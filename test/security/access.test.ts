import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { API_PATH, type AuthorizeTarget } from '../../src';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { AuthMode, Csrf, TestServer, createServer, textOf } from '../support/server';
import { concretePath, registeredRoutes } from '../support/routes';

// Every route the admin and API routers register, read from their Express 5 router stacks: a route
// added later without protection fails these tests without anyone having to list it here.

interface Target {
  router: 'admin' | 'api';
  method: string;
  path: string;
  registered: string;
}

/**
 * Routes that are public on purpose, each reviewed: a new entry here needs a reason. They must
 * hold no data (checked below) and answer everyone alike.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  'GET /mta-sts/assets/tab.mjs': "the tab's script: the same static file for everyone, no data",
};

function allRoutes(server: TestServer, domain = 'example.org'): Target[] {
  const list: Target[] = [];
  for (const [router, base] of [
    ['admin', server.adminPath],
    ['api', API_PATH],
  ] as const) {
    for (const route of registeredRoutes(server.mtaSts[router])) {
      for (const method of route.methods)
        list.push({ router, method, path: base + concretePath(route.path, domain), registered: `${method} ${base}${route.path}` });
    }
  }
  return list;
}

/** Every registered route that must be protected: all but the reviewed public ones. */
function targets(server: TestServer, domain = 'example.org'): Target[] {
  return allRoutes(server, domain).filter((t) => PUBLIC_ROUTES[t.registered] === undefined);
}

/** Routes over the whole panel that a domain administrator may not use. */
const PANEL_WIDE = ['POST /mta-sts/defaults', `PUT ${API_PATH}/defaults`, 'POST /mta-sts/:domain/reports/known-reporters', `PUT ${API_PATH}/known-reporters`];

const FORM = { version: 'STSv1', mode: 'enforce', maxAge: '604800', mx: 'mail.example.org', active: '1', revision: '0' };
const JSON_BODY = { mode: 'enforce', maxAge: 604800, mx: ['mail.example.org'], active: true };

/** Sends the request a legitimate client would send to this route (body, CSRF token and cookie). */
async function send(server: TestServer, target: Target, csrf: Csrf | null): Promise<Response> {
  const method = target.method.toLowerCase() as 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete';
  const test = server.request()[method](target.path);
  if (method === 'get' || method === 'head') return test;
  if (target.router === 'admin') {
    if (csrf) test.set('Cookie', csrf.cookie);
    const revision = String((await server.row('example.org')).mta_sts_revision);
    // The overview's bulk form names its domains and its change; every other form is the tab's.
    const body = target.path.endsWith('/bulk')
      ? { domains: 'example.org', action: 'set', mode: 'enforce', mx: 'mail.example.org' }
      : target.path.endsWith('/known-reporters')
        ? { names: 'Google Inc.' }
        : { ...FORM, revision };
    return test.type('form').send({ ...body, ...(csrf ? { _csrf: csrf.token } : {}) });
  }
  // The TLS reporting setting takes a rua list, a bulk change its domains and changes, the
  // defaults a template; every other API write the policy.
  if (target.path.endsWith('/reporting')) return test.send({ rua: ['mailto:tlsrpt@example.org'] });
  if (target.path === API_PATH || target.path === `${API_PATH}/`) return test.send({ domains: ['example.org'], changes: JSON_BODY });
  if (target.path.endsWith('/known-reporters')) return test.send({ names: ['Google Inc.'] });
  if (target.path.endsWith('/defaults')) return test.send({ mode: 'enforce', maxAge: 604800, mx: ['mail.example.org'] });
  return test.send(JSON_BODY);
}

async function table(server: TestServer): Promise<unknown[]> {
  return server.db.knex(server.db.domainTable).select().orderBy('domain');
}

function assertHeaders(res: Response, what: string): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.match(String(res.headers['cache-control']), /\bno-store\b/, `${what}: Cache-Control`);
}

function assertNoData(res: Response, what: string): void {
  assert.doesNotMatch(res.text ?? '', /name="mx"|name="_csrf"|"mx":|"names":|"checks":/, `${what}: nothing but the refusal`);
}

describe('access: every admin and API route the routers register', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  const plugin = () => ({
    dns: { servers: [dns.address], timeoutMs: 200, retries: 0 },
    dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
  });

  before(async () => {
    dns = await startDnsServer();
    dns.setFault('refused');
    server = await createServer({ plugin: plugin() });
    await storeReport(server);
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });
  afterEach(() => {
    server.authorize = 'allow';
  });

  it('finds the routes to walk in the router stacks (so the walk below means something)', () => {
    const registered = targets(server).map((t) => t.registered);
    for (const route of [
      'GET /mta-sts/:domain',
      'POST /mta-sts/:domain',
      'POST /mta-sts/:domain/dns-check',
      `GET ${API_PATH}/certificate-names`,
      `GET ${API_PATH}/:domain`,
      `PUT ${API_PATH}/:domain`,
      `GET ${API_PATH}/:domain/dns-check`,
    ]) {
      assert.ok(registered.includes(route), `${route} in ${registered.join(', ')}`);
    }
  });

  it('answers the reviewed public routes alike for everyone, with no data in them', async () => {
    const publicRoutes = allRoutes(server).filter((t) => PUBLIC_ROUTES[t.registered] !== undefined);
    for (const target of publicRoutes) {
      server.authorize = 'allow';
      const allowed = await send(server, target, null);
      server.authorize = 'deny';
      const denied = await send(server, target, null);
      assert.equal(denied.status, allowed.status, target.registered);
      assert.equal(denied.text, allowed.text, `${target.registered}: the same for everyone`);
      assert.equal(allowed.headers['x-content-type-options'], 'nosniff');
      assert.equal(allowed.headers['set-cookie'], undefined);
      assert.doesNotMatch(allowed.text ?? '', /example\.(org|com)|_csrf|mta_sts_/, 'no domain, token or column in it');
    }
  });

  // What the hook answers, and what every route must then say. Only `true` itself opens a route.
  const refusals: Array<[string, AuthMode, number]> = [
    ['false', 'deny', 403],
    ["'unauthenticated'", 'unauthenticated', 401],
    ['a promise of false', async () => false, 403],
    ['a promise of the string "true"', async () => 'true' as never, 403],
    ['1', () => 1 as never, 403],
    ["'yes'", () => 'yes' as never, 403],
    ['an object', () => ({ admin: true }) as never, 403],
    ['undefined', () => undefined as never, 403],
    ['null', () => null as never, 403],
  ];
  for (const [what, mode, status] of refusals) {
    it(`answers ${status} to every route, changing and showing nothing, when authorize returns ${what}`, async () => {
      server.authorize = 'allow';
      const csrf = await server.csrf('example.org');
      server.authorize = mode;
      const before = await table(server);
      const list = targets(server);
      for (const target of list) {
        server.authorizeCalls = 0;
        const res = await send(server, target, csrf);
        assert.equal(res.status, status, `${target.registered} -> ${res.status}`);
        assert.ok(server.authorizeCalls >= 1, `${target.registered}: the hook was asked`);
        assertHeaders(res, target.registered);
        assertNoData(res, target.registered);
      }
      // Paths no route matches are refused the same way: a stranger learns nothing about routes.
      for (const path of [`${server.adminPath}/example.org/nothing-here`, `${API_PATH}/a/b/c`, `${server.adminPath}/`]) {
        assert.equal((await server.request().get(path)).status, status, path);
      }
      assert.deepEqual(await table(server), before);
    });
  }

  it('answers 403 to every route, changing and showing nothing, when the host passed no authorize hook', async () => {
    const closed = await createServer({ authorize: 'missing', plugin: plugin() });
    try {
      const before = await table(closed);
      for (const target of targets(closed)) {
        const res = await send(closed, target, null);
        assert.equal(res.status, 403, `${target.registered} -> ${res.status}`);
        assertHeaders(res, target.registered);
        assertNoData(res, target.registered);
      }
      assert.deepEqual(await table(closed), before);
      await assert.rejects(closed.mtaSts.renderTab({} as never, { setHeader() {} } as never, 'example.org'), (err: { status?: number }) => err.status === 403);
    } finally {
      await closed.close();
    }
  });

  it('answers 500 without details, never the page, when the hook throws', async () => {
    const realError = console.error;
    console.error = () => undefined;
    try {
      server.authorize = () => {
        throw new Error('secret-detail');
      };
      for (const target of targets(server)) {
        const res = await send(server, target, null);
        assert.equal(res.status, 500, target.registered);
        assert.doesNotMatch(res.text ?? '', /secret-detail/);
        assertNoData(res, target.registered);
      }
    } finally {
      console.error = realError;
    }
  });

  it('serves every route when authorize returns true, with nosniff and no-store on each answer', async () => {
    for (const target of targets(server)) {
      const csrf = await server.csrf('example.org');
      const res = await send(server, target, csrf);
      assert.ok(res.status < 400, `${target.registered} -> ${res.status} ${textOf(res.text ?? '').slice(0, 200)}`);
      assertHeaders(res, target.registered);
    }
  });

  it('sets nosniff and no-store on error answers too: 400, 403 (CSRF), 404, 409, 413, 415', async () => {
    const csrf = await server.csrf('example.org');
    const answers: Array<[string, Promise<Response>, number]> = [
      ['invalid form', server.postForm('example.org', { ...FORM, revision: String((await server.row('example.org')).mta_sts_revision), mx: '' }, csrf), 400],
      ['no CSRF token', server.postForm('example.org', FORM, null), 403],
      [
        'unknown domain page',
        server
          .request()
          .get(`${server.adminPath}/unknown.example`)
          .then((r) => r),
        404,
      ],
      [
        'unknown domain API',
        server
          .request()
          .get(`${API_PATH}/unknown.example`)
          .then((r) => r),
        404,
      ],
      ['stale revision', server.put('example.org', { mode: 'none', revision: 99999 }).then((r) => r), 409],
      ['body too large', server.put('example.org', { mx: 'x'.repeat(40_000) }).then((r) => r), 413],
      [
        'not JSON',
        server
          .request()
          .put(`${API_PATH}/example.org`)
          .type('form')
          .send({ mode: 'none' })
          .then((r) => r),
        415,
      ],
    ];
    for (const [what, pending, status] of answers) {
      const res = await pending;
      assert.equal(res.status, status, what);
      assertHeaders(res, what);
    }
  });

  it('marks the host page that embeds the tab (renderTab) no-store and nosniff: it carries a CSRF token', async () => {
    const res = await server.request().get('/host/domains/example.org');
    assert.equal(res.status, 200);
    assert.match(res.text, /name="_csrf"/);
    assertHeaders(res, 'host page with the tab');
  });

  it('sets nosniff and no-store on every answer of the policy file: 200, HEAD, 404, 405', async () => {
    await server.put('example.org', JSON_BODY);
    const answers: Array<[string, Promise<Response>, number]> = [
      ['served', server.policy('mta-sts.example.org').then((r) => r), 200],
      ['HEAD', server.policy('mta-sts.example.org', 'head').then((r) => r), 200],
      ['unknown host', server.policy('mta-sts.unknown.example').then((r) => r), 404],
      [
        'other path on an mta-sts host',
        server
          .request()
          .get('/index.html')
          .set('Host', 'mta-sts.example.org')
          .then((r) => r),
        404,
      ],
      ['POST', server.policy('mta-sts.example.org', 'post').then((r) => r), 405],
    ];
    for (const [what, pending, status] of answers) {
      const res = await pending;
      assert.equal(res.status, status, what);
      assertHeaders(res, what);
    }
  });
});

/** A stored TLS report for example.org whose report-id is what concretePath fills in, so that GET .../reports/:reportId has one to show. */
async function storeReport(server: TestServer): Promise<void> {
  const setup = await server
    .request()
    .put(`${API_PATH}/example.org/reporting`)
    .send({ rua: ['mailto:tlsrpt@example.org'] });
  const report = {
    'organization-name': 'Org',
    'date-range': { 'start-datetime': '2026-11-20T00:00:00Z', 'end-datetime': '2026-11-20T23:59:59Z' },
    'report-id': 'example.org',
    policies: [
      {
        policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'example.org' },
        summary: { 'total-successful-session-count': 1, 'total-failure-session-count': 0 },
      },
    ],
  };
  const stored = await server
    .request()
    .post(new URL(setup.body.reportingUri).pathname)
    .set('Content-Type', 'application/tlsrpt+json')
    .send(JSON.stringify(report));
  assert.equal(stored.status, 201);
}

describe('access: a domain administrator (the hook allows one domain only)', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  const asked: AuthorizeTarget[] = [];
  // A host's hook for someone who administers example.org only. Over all domains (null) it allows
  // listing, which the plugin then filters domain by domain.
  const domainAdmin = (_req: unknown, target: AuthorizeTarget) => {
    asked.push(target);
    return target.domain === 'example.org' || (target.domain === null && target.action === 'list');
  };

  before(async () => {
    dns = await startDnsServer();
    dns.setFault('refused');
    server = await createServer({
      plugin: { dns: { servers: [dns.address], timeoutMs: 200, retries: 0 }, dnsCheck: { https: { enabled: false }, smtp: { enabled: false } } },
    });
    // Both domains serve a policy, so both would be certificate names.
    for (const domain of ['example.org', 'example.com']) assert.equal((await server.put(domain, JSON_BODY)).status, 200);
    await storeReport(server);
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });
  beforeEach(() => {
    server.authorize = domainAdmin;
    asked.length = 0;
  });

  it('answers 403 to every route for the other domain, changing nothing, and serves every route for their own', async () => {
    server.authorize = 'allow';
    const csrf = await server.csrf('example.org');
    server.authorize = domainAdmin;
    const before = await table(server);
    const perDomain = targets(server, 'example.com').filter((t) => t.registered.includes(':domain'));
    assert.ok(perDomain.length >= 6, perDomain.map((t) => t.registered).join(', '));
    for (const target of perDomain) {
      const res = await send(server, target, csrf);
      assert.equal(res.status, 403, `${target.registered} for example.com -> ${res.status}`);
      assertNoData(res, target.registered);
      assert.doesNotMatch(res.text ?? '', /example\.com/, `${target.registered}: does not name the domain`);
    }
    assert.deepEqual(await table(server), before);
    for (const target of targets(server, 'example.org')) {
      const res = await send(server, target, await server.csrf('example.org'));
      // The panel's defaults are panel-wide: changed only by whoever may write over all domains.
      if (PANEL_WIDE.includes(target.registered)) assert.equal(res.status, 403, `${target.registered} for a domain administrator -> ${res.status}`);
      else assert.ok(res.status < 400, `${target.registered} for example.org -> ${res.status}`);
    }
    await assert.rejects(
      server.mtaSts.renderTab(server.request().get('/') as never, { setHeader() {} } as never, 'example.com'),
      (err: { status?: number }) => err.status === 403,
      'renderTab asks the hook with the domain',
    );
    assert.equal((await server.request().get('/host/domains/example.com')).status, 403);
    assert.equal((await server.request().get('/host/domains/example.org')).status, 200);
  });

  it('lists only their own domain in certificate-names', async () => {
    server.authorize = 'allow';
    const all = await server.request().get(`${API_PATH}/certificate-names`);
    assert.ok(all.body.names.includes('mta-sts.example.com'), 'a full administrator sees every name');
    server.authorize = domainAdmin;
    const res = await server.request().get(`${API_PATH}/certificate-names`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.names, ['mta-sts.example.org']);
    assert.deepEqual(asked[0], { domain: null, action: 'list' }, 'the route itself is asked about all domains first');
    assert.ok(asked.some((t) => t.domain === 'example.com' && t.action === 'list'));
  });

  it('never tells whether a domain it may not see exists: 403 for an unknown domain too, 404 only to whoever may see it', async () => {
    for (const path of [`${server.adminPath}/unknown.example`, `${API_PATH}/unknown.example`, `${API_PATH}/unknown.example/dns-check`]) {
      const forbidden = await server.request().get(path);
      const other = await server.request().get(path.replace('unknown.example', 'example.com'));
      assert.equal(forbidden.status, 403, path);
      assert.equal(forbidden.text, other.text, `${path}: the same answer as for a domain that exists`);
      server.authorize = (_req, target) => target.domain === 'unknown.example' || target.domain === null;
      assert.equal((await server.request().get(path)).status, 404, `${path}: allowed, so told it does not exist`);
      server.authorize = domainAdmin;
    }
  });

  it('asks the hook with the A-label and the action of each route', async () => {
    server.authorize = 'allow';
    const csrf = await server.csrf('example.org');
    server.authorize = (req, target) => {
      asked.push(target);
      return true;
    };
    await server.request().get(`${server.adminPath}/B%C3%BCcher.Example`);
    await server.request().get(`${API_PATH}/EXAMPLE.org.`);
    await server.put('example.org', { mode: 'enforce' });
    await server.dnsCheckTab('example.org', {}, csrf);
    await server.request().get(`${API_PATH}/example.org/dns-check`);
    await server.request().get(`${API_PATH}/a/b/c`);
    assert.deepEqual(asked.slice(0, 6), [
      { domain: 'xn--bcher-kva.example', action: 'read' },
      { domain: 'example.org', action: 'read' },
      { domain: 'example.org', action: 'write' },
      { domain: 'example.org', action: 'check' },
      { domain: 'example.org', action: 'check' },
      { domain: null, action: 'read' },
    ]);
    assert.equal(asked.length, 6, 'once per request');
  });

  it('refuses before reading the body: a one-argument hook that says no gets 403, not 413, for a huge form', async () => {
    server.authorize = (_req: unknown) => false;
    const res = await server
      .request()
      .post(`${server.adminPath}/example.org`)
      .type('form')
      .send({ mx: 'x'.repeat(100_000) });
    assert.equal(res.status, 403);
  });

  it('checks only the allowed domains in checkMany when given the request, every domain without it', async () => {
    const req = server.request().get('/') as never;
    const filtered = await server.mtaSts.checkMany(['example.org', 'example.com'], { req });
    assert.equal(filtered[0]?.domain, 'example.org');
    assert.equal(filtered[1], null, 'not allowed: null, as for an unknown domain');
    const all = await server.mtaSts.checkMany(['example.org', 'example.com']);
    assert.deepEqual(
      all.map((r) => r?.domain),
      ['example.org', 'example.com'],
    );
  });
});

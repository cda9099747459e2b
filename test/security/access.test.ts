import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { API_PATH } from '../../src';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { AuthMode, Csrf, TestServer, createServer, textOf } from '../support/server';
import { concretePath, registeredRoutes } from './routes';

// Every route the admin and API routers register, read from their Express 5 router stacks: a route
// added later without protection fails these tests without anyone having to list it here.

interface Target { router: 'admin' | 'api'; method: string; path: string; registered: string }

/**
 * Routes that are public on purpose, each reviewed: a new entry here needs a reason. They must
 * hold no data (checked below) and answer everyone alike.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  'GET /mta-sts/assets/tab.mjs': "the tab's script: the same static file for everyone, no data",
};

function allRoutes(server: TestServer): Target[] {
  const list: Target[] = [];
  for (const [router, base] of [['admin', server.adminPath], ['api', API_PATH]] as const) {
    for (const route of registeredRoutes(server.mtaSts[router])) {
      for (const method of route.methods) list.push({ router, method, path: base + concretePath(route.path), registered: `${method} ${base}${route.path}` });
    }
  }
  return list;
}

/** Every registered route that must be protected: all but the reviewed public ones. */
function targets(server: TestServer): Target[] {
  return allRoutes(server).filter((t) => PUBLIC_ROUTES[t.registered] === undefined);
}

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
    return test.type('form').send({ ...FORM, revision, ...(csrf ? { _csrf: csrf.token } : {}) });
  }
  // The TLS reporting setting takes a rua list, every other API write the policy.
  return test.send(target.path.endsWith('/reporting') ? { rua: ['mailto:tlsrpt@example.org'] } : JSON_BODY);
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
    // A stored TLS report whose report-id is what concretePath fills in, so that GET .../reports/:reportId has one to show.
    const setup = await server.request().put(`${API_PATH}/example.org/reporting`).send({ rua: ['mailto:tlsrpt@example.org'] });
    const report = { 'organization-name': 'Org', 'date-range': { 'start-datetime': '2026-11-20T00:00:00Z', 'end-datetime': '2026-11-20T23:59:59Z' }, 'report-id': 'example.org',
      policies: [{ policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'example.org' }, summary: { 'total-successful-session-count': 1, 'total-failure-session-count': 0 } }] };
    const stored = await server.request().post(new URL(setup.body.reportingUri).pathname).set('Content-Type', 'application/tlsrpt+json').send(JSON.stringify(report));
    assert.equal(stored.status, 201);
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
    for (const route of ['GET /mta-sts/:domain', 'POST /mta-sts/:domain', 'GET /mta-sts/:domain/dns-check',
      `GET ${API_PATH}/certificate-names`, `GET ${API_PATH}/:domain`, `PUT ${API_PATH}/:domain`, `GET ${API_PATH}/:domain/dns-check`]) {
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
      ['unknown domain page', server.request().get(`${server.adminPath}/unknown.example`).then((r) => r), 404],
      ['unknown domain API', server.request().get(`${API_PATH}/unknown.example`).then((r) => r), 404],
      ['stale revision', server.put('example.org', { mode: 'none', revision: 99999 }).then((r) => r), 409],
      ['body too large', server.put('example.org', { mx: 'x'.repeat(40_000) }).then((r) => r), 413],
      ['not JSON', server.request().put(`${API_PATH}/example.org`).type('form').send({ mode: 'none' }).then((r) => r), 415],
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
      ['other path on an mta-sts host', server.request().get('/index.html').set('Host', 'mta-sts.example.org').then((r) => r), 404],
      ['POST', server.policy('mta-sts.example.org', 'post').then((r) => r), 405],
    ];
    for (const [what, pending, status] of answers) {
      const res = await pending;
      assert.equal(res.status, status, what);
      assertHeaders(res, what);
    }
  });
});

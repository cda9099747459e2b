import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Server, createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { createPanel } from '../../src/server/app';
import { API_PATH } from '../../src';
import { Csrf, TestServer, createServer, decodeEntities } from '../support/server';
import { LOOPBACK_ONLY } from '../support/loopback';
import { concretePath, registeredRoutes } from '../support/routes';

const FIELDS = { version: 'STSv1', mode: 'enforce', maxAge: '604800', mx: 'mail.example.org', active: '1' };

async function table(server: TestServer): Promise<unknown[]> {
  return server.db.knex(server.db.domainTable).select().orderBy('domain');
}

describe('CSRF: form posts need a valid token', () => {
  let server: TestServer;
  before(async () => {
    // Tokens bound to a session the host names, as a real panel does.
    server = await createServer({
      plugin: { ...LOOPBACK_ONLY, csrf: { secret: 'csrf-test-secret-0123456789-0123456789', sessionId: (req) => req.get('x-session') ?? '' } },
    });
  });
  after(() => server?.close());

  /** Every admin route a form can change something through: everything but GET and HEAD. */
  function unsafeRoutes(): Array<{ method: string; path: string }> {
    const routes = registeredRoutes(server.mtaSts.admin).flatMap((r) =>
      r.methods.filter((m) => m !== 'GET' && m !== 'HEAD').map((method) => ({ method, path: server.adminPath + concretePath(r.path) })),
    );
    assert.ok(
      routes.some((r) => r.method === 'POST' && r.path === `${server.adminPath}/example.org`),
      'the save route is among them',
    );
    return routes;
  }

  async function tokenFor(session: string): Promise<Csrf> {
    const res = await server.request().get(`${server.adminPath}/example.org`).set('X-Session', session);
    assert.equal(res.status, 200);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '';
    const cookie =
      ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .find((c) => /mta-sts\.csrf=/.test(c)) ?? '';
    return { token: decodeEntities(token), cookie };
  }

  it('refuses (403) every forged or incomplete post and changes nothing', async () => {
    const mine = await tokenFor('session-a');
    const other = await tokenFor('session-b');
    const revision = String((await server.row('example.org')).mta_sts_revision);
    const attempts: Array<[string, { cookie?: string; token?: string; query?: string; header?: string; session: string }]> = [
      ['no token and no cookie', { session: 'session-a' }],
      ['a token without its cookie', { token: mine.token, session: 'session-a' }],
      ['the cookie without a token', { cookie: mine.cookie, session: 'session-a' }],
      ['a made-up token', { cookie: mine.cookie, token: 'forged-token-value', session: 'session-a' }],
      ['the token of another session', { cookie: other.cookie, token: other.token, session: 'session-a' }],
      ["a pair from another admin's session", { cookie: mine.cookie, token: mine.token, session: 'session-b' }],
      ['the token in the query string only', { cookie: mine.cookie, query: mine.token, session: 'session-a' }],
      ['an empty token', { cookie: mine.cookie, token: '', session: 'session-a' }],
    ];
    const before = await table(server);
    for (const route of unsafeRoutes()) {
      for (const [what, a] of attempts) {
        const method = route.method.toLowerCase() as 'post';
        const agent = server.request();
        const test = agent[method](route.path + (a.query ? `?_csrf=${encodeURIComponent(a.query)}` : ''))
          .set('X-Session', a.session)
          .type('form');
        if (a.cookie) test.set('Cookie', a.cookie);
        const res = await test.send({ ...FIELDS, revision, ...(a.token !== undefined ? { _csrf: a.token } : {}) });
        assert.equal(res.status, 403, `${route.method} ${route.path} with ${what}`);
        assert.match(res.text, /CSRF/);
      }
    }
    assert.deepEqual(await table(server), before, 'nothing was saved');
    // The control: the same post with the right pair is accepted.
    const ok = await server
      .request()
      .post(`${server.adminPath}/example.org`)
      .set('X-Session', 'session-a')
      .set('Cookie', mine.cookie)
      .type('form')
      .send({ ...FIELDS, revision, _csrf: mine.token });
    assert.equal(ok.status, 303, ok.text);
  });
});

describe('CSRF: the API is driven by its key, never by cookies (demo host)', () => {
  const PASSWORD = 'csrf-test-password';
  const API_KEY = 'csrf-test-api-key-0123456789';
  let http: Server;
  let knex: Knex;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-csrf-'));
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    const { app } = await createPanel({
      knex,
      mailHostname: 'mail.example.org',
      adminPassword: PASSWORD,
      apiKey: API_KEY,
      demoDomains: ['example.org'],
      dnsServers: LOOPBACK_ONLY.dns.servers,
    });
    http = createHttpServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  });
  after(async () => {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = () => knex('domain').where('domain', 'example.org').first();

  it("refuses a logged-in browser's cookies on every API route (401), and changes nothing", async () => {
    const browser = request.agent(http);
    // The login form carries the demo's own CSRF token.
    const token = /name="_panel_csrf" value="([^"]+)"/.exec((await browser.get('/login')).text)?.[1];
    assert.equal((await browser.post('/login').type('form').send({ username: 'admin', password: PASSWORD, _panel_csrf: token })).status, 303);
    assert.equal((await browser.get('/mta-sts/example.org')).status, 200, 'the cookie does log the browser in to the panel');
    const before = await row();
    for (const res of [
      await browser.get(`${API_PATH}/example.org`),
      await browser.get(`${API_PATH}/certificate-names`),
      await browser.put(`${API_PATH}/example.org`).send({ mode: 'enforce', mx: ['mail.example.org'], active: true }),
    ]) {
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthenticated');
    }
    assert.deepEqual(await row(), before);
    // The control: the key works, and the API sets no cookie.
    const ok = await request(http)
      .put(`${API_PATH}/example.org`)
      .set('X-API-Key', API_KEY)
      .send({ mode: 'testing', mx: ['mail.example.org'] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['set-cookie'], undefined);
  });

  it('takes only JSON bodies, which no cross-site HTML form can send (415 for form, multipart and text bodies)', async () => {
    const before = await row();
    const forms: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'mode=none'],
      ['text/plain', '{"mode":"none"}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="mode"\r\n\r\nnone\r\n--x--\r\n'],
    ];
    for (const [type, body] of forms) {
      const res = await request(http).put(`${API_PATH}/example.org`).set('X-API-Key', API_KEY).set('Content-Type', type).send(body);
      assert.equal(res.status, 415, type);
    }
    assert.deepEqual(await row(), before);
  });
});

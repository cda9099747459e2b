// The server's cookies and headers over TLS, as `mta-sts serve --acme` serves the panel (the app on
// an HTTPS listener, here with a certificate of a throwaway CA) and, the same app, over plain
// HTTP: Secure __Host- cookies and HSTS on every TLS answer, one cookie name per scheme, and the
// headers of the server's own pages (no caching, no framing, same-origin referrers).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { createPanel } from '../../src/server/app';
import { formValues } from '../support/server';
import { createTestCa, type TestCa } from '../support/tls';

const PASSWORD = 'tls test password';

type Headers = Record<string, string | string[] | undefined>;
const cookiesOf = (headers: Headers) => ([] as string[]).concat(headers['set-cookie'] ?? []);
const cookieNamed = (headers: Headers, name: string) => cookiesOf(headers).find((c) => c.startsWith(`${name}=`));

describe('the server over TLS (as --acme serves it) and over plain HTTP', function () {
  this.timeout(60_000);
  let dir: string;
  let knex: Knex;
  let ca: TestCa;
  let https: HttpsServer;
  let http: Server;
  let close: () => void;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-tls-'));
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    // The defaults `mta-sts serve` passes (no --secure-cookies, no trusted proxy).
    const panel = await createPanel({ knex, mailHostname: 'mail.example.org', adminPassword: PASSWORD, dnsServers: ['127.0.0.1:9'] });
    close = panel.close;
    ca = createTestCa();
    https = createHttpsServer({ ...ca.issue(['127.0.0.1', 'mta-sts.example.net']), minVersion: 'TLSv1.2' }, panel.app);
    http = createHttpServer(panel.app);
    await Promise.all([https, http].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))));
  });
  after(async () => {
    close();
    await Promise.all([https, http].map((server) => new Promise((resolve) => server.close(resolve))));
    await knex.destroy();
    ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const browser = () => request.agent(https, { ca: ca.cert });

  /** Logs in over TLS: the agent keeps the cookies, as a browser on https:// does. */
  async function logInOverTls() {
    const agent = browser();
    const form = await agent.get('/login');
    const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    const login = await agent.post('/login').type('form').send({ username: 'admin', password: PASSWORD, _panel_csrf: token }).redirects(0);
    assert.equal(login.status, 303);
    return { agent, form, login };
  }

  it('sends every cookie Secure with the __Host- prefix (login form, session, tab), and HSTS', async () => {
    const { agent, form, login } = await logInOverTls();
    const panelCsrf = cookieNamed(form.headers, '__Host-panel.csrf');
    assert.ok(panelCsrf, `the login form's CSRF cookie: ${cookiesOf(form.headers).join(' | ')}`);
    assert.match(panelCsrf, /; Secure/i);
    assert.equal(form.headers['strict-transport-security'], 'max-age=31536000');
    const session = cookieNamed(login.headers, '__Host-mta-sts.sid');
    assert.ok(session, `the session cookie: ${cookiesOf(login.headers).join(' | ')}`);
    assert.match(session, /; Secure/i);
    assert.match(session, /; HttpOnly/i);

    const tab = await agent.get('/domains/example.org?tab=mta-sts');
    assert.equal(tab.status, 200);
    const tabCsrf = cookieNamed(tab.headers, '__Host-mta-sts.csrf');
    assert.ok(tabCsrf, `the tab's CSRF cookie: ${cookiesOf(tab.headers).join(' | ')}`);
    assert.match(tabCsrf, /; Secure/i);
    for (const res of [form, login, tab]) {
      assert.deepEqual(
        cookiesOf(res.headers).filter((c) => !c.startsWith('__Host-') || !/; Secure/i.test(c)),
        [],
        'no cookie without Secure and __Host-',
      );
    }
    // The tab works with them: a save over TLS.
    const saved = await agent
      .post('/mta-sts/example.org')
      .type('form')
      .send({ ...formValues(tab.text), mode: 'testing', mx: 'mail.example.org', active: '1' })
      .redirects(0);
    assert.equal(saved.status, 303);

    // Logging out drops the session cookie with a Set-Cookie a browser accepts for a __Host- name (Secure).
    const list = await agent.get('/domains');
    const logoutToken = /name="_panel_csrf" value="([^"]+)"/.exec(list.text)?.[1];
    const out = await agent.post('/logout').type('form').send({ _panel_csrf: logoutToken }).redirects(0);
    assert.equal(out.status, 303);
    const cleared = cookieNamed(out.headers, '__Host-mta-sts.sid');
    assert.match(cleared ?? '', /Expires=Thu, 01 Jan 1970/);
    assert.match(cleared ?? '', /; Secure/i);
  });

  it('sends HSTS with the policy file over TLS, whose caching stays as it was', async () => {
    await knex('domain')
      .where('domain', 'example.net')
      .update({ mta_sts_active: true, mta_sts_mode: 'testing', mta_sts_mx: 'mail.example.net', mta_sts_id: '1' });
    const policy = await browser().get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.net');
    assert.equal(policy.status, 200);
    assert.equal(policy.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(policy.headers['cache-control'], 'no-store');
    assert.equal(policy.headers['x-frame-options'], undefined, "the policy file is not one of the server's pages");
    assert.equal(policy.headers['set-cookie'], undefined);
  });

  it('over plain HTTP: unprefixed cookies without Secure, no HSTS; and a plain-HTTP cookie is never read over TLS', async () => {
    const form = await request(http).get('/login');
    assert.equal(form.headers['strict-transport-security'], undefined);
    const csrf = cookieNamed(form.headers, 'panel.csrf');
    assert.ok(csrf);
    assert.doesNotMatch(csrf, /; Secure/i);
    const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    const login = await request(http)
      .post('/login')
      .set('Cookie', csrf.split(';')[0])
      .type('form')
      .send({ username: 'admin', password: PASSWORD, _panel_csrf: token })
      .redirects(0);
    assert.equal(login.status, 303);
    const session = cookieNamed(login.headers, 'mta-sts.sid');
    assert.ok(session);
    assert.doesNotMatch(session, /; Secure/i);
    assert.equal((await request(http).get('/domains').set('Cookie', session.split(';')[0]).redirects(0)).status, 200);
    // Anyone on the path can set a plain-HTTP cookie for this host ("cookie tossing"); over TLS it counts for nothing.
    const tossed = await browser().get('/domains').set('Cookie', session.split(';')[0]).redirects(0);
    assert.equal(tossed.status, 303);
    assert.match(tossed.headers.location ?? '', /^\/login/);
    // Nor does a plain-HTTP CSRF cookie with its token pass over TLS.
    const forged = await browser()
      .post('/login')
      .set('Cookie', csrf.split(';')[0])
      .type('form')
      .send({ username: 'admin', password: PASSWORD, _panel_csrf: token });
    assert.equal(forged.status, 403);
  });

  it("sends no-store, no framing and same-origin referrers on the server's pages, over TLS and plain HTTP, but lets static files be cached", async () => {
    const { agent } = await logInOverTls();
    const pages: Array<[string, { headers: Headers }]> = [
      ['/login', await agent.get('/login')],
      ['/domains', await agent.get('/domains')],
      ['the tab', await agent.get('/domains/example.org?tab=mta-sts')],
      ['a 404', await agent.get('/no-such-page')],
      ['/login over plain HTTP', await request(http).get('/login')],
    ];
    for (const [what, page] of pages) {
      assert.equal(page.headers['cache-control'], 'no-store', what);
      assert.equal(page.headers['x-frame-options'], 'DENY', what);
      assert.equal(page.headers['content-security-policy'], "frame-ancestors 'none'", what);
      assert.equal(page.headers['referrer-policy'], 'same-origin', what);
    }
    const css = await agent.get('/assets/bootstrap/css/bootstrap.min.css');
    assert.equal(css.status, 200);
    assert.notEqual(css.headers['cache-control'], 'no-store');
  });
});

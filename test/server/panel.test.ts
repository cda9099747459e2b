import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Server, createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { createPanel, type PanelOptions } from '../../src/server/app';
import { attr, controlByLabel, controlValue, dnsRecords, formValues, notices, openingTag, textOf } from '../support/server';

const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'package.json'))) as string;
const STALE_FILE = join(ROOT, 'views/server/public/.well-known/mta-sts.txt');
const PASSWORD = 'correct horse battery staple';
const API_KEY = 'test-api-key-0123456789';

interface Panel {
  http: Server;
  knex: Knex;
  dir: string;
  close(): Promise<void>;
}

async function startPanel(options: { apiKey?: string; dnsCheck?: PanelOptions['dnsCheck']; probesOff?: boolean } = {}): Promise<Panel> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-panel-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
  const { app } = await createPanel({
    knex,
    mailHostname: 'mail.example.org',
    adminPassword: PASSWORD,
    apiKey: options.apiKey,
    demoDomains: ['example.org', 'example.net', 'bücher.example'],
    // A closed loopback port: the tab's MX lookups fail at once and nothing leaves the machine.
    dnsServers: ['127.0.0.1:9'],
    ...(options.dnsCheck ? { dnsCheck: options.dnsCheck } : {}),
    ...(options.probesOff ? { dnsCheck: { https: { enabled: false }, smtp: { enabled: false } } } : {}),
  });
  const http = createHttpServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    http,
    knex,
    dir,
    async close() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The token of the demo's own login/logout forms, and the cookie set with it. */
function panelCsrf(res: { text: string; headers: Record<string, any> }): { token: string; cookie: string } {
  const token = /name="_panel_csrf" value="([^"]+)"/.exec(res.text)?.[1];
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('panel.csrf='));
  if (!token || !cookie) throw new Error('no login form token or cookie');
  return { token, cookie };
}

/** A browser: keeps its cookies. */
async function loggedIn(panel: Panel) {
  const browser = request.agent(panel.http);
  const form = await browser.get('/login');
  const res = await browser
    .post('/login')
    .type('form')
    .send({ username: 'admin', password: PASSWORD, _panel_csrf: panelCsrf(form).token });
  assert.equal(res.status, 303);
  return browser;
}

/**
 * A login attempt as a fresh browser would make it (the form first, then the post), from a given
 * loopback address, so that tests can be several clients.
 */
async function attemptLogin(
  panel: Panel,
  username: string,
  password: string,
  from = '127.0.0.1',
): Promise<{ status: number; retryAfter?: string; text: string }> {
  const port = (panel.http.address() as AddressInfo).port;
  const call = (method: string, path: string, body?: string, cookie?: string) =>
    new Promise<{ status: number; headers: Record<string, any>; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          localAddress: from,
          method,
          path,
          headers: {
            ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
            ...(cookie ? { Cookie: cookie } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const form = panelCsrf(await call('GET', '/login'));
  const res = await call('POST', '/login', new URLSearchParams({ username, password, _panel_csrf: form.token }).toString(), form.cookie);
  return { status: res.status, retryAfter: res.headers['retry-after'], text: textOf(res.text) };
}

function inPanelPage(html: string): boolean {
  return /<a class="navbar-brand"[^>]*>Demo mail panel<\/a>/.test(html);
}

/** The tab links of the domain edit page, and which one is current. */
function domainTabs(html: string): { tabs: string[]; current: string | null } {
  const nav = /<ul class="nav nav-tabs[^"]*">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  const links = [...nav.matchAll(/<a\b[^>]*>([\s\S]*?)<\/a>/g)];
  const current = links.find((m) => attr(m[0], 'aria-current') === 'page');
  return { tabs: links.map((m) => textOf(m[1])), current: current ? textOf(current[1]) : null };
}

describe('the server (embedded default)', () => {
  let panel: Panel;
  beforeEach(async () => {
    panel = await startPanel();
  });
  afterEach(() => panel.close());

  describe('logging in', () => {
    it('shows a login form with Username and Password and a "Log in" button', async () => {
      const res = await request(panel.http).get('/login');
      assert.equal(res.status, 200);
      assert.equal(controlByLabel(res.text, 'Username').name, 'input');
      assert.equal(attr(controlByLabel(res.text, 'Password').tag, 'type'), 'password');
      const button = /<button\b[^>]*>([\s\S]*?)<\/button>/.exec(res.text.slice(res.text.indexOf('<main')));
      assert.equal(textOf(button?.[1] ?? ''), 'Log in');
    });

    it('refuses a wrong password with 401 and no session', async () => {
      for (const body of [{ username: 'admin', password: 'wrong' }, { username: 'root', password: PASSWORD }, { username: 'admin' }]) {
        const browser = request.agent(panel.http);
        const token = panelCsrf(await browser.get('/login')).token;
        const res = await browser
          .post('/login')
          .type('form')
          .send({ ...body, _panel_csrf: token });
        assert.equal(res.status, 401);
        assert.match(textOf(res.text), /wrong username or password/i);
        // No session cookie (the form again carries a new CSRF token, with its cookie).
        assert.deepEqual(
          ([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((c) => c.startsWith('mta-sts.sid=')),
          [],
        );
      }
    });

    it('refuses logging in and out without the form token (403), logging nobody in or out', async () => {
      const forged = await request(panel.http).post('/login').type('form').send({ username: 'admin', password: PASSWORD });
      assert.equal(forged.status, 403);
      assert.match(textOf(forged.text), /The form has expired or did not come from this panel/);
      assert.deepEqual(
        ([] as string[]).concat(forged.headers['set-cookie'] ?? []).filter((c) => c.startsWith('mta-sts.sid=')),
        [],
        'no session',
      );
      const browser = await loggedIn(panel);
      assert.equal((await browser.post('/logout').type('form').send({})).status, 403);
      assert.equal((await browser.get('/domains').redirects(0)).status, 200, 'still logged in');
    });

    it('limits failed logins per account at an address: after 5, 429 with Retry-After, even with the right password', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await attemptLogin(panel, 'admin', `wrong${i}`, '127.0.0.2')).status, 401);
      const blocked = await attemptLogin(panel, 'admin', PASSWORD, '127.0.0.2');
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.retryAfter) > 800 && Number(blocked.retryAfter) <= 900, blocked.retryAfter);
      assert.match(blocked.text, /Too many failed logins\. Try again in 15 minutes\./);
      // Another address is not affected, and its success does not reset the blocked one.
      assert.equal((await attemptLogin(panel, 'admin', PASSWORD, '127.0.0.3')).status, 303);
      assert.equal((await attemptLogin(panel, 'admin', PASSWORD, '127.0.0.2')).status, 429);
    });

    it("does not reset an address's count on a successful login from it", async () => {
      for (let i = 0; i < 9; i++) assert.equal((await attemptLogin(panel, `guess${i}`, 'wrong', '127.0.0.4')).status, 401);
      assert.equal((await attemptLogin(panel, 'admin', PASSWORD, '127.0.0.4')).status, 303);
      assert.equal((await attemptLogin(panel, 'guess9', 'wrong', '127.0.0.4')).status, 401);
      assert.equal((await attemptLogin(panel, 'guess10', 'wrong', '127.0.0.4')).status, 429, 'the tenth failure counted with the nine before the success');
    });

    it('sends a visitor who is not logged in to the login page', async () => {
      const res = await request(panel.http).get('/domains/example.org?tab=mta-sts').redirects(0);
      assert.equal(res.status, 303);
      assert.match(res.headers.location ?? '', /^\/login\?next=/);
    });

    it('after logging in, lists the seeded domains', async () => {
      const browser = await loggedIn(panel);
      const res = await browser.get('/domains');
      assert.equal(res.status, 200);
      const text = textOf(res.text);
      for (const domain of ['example.org', 'example.net', 'xn--bcher-kva.example']) assert.ok(text.includes(domain), domain);
    });

    it('shows markup stored in the host table as text', async () => {
      await panel.knex('domain').insert({ domain: 'markup.example', description: '<script>alert(1)</script>' });
      const browser = await loggedIn(panel);
      for (const path of ['/domains', '/domains/markup.example']) {
        const res = await browser.get(path);
        assert.equal(res.status, 200);
        assert.doesNotMatch(res.text, /<script>alert/);
        assert.ok(textOf(res.text).includes('<script>alert(1)</script>'), path);
      }
    });
  });

  describe("the domain list, as mailcow's", () => {
    /** The list's rows: domain, MTA-STS state (text), and the names of its buttons. */
    const rows = (html: string) =>
      [...html.matchAll(/<tr data-domain="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
        domain: m[1],
        state: textOf(/<td data-mta-sts-state="[^"]*">([\s\S]*?)<\/td>/.exec(m[2])?.[1] ?? ''),
        buttons: [...m[2].matchAll(/<(?:a|button)\b[^>]*class="btn[^"]*"[^>]*>([\s\S]*?)<\/(?:a|button)>/g)].map((b) => textOf(b[1])),
      }));

    it("shows each domain's MTA-STS state and a DNS Check button per row, which checks that domain", async () => {
      await panel.close();
      panel = await startPanel({ probesOff: true });
      await panel
        .knex('domain')
        .where('domain', 'example.org')
        .update({ mta_sts_active: true, mta_sts_mode: 'testing', mta_sts_mx: 'mail.example.org', mta_sts_id: '1' });
      const browser = await loggedIn(panel);
      const list = await browser.get('/domains');
      assert.deepEqual(rows(list.text), [
        { domain: 'example.net', state: 'off', buttons: ['Edit example.net', 'DNS Check example.net'] },
        { domain: 'example.org', state: 'testing', buttons: ['Edit example.org', 'DNS Check example.org'] },
        { domain: 'xn--bcher-kva.example', state: 'off', buttons: ['Edit xn--bcher-kva.example', 'DNS Check xn--bcher-kva.example'] },
      ]);
      const form = /<form method="post" action="(\/domains\/example\.org\/dns-check)"[^>]*>\s*<input type="hidden" name="_panel_csrf" value="([^"]+)">/.exec(
        list.text,
      );
      assert.ok(form, 'the button posts, with the form token');
      const checked = await browser.post(form[1]).type('form').send({ _panel_csrf: form[2] });
      assert.equal(checked.status, 200);
      const row = rows(checked.text).find((r) => r.domain === 'example.org');
      assert.match(row?.state ?? '', /^testing DNS Check: \d+ errors, \d+ warnings, \d+ OK, \d+ notes\. Details in the MTA-STS tab$/);
      assert.ok(!rows(checked.text).some((r) => r.domain !== 'example.org' && /DNS Check:/.test(r.state)), 'only that row');
      assert.equal((await request(panel.http).post(form[1]).redirects(0)).status, 303, 'not without a login');
    });

    it('speaks German with Accept-Language, and the language switch (a cookie) wins over it, for the panel and the tab', async () => {
      const browser = await loggedIn(panel);
      const german = await browser.get('/domains').set('Accept-Language', 'de-DE');
      assert.match(german.text, /<html lang="de">/);
      assert.match(textOf(german.text), /Demo-Mailpanel Domains .*Abmelden.*Domain Beschreibung Domain aktiv MTA-STS/);
      assert.deepEqual(rows(german.text)[0].buttons, ['Bearbeiten example.net', 'DNS-Prüfung example.net']);

      const switched = await browser.post('/language').type('form').send({ lang: 'en', next: '/domains/example.org?tab=mta-sts' }).redirects(0);
      assert.equal(switched.status, 303);
      assert.equal(switched.headers.location, '/domains/example.org?tab=mta-sts');
      const english = await browser.get('/domains/example.org?tab=mta-sts').set('Accept-Language', 'de-DE');
      assert.match(english.text, /<html lang="en">/);
      assert.match(textOf(english.text), /Edit domain example\.org General MTA-STS MTA-STS for example\.org/);
      await browser
        .post('/language')
        .type('form')
        .send({ lang: 'de', next: '//evil.example/' })
        .redirects(0)
        .then((res) => assert.equal(res.headers.location, '/domains'));
      const tab = await browser.get('/domains/example.org?tab=mta-sts');
      assert.match(textOf(tab.text), /Domain example\.org bearbeiten Allgemein MTA-STS MTA-STS für example\.org/);
    });
  });

  describe('the MTA-STS tab in the domain edit page', () => {
    it('shows the plugin tab inside the panel page, beside the General tab', async () => {
      const browser = await loggedIn(panel);
      const res = await browser.get('/domains/example.org?tab=mta-sts');
      assert.equal(res.status, 200);
      assert.ok(inPanelPage(res.text), 'the panel layout is around it');
      assert.deepEqual(domainTabs(res.text), { tabs: ['General', 'MTA-STS'], current: 'MTA-STS' });
      for (const label of ['Version', 'Mode', 'Maximum Age', 'MX entries', 'Active']) controlByLabel(res.text, label);
      assert.match(textOf(res.text), /Save changes/);

      const general = await browser.get('/domains/example.org');
      assert.deepEqual(domainTabs(general.text), { tabs: ['General', 'MTA-STS'], current: 'General' });
      assert.equal(openingTag(general.text, 'mta-sts-mode'), null, 'the General tab has no MTA-STS form');
    });

    it('saves through the tab, re-rendered inside the panel page, and serves the policy', async () => {
      const browser = await loggedIn(panel);
      const page = await browser.get('/domains/example.org?tab=mta-sts');
      const form = { ...formValues(page.text), mode: 'enforce', mx: 'mail.example.org', maxAge: '604800', active: '1' };
      // POST/redirect/GET: the save answers 303 to the panel's own domain page (the tabUrl option), which a browser follows.
      const res = await browser.post('/mta-sts/example.org').type('form').send(form).redirects(1);
      assert.equal(res.status, 200);
      assert.match(res.redirects[0] ?? '', /\/domains\/example\.org\?tab=mta-sts&mta-sts-saved=/);
      assert.ok(inPanelPage(res.text), 'the answer sits inside the panel page');
      assert.deepEqual(domainTabs(res.text), { tabs: ['General', 'MTA-STS'], current: 'MTA-STS' });
      assert.ok(notices(res.text).some((n) => /saved/i.test(n)));
      const records = dnsRecords(res.text);
      assert.equal(records.CNAME?.value, 'mail.example.org');
      assert.match(records.TXT?.value ?? '', /^v=STSv1; id=[0-9]+$/);

      const policy = await request(panel.http).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
      assert.equal(policy.status, 200);
      assert.equal(policy.text, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 604800\r\n');
    });

    it('shows field errors inside the panel page, with what was typed', async () => {
      const browser = await loggedIn(panel);
      const page = await browser.get('/domains/example.org?tab=mta-sts');
      const res = await browser
        .post('/mta-sts/example.org')
        .type('form')
        .send({ ...formValues(page.text), mode: 'enforce', mx: 'bad..example' });
      assert.equal(res.status, 400);
      assert.ok(inPanelPage(res.text));
      assert.equal(domainTabs(res.text).current, 'MTA-STS');
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'MX entries').id), 'bad..example');
    });

    it("refuses a form token from another login session (CSRF tokens are bound to the panel's session)", async () => {
      const login = async () => {
        const form = panelCsrf(await request(panel.http).get('/login'));
        const res = await request(panel.http)
          .post('/login')
          .type('form')
          .set('Cookie', form.cookie)
          .send({ username: 'admin', password: PASSWORD, _panel_csrf: form.token });
        const cookie = ([] as string[])
          .concat(res.headers['set-cookie'] ?? [])
          .map((c) => c.split(';')[0])
          .find((c) => c.startsWith('mta-sts.sid='));
        assert.ok(cookie, 'a session cookie');
        return cookie;
      };
      const alice = await login();
      const bob = await login();
      const page = await request(panel.http).get('/domains/example.org?tab=mta-sts').set('Cookie', alice);
      const csrf = ([] as string[])
        .concat(page.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .find((c) => c.startsWith('mta-sts.csrf='));
      assert.ok(csrf, 'the tab sets the CSRF cookie');
      const form = { ...formValues(page.text), mode: 'none', maxAge: '60' };
      const post = (session: string) => request(panel.http).post('/mta-sts/example.org').type('form').set('Cookie', `${session}; ${csrf}`).send(form);

      // Alice's token and cookie presented with Bob's session: refused, nothing saved.
      assert.equal((await post(bob)).status, 403);
      assert.equal(Number((await panel.knex('domain').where('domain', 'example.org').first()).mta_sts_max_age), 86400);
      // With Alice's own session they work.
      assert.equal((await post(alice)).status, 303);
      assert.equal(Number((await panel.knex('domain').where('domain', 'example.org').first()).mta_sts_max_age), 60);
    });

    it('closes the tab after logging out', async () => {
      const browser = await loggedIn(panel);
      const page = await browser.get('/domains');
      const token = /name="_panel_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      assert.ok(token, 'the logout form carries a token');
      assert.equal((await browser.post('/logout').type('form').send({ _panel_csrf: token })).status, 303);
      const res = await browser.get('/mta-sts/example.org');
      assert.equal(res.status, 401);
    });
  });

  describe('the stale static policy file in views/server/public', () => {
    it('is still on disk (what the plugin takes over from)', () => {
      assert.match(readFileSync(STALE_FILE, 'utf8'), /old-mail\.example\.org/);
    });

    it('is never served, for any Host', async () => {
      const browser = await loggedIn(panel);
      const page = await browser.get('/domains/example.org?tab=mta-sts');
      await browser
        .post('/mta-sts/example.org')
        .type('form')
        .send({ ...formValues(page.text), mode: 'testing', mx: 'mail.example.org', active: '1' });
      for (const host of ['mta-sts.example.org', 'mta-sts.example.net', 'localhost:3000', 'mail.example.org', '127.0.0.1']) {
        for (const path of ['/.well-known/mta-sts.txt', '/.well-known/mta%2Dsts.txt', '//.well-known/mta-sts.txt']) {
          const res = await request(panel.http).get(path).set('Host', host).redirects(0);
          assert.ok(!(res.text ?? '').includes('old-mail.example.org'), `${host}${path} served the stale file`);
          assert.ok(res.status === 200 || res.status === 404, `${host}${path}: ${res.status}`);
        }
      }
      // The panel's other static files are still served from there (the static middleware is live).
      assert.equal((await request(panel.http).get('/assets/bootstrap/css/bootstrap.min.css')).status, 200);
    });
  });

  describe('the JSON API', () => {
    it('is closed without an apiKey: 401 without a key, 403 with any key', async () => {
      const none = await request(panel.http).get('/api/v1/mta-sts/example.org');
      assert.equal(none.status, 401);
      const some = await request(panel.http).get('/api/v1/mta-sts/example.org').set('X-API-Key', 'guess');
      assert.equal(some.status, 403);
      const empty = await request(panel.http).get('/api/v1/mta-sts/example.org').set('X-API-Key', '');
      assert.equal(empty.status, 403);
    });

    it('is not opened by a logged-in browser cookie, whatever the spelling of the path', async () => {
      const browser = await loggedIn(panel);
      for (const path of ['/api/v1/mta-sts/example.org', '/API/V1/MTA-STS/example.org', '/api/v1/Mta-Sts/example.org', '/api/v1/mta-sts/certificate-names']) {
        const res = await browser.get(path);
        assert.equal(res.status, 401, path);
        assert.equal(res.body.domain, undefined);
      }
      const put = await browser.put('/API/v1/mta-sts/example.org').send({ mode: 'none', maxAge: 1 });
      assert.equal(put.status, 401);
      assert.equal(Number((await panel.knex('domain').where('domain', 'example.org').first()).mta_sts_max_age), 86400);
    });
  });
});

describe('the server with an API key', () => {
  let panel: Panel;
  before(async () => {
    // The probes off: nothing but the (failing, loopback) DNS lookups runs in a check.
    panel = await startPanel({ apiKey: API_KEY, dnsCheck: { https: { enabled: false }, smtp: { enabled: false } } });
  });
  after(() => panel.close());

  it('limits the DNS Check by the API key, however the client varies its cookies: the eleventh in a minute is refused', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      // A new random session cookie every time, as a client trying to look like many would send.
      const cookie = `mta-sts.sid=${randomBytes(24).toString('base64url')}`;
      const res = await request(panel.http).get('/api/v1/mta-sts/example.org/dns-check').set('X-API-Key', API_KEY).set('Cookie', cookie);
      statuses.push(res.status);
      if (i === 10) {
        assert.equal(res.body.error.code, 'rate-limited');
        assert.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 60);
      }
    }
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
    // The logged-in admin is another principal, with checks of their own.
    const browser = await loggedIn(panel);
    const tab = await browser.get('/domains/example.org?tab=mta-sts');
    const token = /name="_csrf" value="([^"]+)"/.exec(tab.text)?.[1];
    const check = await browser.post('/mta-sts/example.org/dns-check').type('form').send({ _csrf: token });
    assert.equal(check.status, 200, textOf(check.text).slice(0, 200));
    assert.match(check.text, /data-check="sts-txt"/);
  });

  it('answers the API with the right X-API-Key, and only with it', async () => {
    const get = await request(panel.http).get('/api/v1/mta-sts/example.org').set('X-API-Key', API_KEY);
    assert.equal(get.status, 200);
    assert.equal(get.body.domain, 'example.org');
    const put = await request(panel.http)
      .put('/api/v1/mta-sts/example.org')
      .set('X-API-Key', API_KEY)
      .send({ mode: 'testing', mx: ['mail.example.org'], active: true });
    assert.equal(put.status, 200);
    assert.equal(put.body.mode, 'testing');
    const names = await request(panel.http).get('/api/v1/mta-sts/certificate-names').set('X-API-Key', API_KEY);
    assert.deepEqual(names.body, { names: ['mta-sts.example.org'] });
    for (const key of [`${API_KEY}x`, API_KEY.slice(0, -1), API_KEY.toUpperCase()]) {
      assert.equal((await request(panel.http).get('/api/v1/mta-sts/example.org').set('X-API-Key', key)).status, 403, key);
    }
    const browser = await loggedIn(panel);
    assert.equal((await browser.get('/api/v1/mta-sts/example.org')).status, 401, 'the login cookie still does not count');
  });
});

describe('the server (node dist/src/cli.js serve, the embedded default)', () => {
  let child: ChildProcess | null = null;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-demo-'));
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on the port it prints, with a generated admin password in a file of mode 0600 (not on stdout) that logs in, and stops on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'panel.sqlite')}`,
      MTA_STS_EMBEDDED: 'yes',
      ADMIN_PASSWORD: '',
      API_KEY: '',
      DEMO_DOMAINS: '',
      DNS_SERVERS: '127.0.0.1:9',
    };
    const proc = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const printed = await new Promise<{ port: number; password: string }>((resolve, reject) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const port = /http:\/\/localhost:(\d+)\//.exec(output)?.[1];
        const file = /with the generated password in (\S+) \(readable only by this user/.exec(output)?.[1];
        if (port && file) resolve({ port: Number(port), password: readFileSync(file, 'utf8').trim() });
      });
      proc.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
    });
    assert.ok(printed.port > 0);
    // In the data directory, readable by this user only; never on stdout, which a journal or a container log keeps.
    const file = join(dir, 'initial-admin-password');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(printed.password, /^[A-Za-z0-9_-]{16}$/);
    assert.ok(!output.includes(printed.password), 'the password is not in the output');
    const base = `http://127.0.0.1:${printed.port}`;
    const login = await request(base).get('/login');
    assert.equal(login.status, 200);
    assert.equal(controlByLabel(login.text, 'Password').name, 'input');
    const form = panelCsrf(login);
    const session = await request(base)
      .post('/login')
      .type('form')
      .set('Cookie', form.cookie)
      .send({ username: 'admin', password: printed.password, _panel_csrf: form.token })
      .redirects(0);
    assert.equal(session.status, 303);
    assert.equal(session.headers.location, '/domains');
    assert.ok(existsSync(join(dir, 'panel.sqlite')), 'it keeps its data in DATABASE_URL');

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('refuses a bad DNS_CHECK_ALLOW_ADDRESSES with one sentence and exit code 2, no stack trace', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'bad.sqlite')}`,
      MTA_STS_EMBEDDED: 'yes',
      DNS_SERVERS: '127.0.0.1:9',
      DNS_CHECK_ALLOW_ADDRESSES: '10.0.0.0/8, 10.0.0.0/99',
    };
    const proc = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.equal(
      output.trim(),
      'mta-sts: dnsCheckAllowAddresses must be a comma-separated list of CIDR ranges such as 10.0.0.0/8,fd00::/8 ("10.0.0.0/99" is not one).',
    );
  });

  it('refuses REPORTS_IMAP_URL without a password, or not an IMAP URL, with one sentence and exit code 2', async () => {
    const run = async (imap: Record<string, string>) => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        PORT: '0',
        DATABASE_URL: `sqlite:${join(dir, 'imap.sqlite')}`,
        MTA_STS_EMBEDDED: 'yes',
        DNS_SERVERS: '127.0.0.1:9',
        ...imap,
      };
      const proc = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      return { code, output: output.trim() };
    };
    assert.deepEqual(await run({ REPORTS_IMAP_URL: 'imaps://reports@127.0.0.1:9/INBOX' }), {
      code: 2,
      output: 'mta-sts: reportsImapPassword must be set too (REPORTS_IMAP_PASSWORD), since REPORTS_IMAP_URL is',
    });
    const wrong = await run({ REPORTS_IMAP_URL: 'https://mail.example.org/INBOX', REPORTS_IMAP_PASSWORD: 'x' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.output, /^mta-sts: reportsImapUrl must be an imaps:\/\/ or imap:\/\/ URL such as [^\n]+$/);
  });
});

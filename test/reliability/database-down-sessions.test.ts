// The standalone server's session store when the database goes away in the middle of its call:
// MariaDB behind the loopback TCP proxy, cut the moment the store sends its statement (the
// delete of a login's regenerate or a logout, the insert of a login, the update of a touch). Each
// failure is answered (503 with the outage sentence, or the page as it was), never an unhandled
// rejection, and the session id reaches no log line.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { presetSchema } from '../../src/config/presets';
import { createPanel, type Panel } from '../../src/server/app';
import { textOf } from '../support/server';
import { cli, postfixAdminDb, type PanelDb } from '../support/standalone';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const PASSWORD = 'session outage password';

describe('reliability: the session store when the database goes away mid-call (MariaDB behind a proxy)', function () {
  this.timeout(120_000);
  let proxy: TcpProxy;
  let db: PanelDb;
  let knex: Knex;
  let panel: Panel;
  let http: Server;
  let base: string;
  const logged: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let detach: (() => void) | null = null;

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
    db = await postfixAdminDb('mariadb', ['example.org'], proxy.port);
    assert.equal((await cli(['--database', db.url, '--preset', 'postfixadmin', 'migrate'])).code, 0);
    knex = knexFactory({
      client: 'mysql2',
      connection: db.url,
      pool: { min: 0, max: 4 },
      acquireConnectionTimeout: 2000,
      log: { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined },
    });
    const record = (level: string) => (message: string, detail?: unknown) =>
      logged.push(`${level} ${message} ${detail instanceof Error ? `${detail.message} ${detail.stack}` : JSON.stringify(detail ?? null)}`);
    panel = await createPanel({
      knex,
      mailHostname: 'mail.example.org',
      embedded: false,
      schema: presetSchema('postfixadmin'),
      adminPassword: PASSWORD,
      dnsServers: ['127.0.0.1:9'],
      logger: { error: record('error'), warn: record('warn'), info: record('info') },
    });
    http = createServer(panel.app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    detach?.();
    proxy?.restore();
    panel?.close();
    if (http) await new Promise((resolve) => http.close(resolve));
    await knex?.destroy();
    await db?.drop();
    await proxy?.close();
  });
  afterEach(async () => {
    detach?.();
    detach = null;
    proxy.restore();
    // Let a failure that would surface as an unhandled rejection do so before checking.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      unhandled.map((r) => String((r as Error)?.message ?? r).slice(0, 200)),
      [],
      'no unhandled rejection: outside a test runner, it ends the process',
    );
  });

  /** Cuts the database the moment the panel sends a statement matching `sql`. */
  function cutOn(sql: RegExp): void {
    const listener = (query: { sql?: string }) => {
      if (query.sql && sql.test(query.sql)) {
        knex.off('query', listener);
        proxy.cut('reset');
      }
    };
    knex.on('query', listener);
    detach = () => knex.off('query', listener);
  }

  async function loginForm(cookie?: string): Promise<{ token: string; cookies: string }> {
    const page = await request(base)
      .get(cookie ? '/domains' : '/login')
      .set('Cookie', cookie ?? '');
    const token = /name="_panel_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const csrf = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    return { token, cookies: [...csrf, ...(cookie ? [cookie] : [])].join('; ') };
  }

  async function logIn(): Promise<{ res: request.Response; cookie: string | null }> {
    const form = await loginForm();
    const res = await request(base)
      .post('/login')
      .type('form')
      .set('Cookie', form.cookies)
      .send({ username: 'admin', password: PASSWORD, _panel_csrf: form.token })
      .redirects(0);
    const cookie =
      ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .find((c) => c.startsWith('mta-sts.sid=')) ?? null;
    return { res, cookie };
  }

  /** Gives the database back and waits until it answers the panel again (the pool recovers by itself). */
  async function settle(): Promise<void> {
    detach?.();
    proxy.restore();
    for (let i = 0; i < 40; i++) {
      if ((await request(base).get('/healthz')).status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail('the database did not come back');
  }

  function assertOutagePage(res: request.Response, what: string): void {
    assert.equal(res.status, 503, `${what}: ${textOf(res.text ?? '').slice(0, 300)}`);
    assert.match(textOf(res.text), /Database unavailable/, what);
    assert.ok(Number(res.headers['retry-after']) > 0, `${what}: Retry-After`);
    assert.doesNotMatch(res.text, /insert into|delete from|ECONN|PROTOCOL_|\n\s+at /i, `${what}: no internals`);
  }

  function assertNotLogged(sid: string): void {
    assert.ok(sid.length >= 20);
    const line = logged.find((l) => l.includes(sid));
    assert.equal(line, undefined, 'the session id is in the log');
  }

  it("answers 503 when the login's insert of the new session fails, and logs no session id", async () => {
    const sids: string[] = [];
    const listener = (query: { sql?: string; bindings?: unknown[] }) => {
      const sid = query.bindings?.[0];
      // express-session's ids: 32 characters of base64url.
      if (query.sql && /sessions/.test(query.sql) && typeof sid === 'string' && /^[\w-]{32}$/.test(sid)) sids.push(sid);
    };
    knex.on('query', listener);
    try {
      cutOn(/^insert into `?\w*sessions\b/i);
      const { res, cookie } = await logIn();
      assertOutagePage(res, 'login');
      assert.equal(cookie, null, 'no session cookie for a login that was not stored');
    } finally {
      knex.off('query', listener);
    }
    assert.ok(sids.length > 0, 'the store was asked');
    for (const sid of sids) assertNotLogged(sid);
    assert.ok(
      logged.some((l) => /session store set failed/.test(l)),
      logged.join('\n'),
    );
    await settle();
    assert.equal((await logIn()).res.status, 303, 'logging in works again');
  });

  it("answers 503 when the login's delete of the old session (regenerate) fails", async () => {
    cutOn(/^delete from `\w*sessions`/i);
    assertOutagePage((await logIn()).res, 'login');
    await settle();
  });

  it('keeps the page when the touch at its end fails, and the login survives it', async () => {
    const { cookie } = await logIn();
    assert.ok(cookie);
    cutOn(/^update `\w*sessions`/i);
    const page = await request(base).get('/domains').set('Cookie', cookie).redirects(0);
    assert.equal(page.status, 200, textOf(page.text).slice(0, 200));
    assert.ok(
      logged.some((l) => /session store touch failed/.test(l)),
      logged.join('\n'),
    );
    await settle();
    assert.equal((await request(base).get('/domains').set('Cookie', cookie).redirects(0)).status, 200, 'still logged in');
    assertNotLogged(decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0]);
  });

  it('logs out (the cookie is cleared) when the delete of the session fails, without a 500', async () => {
    const { cookie } = await logIn();
    assert.ok(cookie);
    const form = await loginForm(cookie);
    cutOn(/^delete from `\w*sessions`/i);
    const res = await request(base).post('/logout').type('form').set('Cookie', form.cookies).send({ _panel_csrf: form.token }).redirects(0);
    assert.notEqual(res.status, 500, textOf(res.text ?? '').slice(0, 200));
    assert.ok(
      ([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => /^mta-sts\.sid=;/.test(c)),
      'the session cookie is cleared',
    );
    assertNotLogged(decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0]);
    await settle();
  });
});

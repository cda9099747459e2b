// The server behind a reverse proxy: its login header counts only from the trusted proxy's
// address, X-Forwarded-Proto makes the cookies Secure; and sessions outlive a restart on SQLite
// (MariaDB and PostgreSQL: standalone.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { createPanel, type PanelOptions } from '../../src/server/app';
import { logIn } from '../support/standalone';

const PASSWORD = 'proxy test password';

describe('the server behind a proxy, and its sessions on SQLite', function () {
  this.timeout(60_000);
  let dir: string;
  let knex: Knex;
  const running: Array<{ http: Server; close(): void }> = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-proxy-'));
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
  });
  after(async () => {
    for (const server of running) {
      server.close();
      await new Promise((resolve) => server.http.close(resolve));
    }
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(options: Partial<PanelOptions> = {}): Promise<string> {
    const panel = await createPanel({ knex, mailHostname: 'mail.example.org', adminPassword: PASSWORD, dnsServers: ['127.0.0.1:9'], ...options });
    const http = createServer(panel.app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    running.push({ http, close: panel.close });
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  it('believes X-Remote-User only from a trusted proxy address', async () => {
    const trusting = await start({ trustedProxies: ['127.0.0.1'], authHeader: 'X-Remote-User' });
    const page = await request(trusting).get('/domains').set('X-Remote-User', 'sso-user').redirects(0);
    assert.equal(page.status, 200);
    assert.match(page.text, /example\.org/);
    assert.equal((await request(trusting).get('/domains').set('X-Remote-User', 'bad name!').redirects(0)).status, 303, 'not a user name');
    const elsewhere = await start({ trustedProxies: ['10.1.2.3'], authHeader: 'X-Remote-User' });
    assert.equal((await request(elsewhere).get('/domains').set('X-Remote-User', 'sso-user').redirects(0)).status, 303, 'the header from an untrusted address');
    // Nor does the header drive the API: that takes its key only.
    assert.equal((await request(trusting).get('/api/v1/mta-sts/example.org').set('X-Remote-User', 'sso-user')).status, 401);
  });

  it('makes every cookie Secure and __Host- when the trusted proxy says the visitor used TLS, and keeps a login over a restart', async () => {
    const base = await start({ trustedProxies: ['127.0.0.1'], secureCookies: 'auto' });
    const form = await request(base).get('/login').set('X-Forwarded-Proto', 'https');
    const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const csrfCookie = ([] as string[]).concat(form.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-panel.csrf='));
    assert.match(csrfCookie ?? '', /; Secure/i, "the login form's CSRF cookie");
    const csrf = (csrfCookie ?? '').split(';')[0];
    const login = await request(base)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', csrf)
      .type('form')
      .send({ username: 'admin', password: PASSWORD, _panel_csrf: token })
      .redirects(0);
    assert.equal(login.status, 303);
    const session = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-mta-sts.sid='));
    assert.ok(session, 'a session cookie');
    assert.match(session, /; Secure/i);
    assert.match(session, /; HttpOnly/i);
    assert.match(session, /; SameSite=Lax/i);
    // Over plain HTTP (no proxy header) the cookie is not Secure, or the browser would drop it.
    const plainCookie = await logIn(base, 'admin', PASSWORD);
    // A second start on the same database (a restart): the same cookie is still logged in.
    const restarted = await start();
    assert.equal((await request(restarted).get('/domains').set('Cookie', plainCookie).redirects(0)).status, 200);
    const rows = await knex('mta_sts_sessions').count<Array<Record<string, unknown>>>({ count: '*' });
    assert.ok(Number(rows[0].count) >= 2, 'sessions are rows of mta_sts_sessions');
  });
});

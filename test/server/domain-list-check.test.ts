// The domain list's "DNS Check" button (POST /domains/:d/dns-check): the form token of the
// server's pages, and the tab's limits: the same count per user as the tab's button (10 a minute)
// and the same cap on checks running at once (4), each refusal a 429 with Retry-After, said in
// the row.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { createPanel } from '../../src/server/app';
import { textOf } from '../support/server';

const PASSWORD = 'list check password';
const FORM = /<form method="post" action="\/domains\/example\.org\/dns-check"[^>]*>\s*<input type="hidden" name="_panel_csrf" value="([^"]+)">/;

describe("the domain list's DNS Check", function () {
  this.timeout(120_000);
  let dir: string;
  let knex: Knex;
  let silentDns: Socket;
  const servers: Array<{ http: Server; close(): void }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-list-check-'));
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    // A DNS server that never answers: a check then runs for the resolver's whole timeout.
    silentDns = createSocket('udp4');
    await new Promise<void>((resolve) => silentDns.bind(0, '127.0.0.1', () => resolve()));
  });
  after(async () => {
    for (const server of servers) {
      server.close();
      server.http.closeAllConnections();
      await new Promise((resolve) => server.http.close(resolve));
    }
    silentDns.close();
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(dnsServer: string): Promise<Server> {
    const panel = await createPanel({
      knex,
      mailHostname: 'mail.example.org',
      adminPassword: PASSWORD,
      dnsServers: [dnsServer],
      dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
    });
    const http = createServer(panel.app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    servers.push({ http, close: panel.close });
    return http;
  }

  async function logIn(http: Server) {
    const browser = request.agent(http);
    const form = await browser.get('/login');
    const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    assert.equal((await browser.post('/login').type('form').send({ username: 'admin', password: PASSWORD, _panel_csrf: token })).status, 303);
    const list = await browser.get('/domains');
    const listToken = FORM.exec(list.text)?.[1];
    assert.ok(listToken, "the row's form carries the token");
    return { browser, listToken };
  }

  const rowText = (html: string) => textOf(/<tr data-domain="example\.org">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? '');

  it('refuses a check without the form token, or with the token of another login (403), and runs none', async () => {
    const http = await start('127.0.0.1:9');
    const alice = await logIn(http);
    const bob = await logIn(http);
    const forged = await alice.browser.post('/domains/example.org/dns-check').type('form').send({});
    assert.equal(forged.status, 403);
    assert.match(textOf(forged.text), /The form has expired or did not come from this panel/);
    assert.doesNotMatch(forged.text, /DNS Check: \d+ errors/);
    assert.equal((await alice.browser.post('/domains/example.org/dns-check').type('form').send({ _panel_csrf: bob.listToken })).status, 403);
    const checked = await alice.browser.post('/domains/example.org/dns-check').type('form').send({ _panel_csrf: alice.listToken });
    assert.equal(checked.status, 200);
    assert.match(rowText(checked.text), /DNS Check: \d+ errors, \d+ warnings, \d+ OK, \d+ notes\./);
  });

  it("counts with the tab's checks: the eleventh in a minute is refused with 429, Retry-After and the reason in the row", async () => {
    const http = await start('127.0.0.1:9');
    const { browser, listToken } = await logIn(http);
    // Five from the tab's button...
    const tab = await browser.get('/domains/example.org?tab=mta-sts');
    const tabToken = /name="_csrf" value="([^"]+)"/.exec(tab.text)?.[1];
    for (let i = 0; i < 5; i++) assert.equal((await browser.post('/mta-sts/example.org/dns-check').type('form').send({ _csrf: tabToken })).status, 200);
    // ...five from the list's: the same user's ten.
    for (let i = 0; i < 5; i++)
      assert.equal((await browser.post('/domains/example.org/dns-check').type('form').send({ _panel_csrf: listToken })).status, 200, `check ${6 + i}`);
    const refused = await browser.post('/domains/example.org/dns-check').type('form').send({ _panel_csrf: listToken });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60, refused.headers['retry-after']);
    assert.match(rowText(refused.text), /Too many DNS Checks: at most 10 every 60 seconds\. Try again in \d+ seconds\./);
    const german = await browser.post('/domains/example.org/dns-check').type('form').set('Accept-Language', 'de').send({ _panel_csrf: listToken });
    assert.equal(german.status, 429);
    assert.match(rowText(german.text), /Zu viele DNS-Prüfungen: höchstens 10 alle 60 Sekunden\./);
    // And the tab's button is refused too: one count for both.
    assert.equal((await browser.post('/mta-sts/example.org/dns-check').type('form').send({ _csrf: tabToken })).status, 429);
  });

  it('runs at most 4 at once: a fifth while four are running is refused with 429 and Retry-After', async () => {
    const http = await start(`127.0.0.1:${silentDns.address().port}`);
    const { browser, listToken } = await logIn(http);
    const post = () =>
      browser
        .post('/domains/example.org/dns-check')
        .type('form')
        .send({ _panel_csrf: listToken })
        .then((res) => res);
    const running = [post(), post(), post(), post()];
    // The four are waiting on the silent resolver; give them a moment to be admitted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fifth = await post();
    assert.equal(fifth.status, 429);
    assert.ok(Number(fifth.headers['retry-after']) > 0);
    assert.match(rowText(fifth.text), /Too many DNS Checks are running right now \(at most 4 at once\)/);
    const statuses = (await Promise.all(running)).map((res) => res.status);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
  });
});

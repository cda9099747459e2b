// The standalone server's own pages in the reader's language, as the plugin's tab: German with
// `Accept-Language: de`, English by default, from the server's catalogues (src/i18n/server-*.ts).
// Every page the server renders itself is fetched in German and searched for the English words.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { SERVER_EN } from '../../src/i18n/server-en';
import { SERVER_DE } from '../../src/i18n/server-de';
import { createPanel } from '../../src/server/app';
import { sayer } from '../../src/server/i18n';
import { refusalText } from '../../src/server/login-routes';
import { attr, controlByLabel, textOf } from '../support/server';

const PASSWORD = 'correct horse battery staple';

interface Started {
  http: Server;
  knex: Knex;
  logged: string[];
  close(): Promise<void>;
}

async function start(): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-language-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
  const logged: string[] = [];
  const record = (message: string) => logged.push(message);
  const panel = await createPanel({
    knex,
    mailHostname: 'mail.example.org',
    adminPassword: PASSWORD,
    dnsServers: ['127.0.0.1:9'],
    logger: { error: record, warn: record, info: () => undefined },
  });
  const http = createServer(panel.app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    http,
    knex,
    logged,
    async close() {
      panel.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The login form's token, for a browser that keeps its cookies. */
async function formToken(browser: ReturnType<typeof request.agent>, language: string): Promise<string> {
  const form = await browser.get('/login').set('Accept-Language', language);
  const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1];
  assert.ok(token, 'the login form has its token');
  return token;
}

async function loggedIn(http: Server, language: string) {
  const browser = request.agent(http);
  const token = await formToken(browser, language);
  const res = await browser.post('/login').type('form').set('Accept-Language', language).send({ username: 'admin', password: PASSWORD, _panel_csrf: token });
  assert.equal(res.status, 303);
  return browser;
}

/** What a reader sees of a page: its text, and the labels read out to them (aria-label, title). */
function readable(html: string): string {
  const labels = [...html.matchAll(/\b(?:aria-label|title|placeholder)="([^"]*)"/g)].map((m) => m[1]);
  return `${textOf(html)} ${labels.join(' ')}`;
}

// The server's English sentences as they show on a page: each literal part around a placeholder.
// Short words ("yes", "no", "off") are left to the list below, as they hide inside German words.
const ENGLISH_PARTS = (Object.keys(SERVER_EN) as Array<keyof typeof SERVER_EN>)
  .filter((key) => SERVER_EN[key] !== SERVER_DE[key])
  .flatMap((key) => SERVER_EN[key].split(/\{\w+\}/).map((part) => part.trim()))
  .filter((part) => part.length >= 5);
const ENGLISH_WORDS =
  /\b(?:Log in|Log out|Username|Password|Wrong|Not found|Form expired|Something went wrong|refused|Try again|Error|Edit|General|Language)\b/;

/**
 * No English of the server's in a German page. The plugin's fragment in the MTA-STS tab is the
 * plugin's (its catalogue tests are its own, and a resolver's failure detail in it is English):
 * there only the server's own sentences are looked for.
 */
function assertGerman(html: string, page: string): void {
  assert.match(html, /<html lang="de">/, page);
  const fragment = /<\/nav>\s*<section\b[\s\S]*<\/main>/.exec(html);
  const chrome = fragment ? html.replace(fragment[0], '</main>') : html;
  assert.doesNotMatch(readable(chrome), ENGLISH_WORDS, page);
  const text = readable(html);
  for (const part of ENGLISH_PARTS) assert.ok(!text.includes(part), `${page} says "${part}" in English`);
}

describe("the standalone server's pages in the reader's language", function () {
  this.timeout(60_000);
  let server: Started;
  beforeEach(async () => {
    server = await start();
  });
  afterEach(() => server.close());

  it('shows the login page in English by default, and in German with Accept-Language: de', async () => {
    const english = await request(server.http).get('/login');
    assert.match(english.text, /<html lang="en">/);
    assert.equal(controlByLabel(english.text, 'Username').name, 'input');
    assert.equal(attr(controlByLabel(english.text, 'Password').tag, 'type'), 'password');
    assert.match(textOf(english.text), /^Log in · Demo mail panel/);

    const german = await request(server.http).get('/login').set('Accept-Language', 'de-DE,de;q=0.9,en;q=0.5');
    assert.equal(german.status, 200);
    assert.equal(controlByLabel(german.text, 'Benutzername').name, 'input');
    assert.equal(attr(controlByLabel(german.text, 'Passwort').tag, 'type'), 'password');
    assert.match(textOf(german.text), /^Anmelden · Demo-Mailpanel/);
    assert.match(german.headers.vary ?? '', /Accept-Language/i, 'a cache keeps the languages apart');
    assertGerman(german.text, 'the login page');
  });

  it("says the login's errors in German: a wrong password, then the block with its wait", async () => {
    const browser = request.agent(server.http);
    const token = await formToken(browser, 'de');
    const attempt = (password: string) =>
      browser.post('/login').type('form').set('Accept-Language', 'de').send({ username: 'admin', password, _panel_csrf: token });
    const wrong = await attempt('wrong');
    assert.equal(wrong.status, 401);
    assert.match(textOf(wrong.text), /Benutzername oder Passwort ist falsch\./);
    assertGerman(wrong.text, 'a wrong password');
    for (let i = 0; i < 4; i++) assert.equal((await attempt(`wrong${i}`)).status, 401);
    const blocked = await attempt(PASSWORD);
    assert.equal(blocked.status, 429);
    assert.match(textOf(blocked.text), /Zu viele fehlgeschlagene Anmeldungen\. Versuchen Sie es in 15 Minuten erneut\./);
    assertGerman(blocked.text, 'a blocked login');
    // The same in English, without Accept-Language.
    const english = await browser.post('/login').type('form').send({ username: 'admin', password: PASSWORD, _panel_csrf: token });
    assert.match(textOf(english.text), /Too many failed logins\. Try again in 15 minutes\./);
  });

  it('says each wait of a refused login in both languages', () => {
    const [en, de] = [sayer('en'), sayer('de')];
    const cases: Array<[number, 'checking' | 'blocked', string, string]> = [
      [1, 'checking', 'A login from this address is being checked. Try again in a moment.', 'gerade geprüft'],
      [45, 'blocked', 'Too many failed logins. Try again in 1 minute.', 'in 1 Minute erneut'],
      [900, 'blocked', 'Too many failed logins. Try again in 15 minutes.', 'in 15 Minuten erneut'],
      [7140, 'blocked', 'Too many failed logins. Try again in 119 minutes.', 'in 119 Minuten erneut'],
      [7141, 'blocked', 'Too many failed logins. Try again in 2 hours.', 'in 2 Stunden erneut'],
      [7201, 'blocked', 'Too many failed logins. Try again in 3 hours.', 'in 3 Stunden erneut'],
      [86400, 'blocked', 'Too many failed logins. Try again in 24 hours.', 'in 24 Stunden erneut'],
    ];
    for (const [retryAfter, reason, english, german] of cases) {
      assert.equal(refusalText(en, { retryAfter, reason }), english);
      assert.ok(refusalText(de, { retryAfter, reason }).includes(german), `${retryAfter} s in German`);
    }
  });

  it('shows the 404 page, an expired form and a refused request in German', async () => {
    const missing = await request(server.http).get('/no-such-page').set('Accept-Language', 'de');
    assert.equal(missing.status, 404);
    assert.match(textOf(missing.text), /Diese Seite gibt es nicht\./);
    assertGerman(missing.text, 'the 404 page');

    const forged = await request(server.http).post('/login').type('form').set('Accept-Language', 'de').send({ username: 'admin', password: PASSWORD });
    assert.equal(forged.status, 403);
    assert.match(textOf(forged.text), /Das Formular ist abgelaufen .* Laden Sie die Anmeldeseite neu und versuchen Sie es erneut\./);
    assert.match(forged.text, /<a href="\/login">Laden Sie die Anmeldeseite neu<\/a>/);
    assertGerman(forged.text, 'an expired form');

    // Over the 8 KiB a form may have: the body parser refuses it (413).
    const large = await request(server.http)
      .post('/login')
      .type('form')
      .set('Accept-Language', 'de')
      .send({ username: 'x'.repeat(9000) });
    assert.equal(large.status, 413);
    assert.match(textOf(large.text), /Die Anfrage wurde abgelehnt\./);
    assertGerman(large.text, 'a refused request');
  });

  it('names the two "active" columns apart: the domain on the domain list, its policy on the overview', async () => {
    // The header cells of a page's table, as read.
    const headers = (html: string) =>
      [...(/<thead>([\s\S]*?)<\/thead>/.exec(html)?.[1] ?? '').matchAll(/<th\b[^>]*>([\s\S]*?)<\/th>/g)].map((m) => textOf(m[1]));
    const expected = { en: ['Domain active', 'Policy active'], de: ['Domain aktiv', 'Richtlinie aktiv'] };
    for (const [language, [domainColumn, policyColumn]] of Object.entries(expected)) {
      const browser = await loggedIn(server.http, language);
      const list = headers((await browser.get('/domains').set('Accept-Language', language).expect(200)).text);
      const overview = headers((await browser.get('/mta-sts/').set('Accept-Language', language).expect(200)).text);
      assert.ok(list.includes(domainColumn), `${language} domain list: ${list.join(' | ')}`);
      assert.ok(overview.includes(policyColumn), `${language} overview: ${overview.join(' | ')}`);
      for (const bare of ['Active', 'Aktiv']) assert.ok(!list.includes(bare) && !overview.includes(bare), `no column is just "${bare}"`);
    }
  });

  it('shows the domain list, the domain page and its MTA-STS tab in German after a German login', async () => {
    const browser = await loggedIn(server.http, 'de');
    const list = await browser.get('/domains').set('Accept-Language', 'de');
    assert.equal(list.status, 200);
    assert.match(textOf(list.text), /MTA-STS-Übersicht aller Domains/);
    assertGerman(list.text, 'the domain list');
    const general = await browser.get('/domains/example.org').set('Accept-Language', 'de');
    assert.match(textOf(general.text), /Domain example\.org bearbeiten/);
    assert.match(textOf(general.text), /Postfächer 10/, 'the host table has mailboxes');
    assertGerman(general.text, 'the domain page');
    const tab = await browser.get('/domains/example.org?tab=mta-sts').set('Accept-Language', 'de');
    assert.equal(tab.status, 200);
    assert.match(tab.text, /<section class="mta-sts-tab" lang="de"/, "the plugin's tab in German too");
    assertGerman(tab.text, 'the MTA-STS tab');
  });

  it('shows a failure (500) and a database outage (503) in German', async () => {
    const browser = await loggedIn(server.http, 'de');
    // A host table gone is a bug of the set-up, not an outage: 500, logged.
    await server.knex.schema.renameTable('domain', 'domain_gone');
    const failed = await browser.get('/domains').set('Accept-Language', 'de');
    assert.equal(failed.status, 500);
    assert.match(textOf(failed.text), /Fehler .* Etwas ist schiefgegangen\./);
    assertGerman(failed.text, 'a failure');
    assert.ok(server.logged.some((line) => line.startsWith('GET /domains failed')));
    await server.knex.schema.renameTable('domain_gone', 'domain');
    // The session store failing is an outage: 503 with the plugin's sentence.
    await server.knex.schema.renameTable('mta_sts_sessions', 'mta_sts_sessions_gone');
    const outage = await browser.get('/domains').set('Accept-Language', 'de');
    assert.equal(outage.status, 503);
    assert.match(textOf(outage.text), /Fehler 503 .* Datenbank nicht erreichbar/);
    assertGerman(outage.text, 'the outage page');
  });
});

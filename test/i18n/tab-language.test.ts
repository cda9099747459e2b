import assert from 'node:assert/strict';
import { createMtaSts } from '../../src';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { MAIL_HOSTNAME, controlByLabel, createServer, descriptions, notices, textOf, type ServerOptions, type TestServer } from '../support/server';

// Which language the tab speaks: the host's `locale` option (fixed or per request), else the
// browser's Accept-Language, else English. The JSON API speaks English whatever is asked.

/** The language the tab declares (the page around it may be the host's, in another). */
function sectionLanguage(html: string): string | undefined {
  return /<section class="mta-sts-tab" lang="(\w+)"/.exec(html)?.[1];
}

describe('i18n: the language of the tab', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  const start = async (plugin: ServerOptions['plugin'] = {}) => {
    server = await createServer({
      plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 }, dnsCheck: { https: { enabled: false }, smtp: { enabled: false } }, ...plugin },
    });
  };
  before(async () => {
    dns = await startDnsServer();
    dns.setZone([{ name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } }]);
  });
  after(() => dns.close());
  afterEach(() => server?.close());

  it('follows Accept-Language when the host sets no language, and says that it varies with it', async () => {
    await start();
    const de = await server.request().get('/mta-sts/example.org').set('Accept-Language', 'de-DE,de;q=0.9,en;q=0.8');
    assert.equal(de.status, 200);
    assert.equal(sectionLanguage(de.text), 'de');
    for (const label of ['Modus', 'Maximales Alter', 'MX-Einträge', 'Aktiv']) controlByLabel(de.text, label);
    assert.match(textOf(de.text), /Änderungen speichern/);
    assert.match(de.headers.vary ?? '', /Accept-Language/i);
    const en = await server.request().get('/mta-sts/example.org').set('Accept-Language', 'fr-FR,en;q=0.5');
    assert.equal(sectionLanguage(en.text), 'en');
    controlByLabel(en.text, 'Maximum Age');
    const none = await server.request().get('/mta-sts/example.org');
    assert.equal(sectionLanguage(none.text), 'en', 'English without Accept-Language');
  });

  it('speaks the language the host fixes, whatever the browser asks', async () => {
    await start({ locale: 'de' });
    const res = await server.request().get('/mta-sts/example.org').set('Accept-Language', 'en-US');
    assert.equal(sectionLanguage(res.text), 'de');
    assert.doesNotMatch(res.headers.vary ?? '', /Accept-Language/i);
  });

  it("asks the host's function per request, falling back to Accept-Language when it names no supported language", async () => {
    await start({ locale: (req) => req.get('x-user-language') });
    const asked = async (user: string | undefined, browser: string) => {
      const test = server.request().get('/mta-sts/example.org').set('Accept-Language', browser);
      if (user !== undefined) test.set('X-User-Language', user);
      return sectionLanguage((await test).text);
    };
    assert.equal(await asked('de-AT', 'en'), 'de');
    assert.equal(await asked('en', 'de'), 'en');
    assert.equal(await asked('fr', 'de'), 'de', 'unsupported: the browser decides');
    assert.equal(await asked(undefined, 'de'), 'de');
    await server.close();
    await start({ locale: async () => 'de' });
    assert.equal(sectionLanguage((await server.request().get('/mta-sts/example.org')).text), 'de', 'a promise is awaited');
  });

  it('refuses a locale option that is neither a supported language nor a function, naming the option', () => {
    const knex = require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      for (const locale of ['fr', 'DE', '', 42, {}]) {
        assert.throws(
          () => createMtaSts({ knex, mailHostname: MAIL_HOSTNAME, locale: locale as never }),
          (err: Error) => err instanceof TypeError && /options\.locale/.test(err.message),
          JSON.stringify(locale),
        );
      }
      for (const locale of ['en', 'de', () => 'de', undefined])
        assert.doesNotThrow(() => createMtaSts({ knex, mailHostname: MAIL_HOSTNAME, locale: locale as never }));
    } finally {
      void knex.destroy();
    }
  });

  it('says field errors and notices in German, and the DNS Check too; the JSON API stays English', async () => {
    await start({ locale: 'de' });
    const res = await server.submitTab('example.org', { mode: 'enforce', mx: 'mail..example.org', maxAge: 'bald', active: '1' });
    assert.equal(res.status, 400);
    assert.ok(notices(res.text).includes('Nichts wurde gespeichert: Korrigieren Sie die unten markierten Felder.'));
    assert.match(descriptions(res.text, controlByLabel(res.text, 'MX-Einträge').id).join(' '), /^MX-Einträge: "mail\.\.example\.org" hat ein leeres Label/);
    assert.match(descriptions(res.text, controlByLabel(res.text, 'Maximales Alter').id).join(' '), /^Maximales Alter muss eine ganze Zahl von Sekunden/);

    const saved = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
    assert.ok(notices(saved.text).some((n) => /^Gespeichert\. Die neue Richtlinien-ID ist \d{14}/.test(n)));
    const check = await server.dnsCheckTab('example.org');
    assert.match(textOf(check.text), /Ergebnis der DNS-Prüfung/);
    assert.match(check.text, /<td data-status="ok"><span class="badge text-bg-success">OK<\/span><\/td>/);

    const api = await server.request().get('/api/v1/mta-sts/example.org/dns-check').set('Accept-Language', 'de');
    assert.equal(api.status, 200);
    const mx = api.body.checks.find((c: { name: string }) => c.name === 'mx');
    assert.equal(mx.message, 'Every MX host matches an MX entry of the policy.');
    const put = await server.put('example.org', { maxAge: 'soon' }).set('Accept-Language', 'de');
    assert.match(put.body.errors[0].message, /^Maximum Age must be a whole number/);
  });
});

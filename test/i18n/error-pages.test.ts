import assert from 'node:assert/strict';
import { ERROR_TEXTS } from '../../src/i18n';
import { CATALOGUES } from '../../src/i18n';
import { createServer, textOf, type TestServer } from '../support/server';

// Error pages are part of what a person sees on the tab (a refused or unknown domain inside the
// host's page): they speak the reader's language; the JSON API keeps its English messages.
describe("error pages in the reader's language", () => {
  let server: TestServer;
  before(async () => {
    server = await createServer();
  });
  after(() => server.close());

  it('has every error sentence in both catalogues, with the same placeholders', () => {
    for (const key of Object.keys(ERROR_TEXTS) as Array<keyof typeof ERROR_TEXTS>) {
      assert.equal(CATALOGUES.en[`error.${key}`], ERROR_TEXTS[key], key);
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(names(CATALOGUES.de[`error.${key}`]), names(ERROR_TEXTS[key]), key);
      assert.notEqual(CATALOGUES.de[`error.${key}`], ERROR_TEXTS[key], `${key} is translated`);
    }
  });

  it('says "no such domain" in German and in English, by Accept-Language', async () => {
    const de = await server.request().get('/mta-sts/unknown.example').set('Accept-Language', 'de-DE,de;q=0.9');
    assert.equal(de.status, 404);
    assert.match(textOf(de.text), /Fehler 404/);
    assert.match(textOf(de.text), /Diese Domain gibt es in diesem Panel nicht\./);
    const en = await server.request().get('/mta-sts/unknown.example').set('Accept-Language', 'en');
    assert.match(textOf(en.text), /Error 404/);
    assert.match(textOf(en.text), /There is no such domain in this panel\./);
  });

  it('says "not allowed" and "log in" in German, while the API answers in English', async () => {
    server.authorize = 'deny';
    try {
      const page = await server.request().get('/mta-sts/example.org').set('Accept-Language', 'de');
      assert.equal(page.status, 403);
      assert.match(textOf(page.text), /Sie dürfen MTA-STS nicht verwalten\./);
      const api = await server.request().get('/api/v1/mta-sts/example.org').set('Accept-Language', 'de');
      assert.equal(api.status, 403);
      assert.equal(api.body.error.message, 'You are not allowed to manage MTA-STS.');
      server.authorize = 'unauthenticated';
      const login = await server.request().get('/mta-sts/example.org').set('Accept-Language', 'de');
      assert.equal(login.status, 401);
      assert.match(textOf(login.text), /Melden Sie sich als Administrator an/);
    } finally {
      server.authorize = 'allow';
    }
  });

  it('refuses a form without CSRF token in German', async () => {
    const res = await server.postForm('example.org', { revision: '0', mode: 'testing', mx: 'mx.example.org', active: '1' }, null).set('Accept-Language', 'de');
    assert.equal(res.status, 403);
    assert.match(textOf(res.text), /ungültiges CSRF-Token/);
  });
});

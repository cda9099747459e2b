import assert from 'node:assert/strict';
import { TestServer, createServer } from '../support/server';

// The tab's TLS reporting form warns when every report address is https:, as the DNS Check's
// tlsrpt.https-only does for the published record: some senders send reports only by mail.
describe('TLS reporting on the tab: https:-only report addresses', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await createServer();
  });
  afterEach(async () => {
    await server?.close();
  });

  async function saveRua(rua: string, lang = 'en') {
    const page = await server.csrf('example.org');
    const res = await server
      .request()
      .post(`${server.adminPath}/example.org/reporting`)
      .type('form')
      .set('Cookie', page.cookie)
      .set('Accept-Language', lang)
      .send({ _csrf: page.token, rua });
    assert.equal(res.status, 200, res.text);
    return res.text;
  }

  it('warns under the addresses when they are all https:, in English and German, and not once a mailto: is among them', async () => {
    assert.equal((await server.submitTab('example.org', { mode: 'testing', mx: 'mx.example.org', active: '1' })).status, 200);
    const english = await saveRua('https://reports.example.net/tlsrpt');
    assert.match(english, /data-rua-https-only>Only https: report addresses: some senders send reports only by mail/);
    assert.match(english, /aria-describedby="mta-sts-rua-help-example\.org mta-sts-rua-https-example\.org"/);
    const german = await saveRua('https://reports.example.net/tlsrpt', 'de');
    assert.match(german, /data-rua-https-only>Nur https:-Berichtsadressen/);
    const mixed = await saveRua('https://reports.example.net/tlsrpt, mailto:tls@example.org');
    assert.doesNotMatch(mixed, /data-rua-https-only/);
  });
});

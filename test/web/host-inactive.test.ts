import assert from 'node:assert/strict';
import { CATALOGUES, format } from '../../src/i18n';
import { LOOPBACK_ONLY } from '../support/loopback';
import { createServer, formValues, notices, type TestServer } from '../support/server';

// A domain the host panel marks inactive (inactive.example in the standard rows): a policy saved
// for it is stored but not served, and every way of saving or looking at it says so and why.

describe('a domain inactive in the panel', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createServer({ plugin: { ...LOOPBACK_ONLY } });
  });
  afterEach(() => server?.close());

  for (const locale of ['en', 'de'] as const) {
    it(`the tab says after a save that the panel marks it inactive, so nothing is served (${locale})`, async () => {
      const page = await server.csrf('inactive.example');
      const post = await server
        .postForm('inactive.example', { ...formValues(page.html), mode: 'testing', mx: 'mail.example.org', active: '1' }, page)
        .set('Accept-Language', locale);
      assert.equal(post.status, 303);
      const shown = await server.request().get(String(post.headers.location)).set('Accept-Language', locale);
      const id = String((await server.row('inactive.example')).mta_sts_id);
      const said = notices(shown.text);
      assert.equal(said[0], format(CATALOGUES[locale]['notice.savedHostInactive'], { id }));
      assert.ok(!said.some((text) => text.startsWith(format(CATALOGUES[locale]['notice.saved'], { id }))), 'not a plain "Saved"');
      assert.ok(!shown.text.includes(CATALOGUES[locale]['notice.hostInactive']), 'said once, not twice');
      assert.equal((await server.policy('mta-sts.inactive.example')).status, 404);
    });
  }

  it('the API answers a save (and a GET) with a warning naming the reason; an active domain has none', async () => {
    const put = await server.put('inactive.example', { mode: 'enforce', mx: ['mail.example.org'], active: true });
    assert.equal(put.status, 200);
    assert.equal(put.body.changed, true);
    assert.equal(put.body.served, false);
    assert.deepEqual(put.body.warnings, [
      { code: 'host-inactive', message: 'The panel marks inactive.example inactive, so nothing is served for it until the domain is active again.' },
    ]);
    assert.deepEqual((await server.request().get('/api/v1/mta-sts/inactive.example')).body.warnings, put.body.warnings);
    assert.deepEqual((await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], active: true })).body.warnings, []);
  });
});

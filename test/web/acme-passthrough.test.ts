import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STALE_MARKER, type TestServer, createServer } from '../support/server';

// An ACME HTTP-01 validation of mta-sts.<domain> asks that very host for
// /.well-known/acme-challenge/<token>: the plugin, mounted first, must let it through.
describe('ACME challenges on mta-sts. hosts go on to the next middleware', () => {
  let server: TestServer;
  const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
  const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

  before(async () => {
    server = await createServer();
    await server.setPolicy('example.org', { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400, id: '20260101000000', revision: 1 });
    mkdirSync(join(server.webRoot, '.well-known', 'acme-challenge'), { recursive: true });
    writeFileSync(join(server.webRoot, '.well-known', 'acme-challenge', TOKEN), KEY_AUTHORIZATION);
  });
  after(() => server.close());

  it('serves the token from express.static mounted after the plugin, on an mta-sts. host', async () => {
    for (const host of ['mta-sts.example.org', 'MTA-STS.example.org:80', 'mta-sts.unknown.example']) {
      const res = await server.request().get(`/.well-known/acme-challenge/${TOKEN}`).set('Host', host);
      assert.equal(res.status, 200, `Host: ${host}`);
      // No extension, so express.static sends application/octet-stream: read the raw bytes.
      assert.equal(Buffer.from(res.body as Buffer).toString('utf8'), KEY_AUTHORIZATION, `Host: ${host}`);
    }
  });

  it('lets any method through (the plugin answers 405 only for its policy path)', async () => {
    const res = await server.request().post(`/.well-known/acme-challenge/${TOKEN}`).set('Host', 'mta-sts.example.org');
    assert.notEqual(res.status, 405, 'the plugin did not answer the POST itself');
  });

  it('keeps every other path of the host to itself, and a disguised policy path never reaches the stale file', async () => {
    const other = await server.request().get('/index.html').set('Host', 'mta-sts.example.org');
    assert.equal(other.status, 404, 'other paths on mta-sts. hosts still 404 as before');
    const disguised = await server.request().get('/.well-known/acme-challenge/../mta-sts.txt').set('Host', 'mta-sts.example.org');
    assert.doesNotMatch(disguised.text, new RegExp(STALE_MARKER));
    const encoded = await server.request().get('/.well-known/acme-challenge/%2e%2e/mta-sts.txt').set('Host', 'mta-sts.example.org');
    assert.doesNotMatch(encoded.text, new RegExp(STALE_MARKER));
  });
});

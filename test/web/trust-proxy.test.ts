import assert from 'node:assert/strict';
import { createMtaSts } from '../../src';
import { type TestServer, createServer } from '../support/server';

const BODY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 86400\r\n';
const POLICY = { active: true, mode: 'enforce' as const, mx: ['mail.example.org'], maxAge: 86400, id: '20260101000000', revision: 1 };

// Behind nginx, Caddy or Apache the plugin sees the proxy's address and whatever Host it passes;
// only a proxy the host names may say which host the client asked for.
describe('trustProxy: who may name the host by X-Forwarded-Host or Forwarded', () => {
  describe('from a trusted proxy (the test client, 127.0.0.1)', () => {
    let server: TestServer;
    before(async () => {
      server = await createServer({ plugin: { trustProxy: ['127.0.0.0/8', '::1'] } });
      await server.setPolicy('example.org', POLICY);
    });
    after(() => server.close());

    it('serves the policy of the host named by X-Forwarded-Host, whatever Host the proxy used', async () => {
      const res = await server.request().get('/.well-known/mta-sts.txt').set('Host', '127.0.0.1:8080').set('X-Forwarded-Host', 'mta-sts.example.org');
      assert.equal(res.status, 200);
      assert.equal(res.text, BODY);
    });

    it('takes the last value a proxy appended, and reads the standard Forwarded header', async () => {
      const appended = await server
        .request()
        .get('/.well-known/mta-sts.txt')
        .set('Host', 'backend')
        .set('X-Forwarded-Host', 'mta-sts.forged.example, mta-sts.example.org');
      assert.equal(appended.text, BODY);
      const forwarded = await server
        .request()
        .get('/.well-known/mta-sts.txt')
        .set('Host', 'backend')
        .set('Forwarded', 'for=192.0.2.1;host="mta-sts.example.org";proto=https');
      assert.equal(forwarded.status, 200);
      assert.equal(forwarded.text, BODY);
    });

    it('uses Host when the proxy names no host', async () => {
      const res = await server.request().get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
      assert.equal(res.text, BODY);
    });
  });

  describe('from any other address', () => {
    let server: TestServer;
    before(async () => {
      server = await createServer({ plugin: { trustProxy: ['192.0.2.0/24'] } });
      await server.setPolicy('example.org', POLICY);
    });
    after(() => server.close());

    it('never lets a forged X-Forwarded-Host or Forwarded select a policy: Host alone counts', async () => {
      const forged = await server
        .request()
        .get('/.well-known/mta-sts.txt')
        .set('Host', 'mta-sts.unknown.example')
        .set('X-Forwarded-Host', 'mta-sts.example.org');
      assert.equal(forged.status, 404);
      assert.doesNotMatch(forged.text, /mode: enforce/);
      const forwarded = await server.request().get('/.well-known/mta-sts.txt').set('Host', 'www.example.org').set('Forwarded', 'host=mta-sts.example.org');
      assert.doesNotMatch(forwarded.text, /mode: enforce/);
      const own = await server.request().get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org').set('X-Forwarded-Host', 'mta-sts.unknown.example');
      assert.equal(own.text, BODY, 'the real Host still works');
    });
  });

  it('refuses a trustProxy entry that is no address or range, naming the option', async () => {
    const server = await createServer();
    try {
      assert.throws(
        () => createMtaSts({ knex: server.db.knex, mailHostname: 'mail.example.org', trustProxy: ['proxy.example'] }),
        /options\.trustProxy\[0\] must be/,
      );
    } finally {
      await server.close();
    }
  });
});
